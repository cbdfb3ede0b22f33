"""The ``kaifang`` command: thin over the same services the web app uses.

Every command exits non-zero with a one-line reason when it fails.
"""

from __future__ import annotations

import functools
import logging
import sys
from collections.abc import Callable
from typing import Any

import click

from datasets.errors import KaifangError
from datasets.runtime import Runtime
from datasets.settings import ENV_PREFIX, load_settings, setting_fields


def _runtime() -> Runtime:
    return Runtime(load_settings())


def reports_errors(func: Callable[..., Any]) -> Callable[..., Any]:
    """Turn service errors into a one-line message on stderr and exit status 1."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except KaifangError as exc:
            click.echo(f"错误：{exc.message}", err=True)
            sys.exit(1)

    return wrapper


def _require_database(rt: Runtime) -> None:
    from datasets.database import is_current

    if not is_current(rt):
        raise KaifangError("数据库尚未初始化或版本过旧，请先运行 kaifang init")


@click.group()
@click.version_option(package_name="kaifang")
def main() -> None:
    """开放数据门户 — harvest, validate, classify and publish government data."""
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")


@main.command()
@reports_errors
def init() -> None:
    """Create the instance folder and the database tables (safe to run again)."""
    from datasets.database import upgrade
    from datasets.search.indexing import sync_index

    rt = _runtime()
    rt.paths.root.mkdir(parents=True, exist_ok=True)
    upgrade(rt)
    rt.secret_key()
    rt.masking_key()
    changed = sync_index(rt)  # also rebuilds an index of an older schema version
    note = f"，索引更新 {changed} 条" if changed else ""
    click.echo(f"实例已就绪：{rt.paths.root.name}（数据库已升级到最新版本{note}）")


@main.group()
def source() -> None:
    """Manage harvest sources."""


@source.command("add")
@click.argument("name")
@click.option("--kind", required=True, help="Source kind, e.g. datapackage or export.")
@click.option("--location", required=True, help="Folder, file or URL of the source.")
@click.option("--title", default="", help="Human-readable title.")
@click.option(
    "--frequency",
    default="manual",
    show_default=True,
    help="manual, hourly, daily, weekly or monthly.",
)
@click.option(
    "--config",
    "config",
    multiple=True,
    metavar="KEY=VALUE",
    help="Kind-specific setting, e.g. table=licences for a sql source (repeatable).",
)
@click.option("--exist-ok", is_flag=True, help="Succeed if the same source already exists.")
@reports_errors
def source_add(
    name: str,
    kind: str,
    location: str,
    title: str,
    frequency: str,
    config: tuple[str, ...],
    exist_ok: bool,
) -> None:
    """Register a harvest source called NAME."""
    from harvester.sources import add_source

    settings = {}
    for item in config:
        key, sep, value = item.partition("=")
        if not sep or not key.strip():
            raise KaifangError(f"--config 须为 KEY=VALUE：{item}")
        settings[key.strip()] = value.strip()
    rt = _runtime()
    _require_database(rt)
    added = add_source(
        rt,
        name=name,
        kind=kind,
        location=location,
        title=title,
        frequency=frequency,
        config=settings,
        exist_ok=exist_ok,
    )
    click.echo(f"来源 {added['name']}（{added['kind']}）：{added['location']}")


@source.command("list")
@reports_errors
def source_list() -> None:
    """List harvest sources with their last job."""
    from harvester.sources import list_sources

    rt = _runtime()
    _require_database(rt)
    rows = list_sources(rt)
    if not rows:
        click.echo("还没有来源。用 kaifang source add 添加。")
        return
    for row in rows:
        last = row["last_job"]
        status = f"{last['status']} {last['started'][:16]}" if last else "从未采集"
        click.echo(
            f"{row['name']:<24} {row['kind']:<12} {row['datasets']:>5} 个数据集  "
            f"{status}  {row['location']}"
        )


@main.command()
@click.argument("names", nargs=-1)
@click.option("--dry-run", is_flag=True, help="Show what would change; change nothing.")
@click.option("--due", is_flag=True, help="Only the sources whose frequency makes them due (cron).")
@reports_errors
def harvest(names: tuple[str, ...], dry_run: bool, due: bool) -> None:
    """Harvest the named sources (all sources when none is named)."""
    from harvester.jobs import due_sources, run_harvest
    from harvester.sources import get_sources

    rt = _runtime()
    _require_database(rt)
    if due and names:
        raise KaifangError("--due 与来源名称不能同时使用")
    if due:
        sources = due_sources(rt)
        if not sources:
            click.echo("没有到期需要采集的来源。")
            return
    else:
        sources = get_sources(rt, list(names))
    if not sources:
        raise KaifangError("没有可采集的来源。用 kaifang source add 添加。")
    progress = _progress_printer() if sys.stderr.isatty() else None
    results = run_harvest(rt, sources, dry_run=dry_run, progress=progress)
    failed = False
    for result in results:
        if progress:
            click.echo("", err=True)
        click.echo(("[预演] " if dry_run else "") + result.summary())
        for outcome, identifier, message in result.changes:
            if outcome == "errored" or dry_run:
                click.echo(f"  {outcome:<9} {identifier}" + (f"：{message}" if message else ""))
        failed = failed or result.status == "failed"
    if failed:
        sys.exit(1)


def _progress_printer() -> Callable[[str, int, int], None]:
    """A one-line progress bar on the terminal (only when stderr is one)."""

    def show(label: str, n: int, total: int) -> None:
        width = 30
        filled = int(width * n / total) if total else width
        bar = "█" * filled + "·" * (width - filled)
        click.echo(f"\r\033[K{bar} {n}/{total} {label[:30]}", nl=False, err=True)

    return show


@main.group()
def quality() -> None:
    """Dataset quality scores."""


@quality.command("refresh")
@reports_errors
def quality_refresh() -> None:
    """Recompute every dataset's quality score (harvests do this too)."""
    from datasets.catalog.maintenance import refresh_quality

    rt = _runtime()
    _require_database(rt)
    click.echo(f"已更新 {refresh_quality(rt)} 个数据集的质量评分")


