"""The openness engine's decisions: quarantine, confirmations, masking, reclassification."""

from __future__ import annotations

import click

from portal.cli.common import main, reports_errors, require_database, runtime


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

    rt = runtime()
    require_database(rt)
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
        for gate in item["gates"]:
            click.echo(f"  未通过发布检查 {gate['code']}：{gate['detail']}")
            click.echo(f"    如何修正：{gate['fix']}")
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

    rt = runtime()
    require_database(rt)
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

    rt = runtime()
    require_database(rt)
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

    rt = runtime()
    require_database(rt)
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

    rt = runtime()
    require_database(rt)
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
