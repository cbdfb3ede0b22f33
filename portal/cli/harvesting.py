"""Sources, harvests, quality scores and the search index."""

from __future__ import annotations

import sys
from collections.abc import Callable

import click

from datasets.errors import KaifangError
from portal.cli.common import main, reports_errors, require_database, runtime


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
    rt = runtime()
    require_database(rt)
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

    rt = runtime()
    require_database(rt)
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

    rt = runtime()
    require_database(rt)
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

    rt = runtime()
    require_database(rt)
    click.echo(f"已更新 {refresh_quality(rt)} 个数据集的质量评分")


@main.group()
def index() -> None:
    """Maintain the search index."""


@index.command("sync")
@reports_errors
def index_sync() -> None:
    """Bring the search index in line with the database."""
    from datasets.search.indexing import sync_index

    rt = runtime()
    require_database(rt)
    click.echo(f"已更新 {sync_index(rt)} 个索引文档")


@index.command("rebuild")
@reports_errors
def index_rebuild() -> None:
    """Drop the search index and build it again from the database."""
    from datasets.search.indexing import rebuild_index

    rt = runtime()
    require_database(rt)
    click.echo(f"已重建索引：{rebuild_index(rt)} 个文档")