@main.group()
def index() -> None:
    """Maintain the search index."""


@index.command("sync")
@reports_errors
def index_sync() -> None:
    """Bring the search index in line with the database."""
    from datasets.search.indexing import sync_index

    rt = _runtime()
    _require_database(rt)
    click.echo(f"已更新 {sync_index(rt)} 个索引文档")


@index.command("rebuild")
@reports_errors
def index_rebuild() -> None:
    """Drop the search index and build it again from the database."""
    from datasets.search.indexing import rebuild_index

    rt = _runtime()
    _require_database(rt)
    click.echo(f"已重建索引：{rebuild_index(rt)} 个文档")


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8000, show_default=True, type=click.IntRange(1, 65535))
@click.option("--workers", default=2, show_default=True, type=click.IntRange(1, 64))
@reports_errors
def serve(host: str, port: int, workers: int) -> None:
    """Serve the portal with gunicorn."""
    from portal.server import serve as run_server

    rt = _runtime()
    _require_database(rt)
    click.echo(f"门户已启动：http://{host}:{port}/  （Ctrl+C 停止）")
    run_server(host=host, port=port, workers=workers)


@main.command("settings")
def show_settings() -> None:
    """Print every setting with its environment variable, default and help."""
    for fld in setting_fields():
        default = fld.default if fld.default != "" else "(empty)"
        click.echo(f"{ENV_PREFIX}{fld.name.upper()}  default: {default}")
        click.echo(f"    {fld.metadata['help']}")


@main.group()
def quarantine() -> None:
    """Datasets held back because they contain personal information."""


@quarantine.command("list")
@reports_errors
def quarantine_list() -> None:
    """List quarantined datasets with the scanner's findings (examples are masked) and the
    files held for a confirmation (人工确认), with their resource ids and reasons."""
    from datasets.accounts.permissions import command_line_actor
    from datasets.openness.curation import quarantine_list as list_items

    rt = _runtime()
    _require_database(rt)
    items = list_items(rt, actor=command_line_actor())
    if not items:
        click.echo("隔离区为空。")
        return
    for item in items:
        click.echo(f"{item['name']}  {item['title']}（{item['organization']}）")
        for reason in item["reasons"]:
            click.echo(f"  {reason}")
        for f in item["findings"]:
            rule = item["rules"].get(f["column"], "未设置脱敏规则")
            click.echo(
                f"  - {f['resource']} / {f['column']}: {f['title']} {f['hits']} 处"
                f"（{f['share']:.0%}），示例 {f['example']}；{rule}"
            )
        for held in item["held"]:
            click.echo(f"  待人工确认：{held['name']}（{held['resource_id']}）")
            for reason in held["reasons"]:
                click.echo(f"    {reason}")


