"""``kaifang backup``: one archive of the instance — the database (a consistent snapshot), the
files store with its modes, the key files, configured files outside the instance — written
under a temporary name, readable by its owner only, and renamed into place when complete."""

from __future__ import annotations

import io
import os
import secrets
import shutil
import stat
import tarfile
import tempfile
from dataclasses import dataclass, field
from datetime import datetime
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import IO

from datasets.backup import databases as db
from datasets.backup.databases import BackupError
from datasets.backup.manifest import (
    DUMP_MEMBER,
    MANIFEST,
    SHANGHAI,
    SQLITE_MEMBER,
    HashingReader,
    Manifest,
    Member,
)
from datasets.runtime import Runtime

# the instance's scratch space (harvest staging, partial uploads) and an unfinished restore
SKIPPED_TOP = ("tmp",)
SKIPPED_PREFIX = (".restore-",)
# settings naming a file of the instance's configuration (kept when outside the instance)
CONFIG_FILES = ("legal_text", "search_synonyms", "holiday_table")
KEY_FILES = ("secret_key", "masking_key")


@dataclass
class Written:
    """What a backup holds, for the command's report."""

    path: Path
    manifest: Manifest
    skipped: list[str] = field(default_factory=list)


def portal_version() -> str:
    try:
        return version("kaifang")
    except PackageNotFoundError:
        return "0"


def target_of(out: Path, now: datetime) -> Path:
    """``out`` itself, or a dated archive inside it when it is a folder; never an existing file."""
    if out.is_dir():
        out = out / f"kaifang-backup-{now.astimezone(SHANGHAI):%Y%m%d-%H%M%S}.tar"
    if out.exists() or out.is_symlink():
        raise BackupError(f"{out.name} 已存在：请换一个文件名，备份不会覆盖已有文件")
    if not out.parent.is_dir():
        raise BackupError(f"备份的目标目录不存在：{out.parent.name}")
    return out


def _outside(rt: Runtime, target: Path) -> None:
    if target.parent.resolve().is_relative_to(rt.paths.root):
        raise BackupError(
            "备份不能写在实例目录之内：请写到另一个目录（最好是另一块磁盘或另一台机器）"
        )


class _Writer:
    def __init__(self, tar: tarfile.TarFile, manifest: Manifest) -> None:
        self.tar = tar
        self.manifest = manifest

    def add(self, name: str, path: Path, mode: int) -> None:
        info = tarfile.TarInfo(name)
        with path.open("rb") as handle:
            info.size = os.fstat(handle.fileno()).st_size
            info.mode = mode & 0o777
            info.mtime = int(os.fstat(handle.fileno()).st_mtime)
            reader = HashingReader(handle)
            try:
                self.tar.addfile(info, reader)
            except OSError as exc:
                raise BackupError(
                    f"写入 {name} 失败（文件在备份过程中被改动，或磁盘已满）：{exc}"
                ) from None
        if reader.size != info.size:
            raise BackupError(f"{name} 在备份过程中被改动，请重试")
        self.manifest.members.append(Member(name, info.size, reader.digest.hexdigest(), info.mode))

    def add_bytes(self, name: str, data: bytes) -> None:
        info = tarfile.TarInfo(name)
        info.size = len(data)
        info.mode = 0o600
        info.mtime = int(datetime.now().timestamp())
        self.tar.addfile(info, io.BytesIO(data))


def _database(rt: Runtime, writer: _Writer, work: Path) -> Path | None:
    """The database member; the SQLite file it came from (left out of the instance walk)."""
    if writer.manifest.database == "sqlite":
        source = db.sqlite_path(rt)
        if not source.is_file():
            raise BackupError("数据库文件不存在：请先运行 kaifang init")
        snapshot = work / "kaifang.sqlite"
        db.snapshot_sqlite(source, snapshot)
        writer.add(SQLITE_MEMBER, snapshot, 0o600)
        snapshot.unlink()
        return source
    dump = work / "kaifang.dump"
    writer.manifest.extra.update(db.dump_postgres(rt, dump))
    writer.add(DUMP_MEMBER, dump, 0o600)
    dump.unlink()
    return None


def _skipped_at_top(name: str) -> bool:
    return name in SKIPPED_TOP or name.startswith(SKIPPED_PREFIX)


def _side_file(path: Path) -> bool:
    """A journal or WAL file beside a SQLite database (its content is in the snapshot)."""
    for suffix in db.SIDE_FILES:
        if path.name.endswith(suffix):
            return db.is_sqlite_file(path.with_name(path.name.removesuffix(suffix)))
    return False


