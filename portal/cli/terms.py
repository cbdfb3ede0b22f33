"""Provisional deadlines recomputed after a calendar update, and the sharing catalog (共享目录)
exported for the government sharing platform."""

from __future__ import annotations

import click

from datasets.runtime import Runtime
from portal.cli.common import main, reports_errors, require_database, runtime, write_csv
from portal.cli.services import services


def echo_recomputed(rt: Runtime) -> None:
    """Recompute the provisional deadlines if the calendar changed and say which moved."""
    from datasets.workflows.recompute import recompute

    done = recompute(rt)
    if done.first:
        click.echo("暂定期限：已记录当前节假日安排，今后安排更新时将重新计算")
    elif not done.changed:
        click.echo("暂定期限：节假日安排未变化，无需重新计算")
    else:
        click.echo(
            f"暂定期限：节假日安排已更新，核对办理中的暂定期限 {done.checked} 件，"
            f"调整 {len(done.moved)} 件"
        )
        for moved in done.moved:
            click.echo(f"  {moved.line()}")


@services.command("recompute-deadlines")
@reports_errors
def services_recompute_deadlines() -> None:
    """Recompute provisional deadlines after config/holidays.toml or chinese-calendar changed.

    Lists each case whose receipt day or deadline moved; each also gets a line in its history.
    The daily sweep does the same; the first run only records the calendar.
    """
    rt = runtime()
    require_database(rt)
    echo_recomputed(rt)


@main.group()
def sharing() -> None:
    """The sharing catalog (共享目录) for the government data sharing platform."""


@sharing.command("export")
@click.option("--output", "-o", default=None, help="CSV file to write (default: standard output).")
@reports_errors
def sharing_export(output: str | None) -> None:
    """Export the sharing catalog as CSV (UTF-8 with BOM): 共享属性, 共享条件, 共享方式 and the
    basis of 不予共享 of every published entry."""
    from datasets.accounts.permissions import command_line_actor
    from datasets.catalog.sharing_catalog import sharing_csv

    rt = runtime()
    require_database(rt)
    actor, base_url = command_line_actor(), rt.settings.base_url
    count = write_csv(output, lambda: sharing_csv(rt, actor, base_url=base_url))
    if not base_url:
        click.echo("提示：未设置 KAIFANG_BASE_URL，目录地址是相对地址", err=True)
    if count is None:
        return
    platform = rt.settings.share_platform_url or "（未配置 KAIFANG_SHARE_PLATFORM_URL）"
    click.echo(f"已导出 {count} 条共享目录到 {output}；共享平台：{platform}", err=True)