@quarantine.command("release")
@click.argument("name")
@click.option("--reason", default="", help="Why the dataset may now be published.")
@reports_errors
def quarantine_release(name: str, reason: str) -> None:
    """Publish quarantined dataset NAME masked, once every personal column has a rule."""
    from datasets.accounts.permissions import command_line_actor
    from datasets.openness.curation import release

    rt = _runtime()
    _require_database(rt)
    result = release(rt, name=name, actor=command_line_actor(), reason=reason)
    click.echo(f"已发布 {result['name']}：脱敏后开放")


@quarantine.command("confirm")
@click.argument("name")
@click.argument("resource_id")
@click.option("--note", default="", help="Why the file holds no personal information.")
@reports_errors
def quarantine_confirm(name: str, resource_id: str, note: str) -> None:
    """Confirm (人工确认) that held file RESOURCE_ID of dataset NAME holds no personal
    information, and publish the dataset again (see quarantine list for the ids)."""
    from datasets.accounts.permissions import command_line_actor
    from datasets.openness.confirmations import confirm_file

    rt = _runtime()
    _require_database(rt)
    result = confirm_file(
        rt, name=name, resource_id=resource_id, note=note, actor=command_line_actor()
    )
    click.echo(result["message"])


@main.group()
def masking() -> None:
    """Masking rules of a dataset's columns."""


@masking.command("set")
@click.argument("name")
@click.argument("column")
@click.argument("policy")
@reports_errors
def masking_set(name: str, column: str, policy: str) -> None:
    """Mask COLUMN of dataset NAME with POLICY ('' removes the rule)."""
    from datasets.accounts.permissions import command_line_actor
    from datasets.openness.curation import set_masking_rules

    rt = _runtime()
    _require_database(rt)
    rules = set_masking_rules(rt, name=name, rules={column: policy}, actor=command_line_actor())
    for col, pol in sorted(rules.items()):
        click.echo(f"{col}: {pol}")


@masking.command("policies")
def masking_policies() -> None:
    """List the masking policies."""
    from datasets.openness.curation import policy_choices

    for p in policy_choices():
        click.echo(f"{p['code']:<16} {p['technique']:<17} {p['title']}")


@main.command()
@click.argument("name")
@click.option(
    "--openness", required=True, type=click.Choice(["unconditional", "conditional", "closed"])
)
@click.option("--rule", default=None, help="Exclusion rule code (for closed).")
@click.option("--basis", default=None, help="Written legal basis (for closed).")
@click.option("--reason", required=True, help="Why the class changes (kept in the history).")
@reports_errors
def reclassify(name: str, openness: str, rule: str | None, basis: str | None, reason: str) -> None:
    """Give dataset NAME another openness class; later harvests keep it."""
    from datasets.accounts.permissions import command_line_actor
    from datasets.openness.curation import reclassify as do_reclassify

    rt = _runtime()
    _require_database(rt)
    result = do_reclassify(
        rt,
        name=name,
        openness=openness,
        rule=rule,
        basis=basis,
        reason=reason,
        actor=command_line_actor(),
    )
    click.echo(f"{result['name']}：{result['openness']}（{result['state']}）")


@main.group()
def user() -> None:
    """Accounts."""


@user.command("add")
@click.argument("name")
@click.option(
    "--role",
    required=True,
    type=click.Choice(["citizen", "company", "reviewer", "bureau", "operator"]),
)
@click.option("--department", default=None, help="The department's organization.name.")
@click.option("--display-name", default="", help="Name shown in the portal.")
@click.option("--org-name", "--company-name", "company_name", default=None, help="企业名称.")
@click.option("--credit-code", default=None, help="统一社会信用代码 (GB 32100, 18 characters).")
@click.option("--legal-representative", default=None, help="法定代表人.")
@click.option("--email", default=None, help="E-mail address.")
@click.option("--phone", default=None, help="Telephone number.")
@click.option("--password-stdin", is_flag=True, help="Read the password from standard input.")
@reports_errors
def user_add(
    name: str,
    role: str,
    department: str | None,
    display_name: str,
    company_name: str | None,
    credit_code: str | None,
    legal_representative: str | None,
    email: str | None,
    phone: str | None,
    password_stdin: bool,
) -> None:
    """Create account NAME (asks for the password unless --password-stdin).

    Company accounts need --org-name, --credit-code, --legal-representative and --phone or
    --email.
    """
    from datasets.accounts.creditcode import check
    from datasets.accounts.users import create_user
    from datasets.errors import ValidationError

    rt = _runtime()
    _require_database(rt)
    if credit_code is not None and (problem := check(credit_code)) is not None:
        raise KaifangError(f"统一社会信用代码 {credit_code} 无效：{problem}")  # before the prompt
    if password_stdin:
        password = sys.stdin.readline().rstrip("\n")
    else:
        password = click.prompt("密码", hide_input=True, confirmation_prompt="再次输入密码")
    try:
        created = create_user(
            rt,
            name=name,
            role=role,
            password=password,
            display_name=display_name,
            department=department,
            email=email,
            phone=phone,
            company_name=company_name,
            credit_code=credit_code,
            legal_representative=legal_representative,
        )
    except ValidationError as exc:  # every problem on the one line, not only the first
        problems = [m for messages in exc.errors.values() for m in messages] or [exc.message]
        raise KaifangError("；".join(dict.fromkeys(problems))) from None
    click.echo(f"已创建用户 {created['name']}（{created['role']}）")


