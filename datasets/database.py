"""Creating and upgrading the database schema with Alembic migrations."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy.exc import OperationalError

from datasets.errors import ConfigError
from datasets.runtime import Runtime

MIGRATIONS = Path(__file__).with_name("migrations")


def include_object(obj: Any, name: str | None, kind: str, reflected: bool, other: Any) -> bool:
    """Whether a schema object is the models' business: the full-text index the database's
    engine owns (SQLite's ``search_fts`` tables, PostgreSQL's ``document`` column and its index,
    made by migration 0007) and the row store's tables (``rows_…``, made as files are
    published) are left out of comparisons with the models."""
    if kind == "table" and (name or "").startswith(("search_fts", "rows_")):
        return False
    if kind == "column" and name == "document" and obj.table.name == "search_entries":
        return False
    return not (kind == "index" and name == "ix_search_entries_document")


def alembic_config(rt: Runtime) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["engine"] = rt.engine
    return config


def upgrade(rt: Runtime) -> None:
    """Create the tables or migrate them to the newest revision."""
    try:
        command.upgrade(alembic_config(rt), "head")
    except OperationalError as exc:
        raise ConfigError(f"数据库无法连接或无法升级：{exc.orig}") from None


def current_revision(rt: Runtime) -> str | None:
    with rt.engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


def head_revision(rt: Runtime) -> str | None:
    return ScriptDirectory.from_config(alembic_config(rt)).get_current_head()


def is_current(rt: Runtime) -> bool:
    try:
        return current_revision(rt) == head_revision(rt)
    except OperationalError:
        return False
