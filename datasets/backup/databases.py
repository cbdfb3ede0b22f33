"""The database part of a backup: a consistent snapshot of SQLite files (the online backup API,
never a copy of a live file) and PostgreSQL's ``pg_dump`` in its custom format, restored with
``pg_restore`` into an empty database only."""

from __future__ import annotations

import os
import re
import shutil
import sqlite3
import subprocess
from pathlib import Path
from typing import Any
from urllib.parse import unquote

from sqlalchemy import TextClause, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import SQLAlchemyError

from datasets.errors import ConfigError, KaifangError
from datasets.runtime import Runtime, make_engine

SQLITE_MAGIC = b"SQLite format 3\x00"
# files SQLite keeps beside a database while it is open: never copied, removed before a restore
SIDE_FILES = ("-wal", "-shm", "-journal")
# libpq reads these query parameters of a URL as environment variables too
_LIBPQ_QUERY = {
    "sslmode": "PGSSLMODE",
    "sslrootcert": "PGSSLROOTCERT",
    "sslcert": "PGSSLCERT",
    "sslkey": "PGSSLKEY",
    "connect_timeout": "PGCONNECT_TIMEOUT",
}


class BackupError(KaifangError):
    """A backup or a restore that cannot be made; nothing was written under its final name."""


def kind(rt: Runtime) -> str:
    """``sqlite`` or ``postgresql``: the database the instance uses."""
    url = rt.settings.resolved_database_url
    if url.startswith("sqlite"):
        return "sqlite"
    if url.startswith("postgresql"):
        return "postgresql"
    raise BackupError("只能备份 SQLite 或 PostgreSQL 数据库")


def sqlite_path(rt: Runtime) -> Path:
    """The file of the instance's SQLite database."""
    database = make_url(rt.settings.resolved_database_url).database or ""
    if not database or database == ":memory:":
        raise BackupError("内存中的 SQLite 数据库无法备份")
    return Path(unquote(database)).expanduser().resolve()


def is_sqlite_file(path: Path) -> bool:
    try:
        with path.open("rb") as handle:
            return handle.read(len(SQLITE_MAGIC)) == SQLITE_MAGIC
    except OSError:
        return False


def snapshot_sqlite(source: Path, target: Path) -> None:
    """Copy a (possibly live) SQLite database with the online backup API: a consistent image,
    written to ``target`` (readable by its owner only)."""
    fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    os.close(fd)
    try:
        src = sqlite3.connect(f"file:{source.as_posix()}?mode=ro", uri=True, timeout=30)
        try:
            dst = sqlite3.connect(target)
            try:
                src.backup(dst)
                dst.execute("PRAGMA journal_mode=DELETE")  # one self-contained file
            finally:
                dst.close()
        finally:
            src.close()
    except sqlite3.Error as exc:
        raise BackupError(f"无法读取数据库文件 {source.name}：{exc}") from None


def check_sqlite(path: Path) -> None:
    """A restored SQLite file must open and pass its own integrity check."""
    try:
        connection = sqlite3.connect(f"file:{path.as_posix()}?mode=ro", uri=True)
        try:
            verdict = connection.execute("PRAGMA quick_check").fetchone()
        finally:
            connection.close()
    except sqlite3.Error as exc:
        raise BackupError(f"备份中的数据库文件无法打开：{exc}") from None
    if not verdict or verdict[0] != "ok":
        raise BackupError(f"备份中的数据库文件已损坏：{verdict[0] if verdict else '无结果'}")


def remove_side_files(path: Path) -> None:
    for suffix in SIDE_FILES:
        path.with_name(path.name + suffix).unlink(missing_ok=True)


# -- PostgreSQL -------------------------------------------------------------------------------


def _tool(rt: Runtime, name: str) -> str:
    folder = rt.settings.pg_bin_dir
    found = shutil.which(name, path=folder) if folder else shutil.which(name)
    if not found:
        where = "（在 KAIFANG_PG_BIN_DIR 所指目录中）" if folder else "（PATH 中）"
        raise BackupError(
            f"找不到 {name}{where}：请安装与数据库服务器同版本的 PostgreSQL 客户端工具"
            "（如 postgresql-client），或用 KAIFANG_PG_BIN_DIR 指定其所在目录"
        )
    return found


def tool_major(rt: Runtime, name: str) -> tuple[str, int]:
    """(path, major version) of ``pg_dump`` or ``pg_restore``."""
    path = _tool(rt, name)
    try:
        answer = subprocess.run(
            [path, "--version"], capture_output=True, text=True, timeout=30, check=True
        ).stdout
    except (OSError, subprocess.SubprocessError) as exc:
        raise BackupError(f"{name} 无法运行：{exc}") from None
    found = re.search(r"(\d+)(?:\.\d+)*", answer)
    if not found:
        raise BackupError(f"无法识别 {name} 的版本：{answer.strip()[:80]}")
    return path, int(found.group(1))


