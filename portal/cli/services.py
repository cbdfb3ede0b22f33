"""The public services' sweep (deadlines, notices, mail) and the audit log export."""

from __future__ import annotations

import click

from datasets.settings import ENV_PREFIX
from portal.cli.common import main, reports_errors, require_database, runtime, write_csv


@main.group()
def services() -> None:
    """Public services: the daily sweep (deadlines, grants, periodic reviews, e-mail)."""


@services.command("sweep")
@reports_errors
def services_sweep() -> None:
    """Flag overdue cases, expire or suspend grants that are due, open the periodic reviews that
    are due, and mail pending notices.

    Run it daily (cron); it is safe to run more often: a case is flagged once per deadline.
    """
    from datasets.notify.mail import send_pending
    from datasets.workflows import grants, reviews
    from datasets.workflows.grant_usage import count_overdue_reports
    from datasets.workflows.overdue import flag_overdue
    from portal.cli.terms import echo_recomputed

    rt = runtime()
    require_database(rt)
    echo_recomputed(rt)  # before flagging: a moved deadline may no longer be overdue
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
    due = reviews.open_due_reviews(rt)
    click.echo(f"定期评估审查：新启动 {due['opened']} 件（进行中共 {due['open']} 件）")
    click.echo(f"使用情况报告：逾期未报送 {count_overdue_reports(rt)} 份")
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
@click.option("--output", "-o", default=None, help="CSV file to write (default: standard output).")
@reports_errors
def audit_export(
    since: str | None, until: str | None, action: str | None, output: str | None
) -> None:
    """Export the audit log as CSV (UTF-8 with BOM; times in UTC)."""
    from datasets.accounts.permissions import command_line_actor
    from datasets.workflows.transparency.audit_log import audit_csv

    rt = runtime()
    require_database(rt)
    actor = command_line_actor()
    count = write_csv(output, lambda: audit_csv(rt, actor, since=since, until=until, action=action))
    if count is not None:
        click.echo(f"已导出 {count} 条审计记录到 {output}", err=True)
