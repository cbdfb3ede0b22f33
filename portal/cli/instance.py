"""Setting up and serving: ``init``, ``serve``, ``settings``."""

from __future__ import annotations

import click

from datasets.settings import ENV_PREFIX, setting_fields
from portal.cli.common import main, reports_errors, require_database, runtime


@main.command()
@reports_errors
def init() -> None:
    """Create the instance folder and the database tables (safe to run again)."""
    from datasets.database import upgrade
    from datasets.search.indexing import sync_index

    rt = runtime()
    rt.paths.root.mkdir(parents=True, exist_ok=True)
    upgrade(rt)
    rt.secret_key()
    rt.masking_key()
    changed = sync_index(rt)  # also rebuilds an index of an older schema version
    note = f"，索引更新 {changed} 条" if changed else ""
    click.echo(f"实例已就绪：{rt.paths.root.name}（数据库已升级到最新版本{note}）")


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8000, show_default=True, type=click.IntRange(1, 65535))
@click.option("--workers", default=2, show_default=True, type=click.IntRange(1, 64))
@reports_errors
def serve(host: str, port: int, workers: int) -> None:
    """Serve the portal: gunicorn's processes, waitress's connections (slow clients hold no
    worker thread)."""
    from portal.server import serve as run_server

    rt = runtime()
    require_database(rt)
    click.echo(f"门户已启动：http://{host}:{port}/  （Ctrl+C 停止）")
    run_server(host=host, port=port, workers=workers, log_format=rt.settings.log_format)


@main.command("settings")
def show_settings() -> None:
    """Print every setting with its environment variable, default and help."""
    for fld in setting_fields():
        default = fld.default if fld.default != "" else "(empty)"
        click.echo(f"{ENV_PREFIX}{fld.name.upper()}  default: {default}")
        click.echo(f"    {fld.metadata['help']}")
