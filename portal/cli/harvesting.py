"""Sources, harvests, quality scores and the search index."""

from __future__ import annotations

import logging
import sys
from collections.abc import Callable
from typing import TYPE_CHECKING

import click

from datasets.errors import KaifangError
from portal.cli.common import main, reports_errors, require_database, runtime

if TYPE_CHECKING:
    from datasets.runtime import Runtime
    from datasets.settings import Settings
    from harvester.base import SourceConfig


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
    """List harvest sources with their last job (times in Asia/Shanghai)."""
    from harvester.history import STATUS_TITLES
    from harvester.sources import list_sources
    from portal.filters import shanghai_time

    rt = runtime()
    require_database(rt)
    rows = list_sources(rt)
    if not rows:
        click.echo("还没有来源。用 kaifang source add 添加。")
        return
    for row in rows:
        last = row["last_job"]
        status = (
            f"{STATUS_TITLES.get(last['status'], last['status'])} {shanghai_time(last['started'])}"
            if last
            else "从未采集"
        )
        click.echo(
            f"{row['name']:<24} {row['kind']:<12} {row['datasets']:>5} 个数据集  "
            f"{status}  {row['location']}"
        )


@main.command()
@click.argument("names", nargs=-1)
@click.option("--dry-run", is_flag=True, help="Show what would change; change nothing.")
@click.option("--due", is_flag=True, help="Only the sources whose frequency makes them due (cron).")
@click.option(
    "--queue",
    "queued",
    is_flag=True,
    help="Enqueue one job per source for kaifang worker and return at once (needs Redis).",
)
@reports_errors
def harvest(names: tuple[str, ...], dry_run: bool, due: bool, queued: bool) -> None:
    """Harvest the named sources (all sources when none is named)."""
    from harvester.sources import due_sources, get_sources

    rt = runtime()
    require_database(rt)
    if due and names:
        raise KaifangError("--due 与来源名称不能同时使用")
    if queued and dry_run:
        raise KaifangError("--dry-run 不能与 --queue 同时使用：预演只在本进程运行")
    if due:
        sources = due_sources(rt)
        if not sources:
            click.echo("没有到期需要采集的来源。")
            return
    else:
        sources = get_sources(rt, list(names))
    if not sources:
        raise KaifangError("没有可采集的来源。用 kaifang source add 添加。")
    if queued:
        _enqueue(rt.settings, sources)
    else:
        _harvest_here(rt, sources, dry_run=dry_run)


def _enqueue(settings: Settings, sources: list[SourceConfig]) -> None:
    from harvester.queue import enqueue

    for entry in enqueue(settings, sources):
        if entry.new:
            click.echo(f"{entry.source}：已加入队列 {settings.harvest_queue}，任务 {entry.job_id}")
        else:
            click.echo(f"{entry.source}：已在队列中等待，任务 {entry.job_id}（未重复加入）")


def _harvest_here(rt: Runtime, sources: list[SourceConfig], *, dry_run: bool) -> None:
    """Harvest in this process, printing each source's summary as it ends; SIGTERM or Ctrl+C
    marks the running job interrupted and exits with 128 + the signal's number."""
    from harvester.history import OUTCOME_TITLES
    from harvester.interrupts import Interrupted, interruptible
    from harvester.jobs import JobResult, run_harvest

    progress = _progress_printer() if sys.stderr.isatty() else None
    failed = False

    def report(result: JobResult) -> None:
        nonlocal failed
        if progress:
            click.echo("", err=True)
        click.echo(("[预演] " if dry_run else "") + result.summary())
        for outcome, identifier, message in result.changes:
            if outcome == "errored" or dry_run:
                title = OUTCOME_TITLES.get(outcome, outcome)
                click.echo(f"  {title} {identifier}" + (f"：{message}" if message else ""))
        failed = failed or result.status == "failed"

    try:
        with interruptible():
            run_harvest(rt, sources, dry_run=dry_run, progress=progress, report=report)
    except Interrupted as exc:
        if progress:
            click.echo("", err=True)
        click.echo(f"错误：{exc.message}；该来源的任务已标记为失败", err=True)
        sys.exit(exc.exit_status)
    if failed:
        sys.exit(1)


@main.command()
@click.option("--burst", is_flag=True, help="Exit once the queue is empty (tests, cron).")
@reports_errors
def worker(burst: bool) -> None:
    """Run the harvest jobs of the queue (an RQ worker; run as many as needed, on any host).

    SIGTERM or Ctrl+C: finish the current job, then exit; a second one: stop the current job
    (marked interrupted) and exit."""
    from harvester.queue import make_worker

    rt = runtime()
    require_database(rt)
    rt.close()  # the worker forks a process per job: it keeps no database connection
    harvest_worker = make_worker(rt.settings)
    _log_jobs()
    click.echo(
        f"采集 worker {harvest_worker.name} 已启动，队列 {rt.settings.harvest_queue}"
        + ("（队列清空后退出）" if burst else "（Ctrl+C 或 SIGTERM：做完当前任务后退出）")
    )
    sys.stdout.flush()  # or each forked work horse would write it out again
    harvest_worker.work(burst=burst, logging_level="WARNING")


def _log_jobs() -> None:
    """One line per finished job on stdout (the work horses inherit it)."""
    handler = logging.StreamHandler(sys.stdout)
    handler.setFormatter(logging.Formatter("%(asctime)s %(message)s", "%H:%M:%S"))
    logger = logging.getLogger("harvester.queue")
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    logger.propagate = False


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
@click.option(
    "--packages",
    is_flag=True,
    help="Also make every stored package again from its dataset (after an upgrade that "
    "changes what a package holds).",
)
@reports_errors
def index_rebuild(packages: bool) -> None:
    """Cut every search row's words again (after a change of the tokenizer, its dictionary or
    the synonym table's folding)."""
    from datasets.search.indexing import rebuild_index

    rt = runtime()
    require_database(rt)
    click.echo(f"已重建索引：{rebuild_index(rt, packages=packages)} 个文档")
