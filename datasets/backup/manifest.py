"""The manifest of a backup archive and the rules its member names follow.

An archive is a tar of regular files only: ``database/…`` (the SQLite snapshot or the
PostgreSQL dump), ``instance/…`` (everything under the instance folder but its scratch space:
the files store, public and private, the supporting documents, the key files …),
``config/<setting>/<name>`` (a configured file that lives outside the instance) and, last,
``manifest.json``: the portal version, the migration revision, the database kind, the time
(Asia/Shanghai) and the size, SHA-256 and mode of every member, the folders with their modes.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from datetime import datetime
from typing import IO, Any
from zoneinfo import ZoneInfo

from datasets.backup.databases import BackupError

FORMAT = "kaifang-backup"
FORMAT_VERSION = 1
MANIFEST = "manifest.json"
MANIFEST_MAX_BYTES = 64 * 1024 * 1024
SHANGHAI = ZoneInfo("Asia/Shanghai")
SQLITE_MEMBER = "database/kaifang.sqlite"
DUMP_MEMBER = "database/kaifang.dump"
_DEPTH = {"database": 2, "config": 3}
_CHUNK = 1024 * 1024


def safe_name(name: str) -> bool:
    """A relative name under one of the three parts, without ``..``, empty or dot parts,
    backslashes or control characters: it can only ever land inside the folder restored into."""
    if not name or len(name) > 4096 or name.startswith("/") or "\\" in name:
        return False
    if any(ord(ch) < 32 or ord(ch) == 127 for ch in name):
        return False
    parts = name.split("/")
    if any(part in ("", ".", "..") for part in parts):
        return False
    if parts[0] == "instance":
        return len(parts) >= 2
    return _DEPTH.get(parts[0]) == len(parts)


@dataclass(frozen=True)
class Member:
    name: str
    size: int
    sha256: str
    mode: int


@dataclass
class Manifest:
    portal_version: str
    revision: str
    database: str
    created: str = field(default_factory=lambda: datetime.now(SHANGHAI).isoformat("T", "seconds"))
    members: list[Member] = field(default_factory=list)
    directories: dict[str, int] = field(default_factory=dict)
    keys: dict[str, str] = field(default_factory=dict)
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def total_bytes(self) -> int:
        return sum(m.size for m in self.members)

    def to_bytes(self) -> bytes:
        body = {
            "format": FORMAT,
            "format_version": FORMAT_VERSION,
            "portal_version": self.portal_version,
            "revision": self.revision,
            "database": self.database,
            "created": self.created,
            "keys": self.keys,
            **self.extra,
            "total_bytes": self.total_bytes,
            "directories": [{"name": k, "mode": f"{v:04o}"} for k, v in self.directories.items()],
            "members": [
                {"name": m.name, "size": m.size, "sha256": m.sha256, "mode": f"{m.mode:04o}"}
                for m in self.members
            ],
        }
        return json.dumps(body, ensure_ascii=False, indent=1).encode("utf-8")


def _damaged(reason: str) -> BackupError:
    return BackupError(f"备份清单无效：{reason}，拒绝恢复")


def _mode(raw: Any) -> int:
    if not isinstance(raw, str) or not raw.isdigit() or len(raw) > 4:
        raise _damaged("权限位格式错误")
    return int(raw, 8) & 0o777


def _member(raw: Any) -> Member:
    if not isinstance(raw, dict):
        raise _damaged("成员格式错误")
    name, size, digest = raw.get("name"), raw.get("size"), raw.get("sha256")
    if not isinstance(name, str) or not safe_name(name):
        raise BackupError(f"备份中含有不安全的路径 {name!r}（绝对路径或含 ..），拒绝恢复")
    if not isinstance(size, int) or isinstance(size, bool) or size < 0:
        raise _damaged(f"{name} 的大小无效")
    if not isinstance(digest, str) or len(digest) != 64:
        raise _damaged(f"{name} 的 SHA-256 无效")
    return Member(name, size, digest.lower(), _mode(raw.get("mode")))


def parse(data: bytes) -> Manifest:
    """Read a manifest, refusing anything but the expected shape and safe names."""
    try:
        body = json.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        raise _damaged("不是 JSON") from None
    if not isinstance(body, dict) or body.get("format") != FORMAT:
        raise _damaged("不是本门户的备份")
    if body.get("format_version") != FORMAT_VERSION:
        raise _damaged(f"格式版本 {body.get('format_version')!r} 不受支持")
    texts: dict[str, str] = {}
    for key in ("portal_version", "revision", "database", "created"):
        value = body.get(key)
        if not isinstance(value, str) or not value:
            raise _damaged("缺少版本、迁移版本、数据库类型或时间")
        texts[key] = value
    if texts["database"] not in ("sqlite", "postgresql"):
        raise _damaged("数据库类型未知")
    members = [_member(raw) for raw in body.get("members") or []]
    directories: dict[str, int] = {}
    for raw in body.get("directories") or []:
        name = raw.get("name") if isinstance(raw, dict) else None
        if not isinstance(name, str) or not (name == "instance" or safe_name(name)):
            raise BackupError(f"备份中含有不安全的路径 {name!r}，拒绝恢复")
        if name != "instance" and not name.startswith("instance/"):
            raise _damaged(f"目录 {name} 不在实例目录中")
        directories[name] = _mode(raw.get("mode"))
    if len({m.name for m in members}) != len(members):
        raise _damaged("成员重复")
    raw_keys = body.get("keys")
    keys: dict[Any, Any] = raw_keys if isinstance(raw_keys, dict) else {}
    extra = {k: v for k, v in body.items() if k in ("pg_dump_major", "server_major")}
    manifest = Manifest(
        texts["portal_version"],
        texts["revision"],
        texts["database"],
        texts["created"],
        members,
        directories,
        {str(k): str(v) for k, v in keys.items()},
        extra,
    )
    if body.get("total_bytes") != manifest.total_bytes:
        raise _damaged("总大小与成员不符")
    return manifest


class HashingReader:
    """A file read through once, its SHA-256 and length taken on the way (tarfile reads it)."""

    def __init__(self, handle: IO[bytes]) -> None:
        self.handle = handle
        self.digest = hashlib.sha256()
        self.size = 0

    def read(self, size: int = -1) -> bytes:
        chunk = self.handle.read(size)
        self.digest.update(chunk)
        self.size += len(chunk)
        return chunk


def digest_stream(handle: IO[bytes], limit: int, sink: IO[bytes] | None = None) -> tuple[str, int]:
    """SHA-256 and length of a stream, reading at most ``limit`` + 1 bytes (copied to ``sink``
    when one is given)."""
    digest = hashlib.sha256()
    size = 0
    while size <= limit:
        chunk = handle.read(min(_CHUNK, limit + 1 - size))
        if not chunk:
            break
        digest.update(chunk)
        size += len(chunk)
        if sink is not None:
            sink.write(chunk)
    return digest.hexdigest(), size
