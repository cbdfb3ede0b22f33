"""The static build: ``build-static``."""

from __future__ import annotations

from pathlib import Path

import click

from datasets.errors import KaifangError
from portal.cli.common import main, reports_errors, require_database, runtime


@main.command("build-static")
@click.argument("out", required=False, type=click.Path(file_okay=False, path_type=Path))
@click.option("--base-url", default="", help="网站的公开地址（默认 KAIFANG_BASE_URL）。")
@click.option(
    "--workers", default=0, type=click.IntRange(0, 64), help="渲染进程数（0：每核一个）。"
)
@click.option("--full", is_flag=True, help="全部重新生成，不复用上一版的文件。")
@click.option("--rollback", is_flag=True, help="切回上一版静态站点。")
@reports_errors
def build_static(out: Path | None, base_url: str, workers: int, full: bool, rollback: bool) -> None:
    """Write every public page, its JSON twin and the public files as a static tree in OUT
    (default KAIFANG_STATIC_DIR) and switch OUT/current to it at once."""
    rt = runtime()
    require_database(rt)
    folder = out or (Path(rt.settings.static_dir) if rt.settings.static_dir else None)
    if folder is None:
        raise KaifangError("请指定输出目录 OUT，或设置 KAIFANG_STATIC_DIR")
    if rollback:
        from datasets.publish.rollback import roll_back

        tree, removed = roll_back(rt, folder)
        click.echo(f"已切回上一版静态站点：{tree}（删除已不公开的文件 {removed} 个）")
        return
    from portal.app import create_app
    from portal.publish.build import build

    app = create_app({"ratelimit_enabled": False})  # the build's own requests are not limited
    result = build(
        app, folder, base_url=base_url or rt.settings.base_url, workers=workers, full=full
    )
    click.echo(
        f"静态站点已生成：{folder / 'current'} → {result.tree}，{result.files} 个文件，"
        f"{result.bytes} 字节，新写 {result.rendered} 个，沿用 {result.linked} 个，"
        f"重新生成数据集 {result.datasets_rendered} 个，用时 {result.seconds:.1f} 秒"
    )
    if result.left_to_app:
        click.echo(f"由应用动态响应的页面 {len(result.left_to_app)} 个")
    if not rt.settings.static_dir or Path(rt.settings.static_dir).resolve() != folder.resolve():
        click.echo(
            "提示：KAIFANG_STATIC_DIR 未指向该目录，隐藏数据集时不会立即从静态站点删除其文件"
        )
