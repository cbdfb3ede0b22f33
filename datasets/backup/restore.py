"""``kaifang restore``: an archive of ``kaifang backup`` into an empty instance.

Every member is checked against the manifest (regular files only, safe names, sizes and
SHA-256) before anything is written; the target must be empty (the instance folder, and on
PostgreSQL the database; ``force`` replaces the folder's contents, never a database's); the
members are unpacked into a scratch folder inside the instance and moved into place only once
the database is restored. An archive of an older migration revision is upgraded afterwards;
one of a newer revision is refused.
"""

from __future__ import annotations

import os
import shutil
import tarfile
import tempfile
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from alembic.script import ScriptDirectory

from datasets.backup import databases as db
from datasets.backup.databases import BackupError
from datasets.backup.manifest import (
    DUMP_MEMBER,
    MANIFEST,
    MANIFEST_MAX_BYTES,
    SQLITE_MEMBER,
    Manifest,
    Member,
    digest_stream,
    parse,
    safe_name,
)
from datasets.database import MIGRATIONS
from datasets.runtime import Runtime

_KINDS = {"sqlite": "SQLite", "postgresql": "PostgreSQL"}
_REGULAR = (tarfile.REGTYPE, tarfile.AREGTYPE)


@dataclass(frozen=True)
class Restored:
    manifest: Manifest
    migrated_from: str | None  # the archive's revision when it was upgraded


@contextmanager
def _members(archive: Path) -> Iterator[Iterator[tuple[tarfile.TarInfo, IO[bytes]]]]:
    """The archive's members in order, read as a stream (no member is ever extracted by tar)."""
    try:
        with tarfile.open(archive, "r|*") as tar:
            yield _checked(tar)
    except (tarfile.TarError, EOFError, zlib.error, OSError) as exc:
        raise BackupError(f"备份文件已损坏或不是本门户的备份（{exc}），拒绝恢复") from None


def _checked(tar: tarfile.TarFile) -> Iterator[tuple[tarfile.TarInfo, IO[bytes]]]:
    for info in tar:
        if info.type not in _REGULAR:
            raise BackupError(
                f"备份中含有不允许的成员 {info.name!r}（符号链接、硬链接、设备或目录），拒绝恢复"
            )
        if info.name != MANIFEST and not safe_name(info.name):
            raise BackupError(f"备份中含有不安全的路径 {info.name!r}（绝对路径或含 ..），拒绝恢复")
        handle = tar.extractfile(info)
        assert handle is not None  # a regular file's
        yield info, handle


def verify(archive: Path) -> Manifest:
    """Read the whole archive once, writing nothing: the manifest, and every member's size and
    SHA-256 against it. A damaged, incomplete or tampered archive is refused."""
    if not archive.is_file():
        raise BackupError("备份文件不存在")
    seen: dict[str, tuple[str, int]] = {}
    data: bytes | None = None
    with _members(archive) as members:
        for info, handle in members:
            if data is not None:
                raise BackupError("备份清单之后还有成员：备份已被改动，拒绝恢复")
            if info.name == MANIFEST:
                if info.size > MANIFEST_MAX_BYTES:
                    raise BackupError("备份清单过大，拒绝恢复")
                data = handle.read()
                continue
            if info.name in seen:
                raise BackupError(f"备份中成员 {info.name} 重复，拒绝恢复")
            seen[info.name] = digest_stream(handle, info.size)
    if data is None:
        raise BackupError("备份中没有清单（manifest.json）：备份不完整或已损坏，拒绝恢复")
    manifest = parse(data)
    expected = {m.name: m for m in manifest.members}
    for name in sorted(set(expected) ^ set(seen)):
        where = "清单中有而备份中没有" if name in expected else "备份中有而清单中没有"
        raise BackupError(f"成员 {name} {where}：备份不完整或已损坏，拒绝恢复")
    for name, (digest, size) in seen.items():
        if size != expected[name].size or digest != expected[name].sha256:
            raise BackupError(f"成员 {name} 的 SHA-256 与清单不符：备份已损坏，拒绝恢复")
    database = SQLITE_MEMBER if manifest.database == "sqlite" else DUMP_MEMBER
    if database not in expected:
        raise BackupError("备份中没有数据库：备份不完整，拒绝恢复")
    return manifest


def revision_check(manifest: Manifest) -> str | None:
    """None when the archive is of the newest revision, its revision when it is older;
    refuses one this program does not know (a newer portal's)."""
    script = ScriptDirectory(str(MIGRATIONS))
    head = script.get_current_head()
    known = {s.revision for s in script.walk_revisions()}
    if manifest.revision not in known:
        raise BackupError(
            f"备份来自更新的门户版本（迁移版本 {manifest.revision}，本程序最高为 {head}）："
            "请先升级门户再恢复"
        )
    return None if manifest.revision == head else manifest.revision