def _query(rt: Runtime, *statements: TextClause) -> list[Any]:
    """One value of each statement, on a connection of its own (the runtime's engine would make
    the instance folder, which a restore must find as it is)."""
    engine = make_engine(rt.settings.resolved_database_url)
    try:
        with engine.connect() as connection:
            return [connection.execute(s).scalar_one() for s in statements]
    except SQLAlchemyError as exc:
        raise ConfigError(f"数据库无法连接：{exc}") from None
    finally:
        engine.dispose()


def server_major(rt: Runtime) -> int:
    (number,) = _query(rt, text("SHOW server_version_num"))
    return int(number) // 10000


def libpq_environment(rt: Runtime) -> dict[str, str]:
    """The connection of the portal's database URL as libpq's variables (the password never on a
    command line, where other users of the machine could read it)."""
    url = make_url(rt.settings.resolved_database_url)
    env = {k: v for k, v in os.environ.items() if not k.startswith("PG")}
    pairs = {
        "PGHOST": url.host,
        "PGPORT": str(url.port) if url.port else None,
        "PGUSER": url.username,
        "PGPASSWORD": url.password,
        "PGDATABASE": url.database,
    }
    for key, value in url.query.items():
        if key in _LIBPQ_QUERY and isinstance(value, str):
            pairs[_LIBPQ_QUERY[key]] = value
        elif key == "host" and isinstance(value, str):
            pairs["PGHOST"] = value
    env.update({k: str(v) for k, v in pairs.items() if v})
    return env


def _run(command: list[str], env: dict[str, str], what: str) -> None:
    try:
        done = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
    except OSError as exc:
        raise BackupError(f"{what}失败：{exc}") from None
    if done.returncode != 0:
        reason = (done.stderr or done.stdout).strip().splitlines()
        raise BackupError(f"{what}失败：{reason[-1] if reason else done.returncode}")


def dump_postgres(rt: Runtime, target: Path) -> dict[str, int]:
    """``pg_dump`` of the portal's database (every schema: the catalog, ``datastore`` and
    ``datastore_public``) in the custom format; refuses a ``pg_dump`` older than the server."""
    path, major = tool_major(rt, "pg_dump")
    server = server_major(rt)
    if major < server:
        raise BackupError(
            f"pg_dump 的版本（{major}）低于数据库服务器（{server}）：请安装 PostgreSQL {server} "
            "的客户端工具，或用 KAIFANG_PG_BIN_DIR 指定其所在目录"
        )
    fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    os.close(fd)
    command = [path, "--format=custom", "--no-password", "--file", str(target)]
    _run(command, libpq_environment(rt), "pg_dump 导出数据库")
    return {"pg_dump_major": major, "server_major": server}


def postgres_is_empty(rt: Runtime) -> bool:
    """Whether the database holds no table, view, sequence or schema of its own (extensions'
    objects and an empty ``public`` schema do not count)."""
    query = text(
        "SELECT count(*) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
        "WHERE n.nspname NOT IN ('pg_catalog', 'information_schema') "
        "AND n.nspname NOT LIKE 'pg\\_toast%' AND n.nspname NOT LIKE 'pg\\_temp%' "
        "AND c.relkind IN ('r', 'v', 'm', 'S', 'p', 'f') AND NOT EXISTS ("
        "SELECT 1 FROM pg_depend d WHERE d.objid = c.oid AND d.deptype = 'e')"
    )
    schemas = text(
        "SELECT count(*) FROM pg_namespace n WHERE n.nspname NOT IN "
        "('pg_catalog', 'information_schema', 'public') AND n.nspname NOT LIKE 'pg\\_%' "
        "AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.objid = n.oid AND d.deptype = 'e')"
    )
    relations, own_schemas = _query(rt, query, schemas)
    return not relations and not own_schemas


def restore_postgres(rt: Runtime, dump: Path, dump_major: int, *, privileges: bool = False) -> None:
    """``pg_restore`` a dump into the (empty) database in one transaction: all or nothing.
    Objects belong to the restoring role; grants are restored only with ``privileges`` (the
    read-only role of ``datastore_search_sql`` must then exist on this server, or nothing is
    restored)."""
    path, major = tool_major(rt, "pg_restore")
    if major < dump_major:
        raise BackupError(
            f"pg_restore 的版本（{major}）低于制作备份的 pg_dump（{dump_major}）：请安装 "
            f"PostgreSQL {dump_major} 或更新的客户端工具"
        )
    env = libpq_environment(rt)
    command = [path, "--no-password", "--no-owner", "--single-transaction"]
    command += [] if privileges else ["--no-privileges"]
    command += ["--exit-on-error", "--dbname", env.get("PGDATABASE", ""), str(dump)]
    _run(command, env, "pg_restore 恢复数据库")
