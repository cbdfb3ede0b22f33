"""The runtime: settings plus the engines built from them (database and files).

One ``Runtime`` is made per process (CLI command, web app, harvest worker) and handed to every
service as its first argument.
"""

from __future__ import annotations

import logging
import os
import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import create_engine, event
from sqlalchemy.engine import Engine
from sqlalchemy.exc import ArgumentError
from sqlalchemy.orm import Session, sessionmaker

from datasets.errors import ConfigError
from datasets.settings import Settings

if TYPE_CHECKING:
    from datasets.intake.storage import FileStore

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class InstancePaths:
    root: Path

    @property
    def files(self) -> Path:
        """The files folder: the public and the private root (a web server in front may serve
        it at an internal location, setting ``accel_redirect``)."""
        return self.root / "files"

    @property
    def public_files(self) -> Path:
        return self.files / "public"

    @property
    def private_files(self) -> Path:
        return self.files / "private"

    @property
    def staging(self) -> Path:
        return self.root / "tmp"


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.close()


def make_engine(url: str) -> Engine:
    try:
        if url.startswith("sqlite"):
            engine = create_engine(url, connect_args={"timeout": 30})
            event.listen(engine, "connect", _sqlite_pragmas)
            return engine
        if url.startswith("postgresql+psycopg:"):
            # no server-side prepared statements: a generic plan made while a table was small
            # (a sequential scan) stays cached on the connection as the table grows, and a
            # pooler in transaction mode cannot keep them anyway
            return create_engine(url, pool_pre_ping=True, connect_args={"prepare_threshold": None})
        return create_engine(url, pool_pre_ping=True)
    except (ArgumentError, ImportError, ValueError) as exc:
        raise ConfigError(f"KAIFANG_DATABASE_URL is not usable: {exc}") from None


class Runtime:
    """Settings and the handles derived from them. Cheap to create; engines open lazily."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.paths = InstancePaths(settings.instance_path)

    @cached_property
    def engine(self) -> Engine:
        self.paths.root.mkdir(parents=True, exist_ok=True)
        return make_engine(self.settings.resolved_database_url)

    @cached_property
    def _sessions(self) -> sessionmaker[Session]:
        from datasets.rows import sync as rows
        from datasets.search.entries import watch
        from datasets.tables import Limits

        sessions = sessionmaker(self.engine, expire_on_commit=False)
        watch(sessions)  # every transaction writes the search rows of the datasets it changes
        # and loads (or drops) the row tables of their files
        rows.watch(sessions, self.store, lambda: Limits.from_settings(self.settings))
        if self.settings.static_dir:  # and removes the static files of the datasets it hides
            from datasets.publish.removal import watch as watch_static

            watch_static(sessions, self.settings.static_dir)
        return sessions

    @contextmanager
    def session(self) -> Iterator[Session]:
        """A unit of work: committed when the block ends, rolled back on an exception."""
        with self._sessions.begin() as session:
            yield session

    @contextmanager
    def reader(self) -> Iterator[Session]:
        """A read-only session (never committed). Objects loaded in it stay readable after the
        block, detached."""
        session = self._sessions()
        try:
            yield session
        finally:
            session.close()

    @cached_property
    def store(self) -> FileStore:
        from datasets.intake.storage import FileStore

        return FileStore(self.paths.public_files, self.paths.private_files, self.paths.staging)

    def secret_key(self) -> str:
        """The configured secret key, or one kept in the instance folder (made on first use)."""
        return self._instance_secret(self.settings.secret_key, "secret_key")

    def masking_key(self) -> bytes:
        """The HMAC key of masking pseudonyms (configured, or kept in the instance folder)."""
        return self._instance_secret(self.settings.masking_key, "masking_key").encode("utf-8")

    def _instance_secret(self, configured: str, filename: str) -> str:
        if configured:
            return configured
        path = self.paths.root / filename
        if path.exists():
            return path.read_text().strip()
        self.paths.root.mkdir(parents=True, exist_ok=True)
        key = secrets.token_hex(32)
        tmp = path.with_name(f".{filename}.{os.getpid()}")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as handle:
            handle.write(key)
        try:
            os.link(tmp, path)  # atomic: the first process to link wins
        except FileExistsError:
            pass
        finally:
            tmp.unlink()
        return path.read_text().strip()

    def close(self) -> None:
        if "engine" in self.__dict__:
            self.engine.dispose()