def _instance(rt: Runtime, writer: _Writer, work: Path, database: Path | None) -> list[str]:
    """Every regular file under the instance folder (SQLite files through the backup API),
    folders with their modes; symbolic links and special files are left out and named."""
    root = rt.paths.root
    skipped: list[str] = []
    side = {database.with_name(database.name + s) for s in db.SIDE_FILES} if database else set()
    if not root.is_dir():
        return skipped
    writer.manifest.directories["instance"] = stat.S_IMODE(root.stat().st_mode)
    for folder, dirs, files in os.walk(root):
        here = Path(folder)
        if here == root:
            dirs[:] = [d for d in dirs if not _skipped_at_top(d)]
        dirs.sort()
        for name in dirs:
            path = here / name
            relative = "instance/" + path.relative_to(root).as_posix()
            if path.is_symlink():
                skipped.append(relative)
                continue
            writer.manifest.directories[relative] = stat.S_IMODE(path.stat().st_mode)
        dirs[:] = [d for d in dirs if not (here / d).is_symlink()]
        for name in sorted(files):
            path = here / name
            relative = "instance/" + path.relative_to(root).as_posix()
            if path == database or path in side or _side_file(path):
                continue
            info = path.lstat()
            if not stat.S_ISREG(info.st_mode):
                skipped.append(relative)
                continue
            if db.is_sqlite_file(path):
                snapshot = work / f"part-{secrets.token_hex(8)}"
                db.snapshot_sqlite(path, snapshot)
                writer.add(relative, snapshot, stat.S_IMODE(info.st_mode))
                snapshot.unlink()
            else:
                writer.add(relative, path, stat.S_IMODE(info.st_mode))
    return skipped


def _configuration(rt: Runtime, writer: _Writer) -> None:
    root = rt.paths.root
    for setting in CONFIG_FILES:
        value = getattr(rt.settings, setting)
        if not value:
            continue
        path = Path(value).expanduser().resolve()
        if path.is_file() and not path.is_relative_to(root):
            writer.add(f"config/{setting}/{path.name}", path, stat.S_IMODE(path.stat().st_mode))


def _keys(rt: Runtime) -> dict[str, str]:
    """Where each key lives: the instance folder (in the archive) or a setting (not in it)."""
    found = {}
    for key in KEY_FILES:
        if getattr(rt.settings, key):
            found[key] = "setting"
        else:
            found[key] = "instance" if (rt.paths.root / key).is_file() else "none"
    return found


def _archive(
    rt: Runtime, handle: IO[bytes], manifest: Manifest, work: Path, compressed: bool
) -> list[str]:
    pax = tarfile.PAX_FORMAT
    with (
        tarfile.open(fileobj=handle, mode="w|gz", format=pax)
        if compressed
        else tarfile.open(fileobj=handle, mode="w|", format=pax)
    ) as tar:
        writer = _Writer(tar, manifest)
        database = _database(rt, writer, work)
        skipped = _instance(rt, writer, work, database)
        _configuration(rt, writer)
        manifest.keys = _keys(rt)
        writer.add_bytes(MANIFEST, manifest.to_bytes())
    return skipped


def _revision(rt: Runtime) -> str:
    """The database's migration revision; never creates a database that is not there."""
    from sqlalchemy.exc import SQLAlchemyError

    from datasets.database import current_revision

    if db.kind(rt) == "sqlite" and not db.sqlite_path(rt).is_file():
        raise BackupError("数据库文件不存在：没有可备份的实例")
    try:
        revision = current_revision(rt)
    except SQLAlchemyError as exc:
        raise BackupError(f"数据库无法连接：{exc}") from None
    if revision is None:
        raise BackupError("数据库尚未初始化，没有可备份的内容")
    return revision


def write_backup(rt: Runtime, out: Path) -> Written:
    """Write the archive (``.tar``, or gzip-compressed for ``.tar.gz``/``.tgz``)."""
    manifest = Manifest(portal_version(), _revision(rt), db.kind(rt))
    target = target_of(out, datetime.now(SHANGHAI))
    _outside(rt, target)
    part = target.with_name(f".{target.name}.part-{secrets.token_hex(6)}")
    work = Path(tempfile.mkdtemp(prefix=".kaifang-backup-", dir=target.parent))
    try:
        fd = os.open(part, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as handle:
            skipped = _archive(rt, handle, manifest, work, target.name.endswith((".gz", ".tgz")))
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(part, 0o600)
        os.replace(part, target)
    finally:
        part.unlink(missing_ok=True)
        shutil.rmtree(work, ignore_errors=True)
    return Written(target, manifest, skipped)