def _target_checks(rt: Runtime, manifest: Manifest, force: bool) -> None:
    kind = db.kind(rt)
    if manifest.database != kind:
        raise BackupError(
            f"备份来自 {_KINDS[manifest.database]} 数据库，本实例使用 {_KINDS[kind]}："
            "不能跨数据库种类恢复"
        )
    root = rt.paths.root
    occupied = root.is_dir() and any(root.iterdir())
    if kind == "sqlite" and not sqlite_inside(rt):
        occupied = occupied or db.sqlite_path(rt).exists()
    if occupied and not force:
        raise BackupError(
            "目标实例不是空的（实例目录中已有文件或数据库）：恢复只写入新的空实例；"
            "确需用备份替换其中的全部内容，请加 --force"
        )
    if root.exists() and not root.is_dir():
        raise BackupError("实例目录的位置上是一个文件")
    if kind == "postgresql" and not db.postgres_is_empty(rt):
        raise BackupError(
            "目标数据库不是空的：恢复只写入空数据库。请用 createdb 新建一个数据库并将 "
            "KAIFANG_DATABASE_URL 指向它（--force 不会清空数据库）"
        )
    free = shutil.disk_usage(root if root.is_dir() else _existing_parent(root)).free
    if free < manifest.total_bytes:
        raise BackupError(f"磁盘空间不足：恢复需要 {manifest.total_bytes} 字节，可用 {free} 字节")


def sqlite_inside(rt: Runtime) -> bool:
    return db.sqlite_path(rt).is_relative_to(rt.paths.root)


def _existing_parent(path: Path) -> Path:
    while not path.exists():
        path = path.parent
    return path


def _unpack(archive: Path, manifest: Manifest, staging: Path) -> None:
    """Write each member under ``staging``, bounded by its size in the manifest and checked
    again as it is written (the archive may have changed since it was verified)."""
    expected = {m.name: m for m in manifest.members}
    with _members(archive) as members:
        for info, handle in members:
            if info.name == MANIFEST:
                continue
            member = expected.get(info.name)
            if member is None:
                raise BackupError(f"成员 {info.name} 不在清单中：备份已被改动，拒绝恢复")
            _write_member(handle, member, staging)


def _write_member(handle: IO[bytes], member: Member, staging: Path) -> None:
    target = staging.joinpath(*member.name.split("/"))
    if not target.resolve().is_relative_to(staging.resolve()):
        raise BackupError(f"备份中含有不安全的路径 {member.name!r}，拒绝恢复")
    target.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0)
    try:
        fd = os.open(target, flags, 0o600)
        with os.fdopen(fd, "wb") as out:
            digest, size = digest_stream(handle, member.size, out)
            out.flush()
            os.fsync(out.fileno())
    except OSError as exc:  # the disk full, or the archive changed since it was checked
        raise BackupError(f"恢复 {member.name} 失败：{exc.strerror or exc}") from None
    if size != member.size or digest != member.sha256:
        raise BackupError(f"成员 {member.name} 在校验后被改动：拒绝恢复")
    os.chmod(target, member.mode)


def _database(rt: Runtime, manifest: Manifest, staging: Path, privileges: bool) -> Path | None:
    """Restore PostgreSQL (all or nothing) or check the SQLite file; the staged SQLite file."""
    if manifest.database == "postgresql":
        major = int(manifest.extra.get("pg_dump_major") or 0)
        db.restore_postgres(rt, staging / DUMP_MEMBER, major, privileges=privileges)
        return None
    staged = staging / SQLITE_MEMBER
    db.check_sqlite(staged)
    return staged


def _clear(root: Path, keep: Path) -> None:
    for entry in root.iterdir():
        if entry == keep:
            continue
        if entry.is_dir() and not entry.is_symlink():
            shutil.rmtree(entry)
        else:
            entry.unlink()


def _place(
    rt: Runtime, manifest: Manifest, staging: Path, staged_db: Path | None, force: bool
) -> None:
    root = rt.paths.root
    if force:
        _clear(root, staging)
    tree = staging / "instance"
    if tree.is_dir():
        for entry in tree.iterdir():
            os.replace(entry, root / entry.name)
    config = staging / "config"
    if config.is_dir():
        (root / "config").mkdir(exist_ok=True, mode=0o700)
        for entry in config.iterdir():
            os.replace(entry, root / "config" / entry.name)
    if staged_db is not None:  # last: the database member is the database, whatever else says
        target = db.sqlite_path(rt)
        db.remove_side_files(target)
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.move(staged_db, target)
    folders = sorted(manifest.directories, key=lambda n: n.count("/"))
    for name in folders:  # empty folders too, made before their modes are set
        root.joinpath(*name.split("/")[1:]).mkdir(exist_ok=True, mode=0o700)
    for name in reversed(folders):
        path = root.joinpath(*name.split("/")[1:])
        if path.is_dir() and not path.is_symlink():
            os.chmod(path, manifest.directories[name])


def restore_backup(
    rt: Runtime, archive: Path, *, force: bool = False, privileges: bool = False
) -> Restored:
    manifest = verify(archive)
    older = revision_check(manifest)
    _target_checks(rt, manifest, force)
    root = rt.paths.root
    created = not root.exists()
    root.mkdir(parents=True, exist_ok=True, mode=0o700)
    staging = Path(tempfile.mkdtemp(prefix=".restore-", dir=root))
    try:
        _unpack(archive, manifest, staging)
        staged_db = _database(rt, manifest, staging, privileges)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        if created:
            shutil.rmtree(root, ignore_errors=True)
        raise
    try:
        _place(rt, manifest, staging, staged_db, force)
    except OSError as exc:
        raise BackupError(f"放置恢复的文件时出错：{exc.strerror or exc}") from None
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    if older:
        _upgrade(rt)
    return Restored(manifest, older)


def _upgrade(rt: Runtime) -> None:
    from datasets.database import upgrade
    from datasets.search.indexing import sync_index

    upgrade(rt)
    sync_index(rt)
