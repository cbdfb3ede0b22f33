"""Backing up and restoring an instance: ``backup``, ``restore``."""

from __future__ import annotations

from pathlib import Path

import click

from portal.cli.common import main, reports_errors, runtime

_KEY_NAMES = {"secret_key": "SECRET_KEY", "masking_key": "MASKING_KEY"}


def _megabytes(size: int) -> str:
    return f"{size / 1024 / 1024:.1f} MB"


@main.command()
@click.argument("out", type=click.Path(path_type=Path))
@reports_errors
def backup(out: Path) -> None:
    """Write a backup of the instance to OUT (an archive .tar or .tar.gz, or a folder to write
    a dated archive into): the database, files, keys. The archive holds private data and
    secrets and is readable by its owner only."""
    from datasets.backup.archive import write_backup

    rt = runtime()
    try:
        written = write_backup(rt, out)
    finally:
        rt.close()
    manifest = written.manifest
    click.echo(
        f"备份已写入：{written.path.name}（{len(manifest.members)} 个成员，"
        f"{_megabytes(manifest.total_bytes)}，数据库 {manifest.database}，"
        f"迁移版本 {manifest.revision}，仅所有者可读）"
    )
    for name in written.skipped:
        click.echo(f"注意：{name} 不是普通文件（符号链接或特殊文件），未备份", err=True)
    for key, where in manifest.keys.items():
        if where == "setting":
            click.echo(
                f"注意：密钥由 KAIFANG_{_KEY_NAMES[key]} 设置提供，不在备份中；"
                "恢复后的实例须使用同一设置",
                err=True,
            )


@main.command()
@click.argument("archive", type=click.Path(path_type=Path))
@click.option("--force", is_flag=True, help="Replace everything in a non-empty instance folder.")
@click.option(
    "--privileges",
    is_flag=True,
    help="PostgreSQL: restore the GRANTs too (the roles they name must exist on this server).",
)
@reports_errors
def restore(archive: Path, force: bool, privileges: bool) -> None:
    """Restore ARCHIVE (made by kaifang backup) into an empty instance; every member's SHA-256
    is checked before anything is written. An older archive is migrated up afterwards."""
    from datasets.backup.restore import restore_backup

    rt = runtime()
    try:
        restored = restore_backup(rt, archive, force=force, privileges=privileges)
    finally:
        rt.close()
    manifest = restored.manifest
    migrated = (
        f"，已从迁移版本 {restored.migrated_from} 升级到最新版本" if restored.migrated_from else ""
    )
    click.echo(
        f"恢复完成：{len(manifest.members)} 个成员，{_megabytes(manifest.total_bytes)}，"
        f"备份时间 {manifest.created}，数据库 {manifest.database}{migrated}"
    )
    for key, where in manifest.keys.items():
        if where == "setting":
            click.echo(
                f"注意：备份时密钥由 KAIFANG_{_KEY_NAMES[key]} 设置提供：请为本实例设置同一值",
                err=True,
            )
    if manifest.database == "postgresql" and not privileges:
        click.echo(
            "注意：数据库对象归执行恢复的角色所有，授权未恢复：如使用 datastore_search_sql 的"
            "只读角色，请重新执行其 GRANT 语句（或以 --privileges 恢复授权）",
            err=True,
        )