@user.command("token")
@click.argument("name")
@click.option("--label", default="", help="What the key is for (shown in the key list).")
@reports_errors
def user_token(name: str, label: str) -> None:
    """Create an API key for user NAME and print it as the last line (shown only this once)."""
    from datasets.accounts.keys import create_api_key

    rt = _runtime()
    _require_database(rt)
    created = create_api_key(rt, user_name=name, label=label)
    click.echo(f"已为用户 {name} 创建 API 密钥（前缀 {created['prefix']}）。密钥只显示这一次：")
    click.echo(created["key"])


@user.command("list")
@reports_errors
def user_list() -> None:
    """List accounts: name, role, department or company."""
    from datasets.accounts.users import list_users

    rt = _runtime()
    _require_database(rt)
    rows = list_users(rt)
    if not rows:
        click.echo("还没有用户。用 kaifang user add 添加。")
        return
    for row in rows:
        where = row["department"] or row["company_name"] or ""
        state = "" if row["active"] else "  （已停用）"
        click.echo(f"{row['name']:<24} {row['role']:<9} {where}{state}".rstrip())


@main.group()
def services() -> None:
    """Public services: the daily sweep (deadlines, grants, e-mail)."""


@services.command("sweep")
@reports_errors
def services_sweep() -> None:
    """Flag overdue cases, expire or suspend grants that are due, and mail pending notices.

    Run it daily (cron); it is safe to run more often: a case is flagged once per deadline.
    """
    from datasets.notify.mail import send_pending
    from datasets.workflows import grants
    from datasets.workflows.overdue import flag_overdue

    rt = _runtime()
    _require_database(rt)
    late = flag_overdue(rt)
    click.echo(
        f"逾期事项：新标记 {late['flagged']} 件（当前逾期共 {late['overdue']} 件），"
        f"发出通知 {late['notices']} 条"
    )
    swept = grants.sweep(rt)
    click.echo(
        f"授权：到期 {swept.get('expired', 0)} 个，暂停 {swept.get('suspended', 0)} 个，"
        f"字段变化待确认范围 {swept.get('needs_confirmation', 0)} 个"
    )
    mail = send_pending(rt)
    if not rt.settings.smtp_host:
        click.echo(f"邮件：未配置 SMTP 服务器（{ENV_PREFIX}SMTP_HOST），{mail['skipped']} 条待发")
    else:
        left = f"，{mail['left']} 封留待下次" if mail["left"] else ""
        click.echo(f"邮件：发送 {mail['sent']} 封，失败 {mail['failed']} 封{left}")


@main.group()
def audit() -> None:
    """The audit log (classification changes, publications, decisions, grants …)."""


@audit.command("export")
@click.option("--since", default=None, help="First day (YYYY-MM-DD, Asia/Shanghai) or time.")
@click.option("--until", default=None, help="Last day (YYYY-MM-DD, included) or time.")
@click.option("--action", default=None, help="Only this action, or a prefix ending in *.")
@click.option(
    "--output",
    "-o",
    type=click.Path(dir_okay=False, writable=True),
    default=None,
    help="CSV file to write (default: standard output).",
)
@reports_errors
def audit_export(
    since: str | None, until: str | None, action: str | None, output: str | None
) -> None:
    """Export the audit log as CSV (UTF-8 with BOM; times in UTC)."""
    from datasets.accounts.permissions import command_line_actor
    from datasets.workflows.transparency import audit_csv

    rt = _runtime()
    _require_database(rt)
    lines = audit_csv(rt, command_line_actor(), since=since, until=until, action=action)
    if output is None:
        with click.open_file("-", "wb") as stream:
            for chunk in lines:
                stream.write(chunk)
        return
    count = -1  # the header is not a row
    with open(output, "wb") as handle:
        for chunk in lines:
            handle.write(chunk)
            count += 1
    click.echo(f"已导出 {count} 条审计记录到 {output}", err=True)
