"""Content-addressed file storage with two roots kept apart.

The public root holds only files the public may download right now (unconditional data and masked
versions of active datasets; ``datasets.intake.public_root`` keeps it so); the private root holds
every other original and is never served by a public route. A file's key is its SHA-256 plus its
extension, so a file is written once, moved into place atomically, and a crash can only leave
unreferenced files behind (removed by ``collect_garbage``).
"""

from __future__ import annotations

import errno
import hashlib
import os
import re
import shutil
import tempfile
import time
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

PUBLIC = "public"
PRIVATE = "private"
REMOTE = "remote"  # a resource whose file could not be downloaded: no bytes stored
UNMIRRORED_NOTICE = "该文件未能从数据提供方下载（未镜像），暂无法提供，平台将在下次采集时重试"

STORAGE_FULL = (
    "存储空间不足，文件未能保存：本条目本次未发布或更新，已发布的版本保持不变；"
    "请清理或扩充文件存储后重新采集"
)
_FULL = (errno.ENOSPC, errno.EDQUOT)

_KEY = re.compile(r"^[0-9a-f]{2}/[0-9a-f]{64}\.[a-z0-9]{1,8}$")
_CHUNK = 1024 * 1024


@dataclass(frozen=True)
class StoredFile:
    root: str
    key: str
    sha256: str
    size: int


def file_sha256(path: Path) -> tuple[str, int]:
    """SHA-256 hex digest and size of a file, read in chunks."""
    digest = hashlib.sha256()
    size = 0
    with path.open("rb") as handle:
        while chunk := handle.read(_CHUNK):
            digest.update(chunk)
            size += len(chunk)
    return digest.hexdigest(), size


def storage_full(exc: BaseException) -> bool:
    """Whether ``exc`` is a write refused for want of space (a full disk or quota)."""
    return isinstance(exc, OSError) and exc.errno in _FULL


def _sync(path: Path) -> None:
    """Flush a written file to disk before it is renamed into place."""
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


class FileStore:
    def __init__(self, public: Path, private: Path, staging: Path) -> None:
        self._roots = {PUBLIC: public, PRIVATE: private}
        self.staging = staging

    def root_path(self, root: str) -> Path:
        if root not in self._roots:
            raise ValueError(f"unknown storage root {root!r}")
        return self._roots[root]

    def put(
        self,
        source: Path,
        *,
        root: str,
        extension: str,
        sha256: str | None = None,
        move: bool = False,
    ) -> StoredFile:
        """Store a copy of ``source`` under ``root``; returns its key, hash and size.

        ``sha256`` is the hash of ``source`` computed while it was written (it is then not read
        again to hash it); ``move`` stores a staged file of ours by renaming it instead of
        copying it (when the same content is stored already, it stays where it is).

        A file already stored is touched instead: its modification time says it was just
        written, so neither garbage collection nor ``public_root`` removes it before the commit
        that will reference it."""
        extension = extension.lower().lstrip(".") or "bin"
        if not re.fullmatch(r"[a-z0-9]{1,8}", extension):
            raise ValueError(f"bad file extension {extension!r}")
        if sha256 is None:
            sha, size = file_sha256(source)
        else:
            sha, size = sha256, source.stat().st_size
        key = f"{sha[:2]}/{sha}.{extension}"
        target = self.root_path(root) / key
        try:
            os.utime(target)
        except FileNotFoundError:
            target.parent.mkdir(parents=True, exist_ok=True)
            if move:
                _sync(source)
                os.replace(source, target)
            else:
                self._copy(source, target)
        return StoredFile(root=root, key=key, sha256=sha, size=size)

    def _copy(self, source: Path, target: Path) -> None:
        self.staging.mkdir(parents=True, exist_ok=True)
        fd, tmp_name = tempfile.mkstemp(dir=self.staging, suffix=".part")
        try:
            with os.fdopen(fd, "wb") as out, source.open("rb") as src:
                shutil.copyfileobj(src, out, _CHUNK)
                out.flush()
                os.fsync(out.fileno())
            os.replace(tmp_name, target)
        except BaseException:  # a full disk: no partial copy stays in staging
            Path(tmp_name).unlink(missing_ok=True)
            raise

    def path(self, root: str, key: str) -> Path:
        """The path of a stored file. Refuses anything that is not a well-formed key."""
        if not _KEY.fullmatch(key):
            raise ValueError("malformed storage key")
        return self.root_path(root) / key

    def exists(self, root: str, key: str) -> bool:
        return self.path(root, key).is_file()

    def collect_garbage(
        self, referenced: Iterable[tuple[str, str]], *, older_than: float = 3600.0
    ) -> int:
        """Delete stored files no row references and that are older than ``older_than`` s."""
        keep = set(referenced)
        cutoff = time.time() - older_than
        removed = 0
        for root, base in self._roots.items():
            if not base.exists():
                continue
            for path in base.glob("*/*"):
                key = f"{path.parent.name}/{path.name}"
                if (root, key) in keep or not _KEY.fullmatch(key):
                    continue
                if _older(path, cutoff):
                    path.unlink(missing_ok=True)
                    removed += 1
        if self.staging.exists():
            for path in self.staging.iterdir():
                if path.is_file() and _older(path, cutoff):
                    path.unlink(missing_ok=True)
        return removed


def _older(path: Path, cutoff: float) -> bool:
    """Modified before ``cutoff``; False for a file gone meanwhile (another harvest running at
    the same time placed or removed it)."""
    try:
        return path.stat().st_mtime < cutoff
    except FileNotFoundError:
        return False
