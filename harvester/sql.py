"""Source kind ``sql`` (系统对接): one table or one SELECT query of a department database.

The location is an SQLAlchemy URL (``postgresql+psycopg://user@host/db``, ``sqlite:///x.db`` …);
the configuration names exactly one ``table`` (optionally schema-qualified) or ``query`` (a single
SELECT/WITH statement), the department (``provider``, required) and the 目录 fields of the entry.
Each harvest streams the rows into a UTF-8 CSV in staging, so the dataset follows the data: an
unchanged table gives an unchanged dataset.

Passwords never leave the location: messages show the URL with the password hidden. Prefer
keeping it out of the URL altogether (``~/.pgpass``, ``PGPASSWORD``), since the location is
stored with the source.
"""

from __future__ import annotations

import contextlib
import hashlib
import shutil
import tempfile
import uuid
from datetime import date, datetime, time
from decimal import Decimal
from pathlib import Path
from typing import Any

from sqlalchemy import column, create_engine, inspect, literal_column, select, table, text
from sqlalchemy.engine import URL, Connection, Engine, make_url
from sqlalchemy.exc import ArgumentError, NoSuchModuleError, SQLAlchemyError
from sqlalchemy.pool import NullPool

from datasets.catalog.slugs import is_slug
from datasets.catalog.vocabulary import parse_update_cycle
from datasets.errors import SourceError, ValidationError
from datasets.intake.records import FileRecord, HarvestRecord, ProviderRecord
from datasets.openness import rules as op
from harvester.base import GatherItem, GatherResult, SourceKind
from harvester.sql_query import check_query, split_table
from harvester.sql_rows import file_name, write_csv

BATCH_ROWS = 1000  # rows fetched (and written) at a time
_TEXT_LIMITS = {"title": 300, "provider": 200, "provider_code": 100, "topic": 50, "notes": 20000}


def shown_url(location: str | URL) -> str:
    """The URL as it may be shown: password hidden."""
    try:
        url = location if isinstance(location, URL) else make_url(location)
    except (ArgumentError, ValueError):
        return "（无效地址）"
    return url.render_as_string(hide_password=True)


class SqlSource(SourceKind):
    kind = "sql"
    description = "A department database table or SELECT query (SQLAlchemy URL) — 系统对接"
    config_keys = (
        "table",
        "query",
        "title",
        "provider",
        "provider_code",
        "openness",
        "conditions",
        "exclusion_rule",
        "exclusion_basis",
        "topic",
        "update_cycle",
        "notes",
        "name",
    )

    def __init__(self, source: Any, rt: Any) -> None:
        super().__init__(source, rt)
        self._engine: Engine | None = None
        self._folder: Path | None = None

    # -- when the source is added ----------------------------------------------------------

    @classmethod
    def shown_location(cls, location: str) -> str:
        """The location as pages and the command line may show it: password hidden."""
        return shown_url(location)

    @classmethod
    def check_location(cls, location: str) -> str:
        try:
            url = make_url(location)
        except (ArgumentError, ValueError):
            # the message would repeat the location, password included
            raise SourceError(
                "数据库地址无效：须为 SQLAlchemy URL，如 postgresql+psycopg://user@host/db"
            ) from None
        try:
            dialect = url.get_dialect()
        except NoSuchModuleError:
            raise SourceError(f"不支持的数据库类型：{url.drivername}") from None
        try:
            dialect.import_dbapi()
        except ImportError as exc:
            raise SourceError(f"缺少数据库驱动（{url.drivername}）：{exc.name or exc}") from None
        return location

    @classmethod
    def check_config(cls, config: dict[str, str]) -> dict[str, str]:
        config = {k: (v or "").strip() for k, v in super().check_config(config).items()}
        config = {k: v for k, v in config.items() if v}
        if ("table" in config) == ("query" in config):
            raise ValidationError(
                "sql 来源须配置 table 或 query 之一（且只能一个）", {"config": ["table", "query"]}
            )
        if "table" in config:
            split_table(config["table"])
        else:
            config["query"] = check_query(config["query"])
            if "title" not in config:
                raise ValidationError("查询来源须配置 title（数据集名称）", {"title": ["required"]})
        if "provider" not in config:
            raise ValidationError(
                "sql 来源须配置 provider（提供方部门）", {"provider": ["required"]}
            )
        for key, limit in _TEXT_LIMITS.items():
            if len(config.get(key, "")) > limit:
                raise ValidationError(f"{key} 不能超过 {limit} 个字符", {key: ["too long"]})
        if "name" in config and not is_slug(config["name"]):
            raise ValidationError(
                f"name 须为小写字母、数字和 - 组成的短名：{config['name']}", {"name": ["slug"]}
            )
        if "update_cycle" in config:
            cycle = parse_update_cycle(config["update_cycle"])
            if cycle is None:
                raise ValidationError(
                    f"更新周期无法识别：{config['update_cycle']}", {"update_cycle": ["unknown"]}
                )
            config["update_cycle"] = cycle
        # the declaration is checked as the openness engine will check it (state secrets and
        # 不予开放 without rule and basis are refused here already)
        op.classify(
            declared=config.get("openness"),
            rule=config.get("exclusion_rule"),
            basis=config.get("exclusion_basis"),
        )
        return config

    # -- gather ----------------------------------------------------------------------------

    def gather(self) -> GatherResult:
        config = self.source.config
        if config.get("table"):
            identifier = config["table"]
        else:
            digest = hashlib.sha1(config["query"].encode("utf-8")).hexdigest()[:12]  # noqa: S324
            identifier = f"query:{digest}"
        with self._connect() as connection:
            if config.get("table"):
                try:
                    schema, name = split_table(config["table"])
                except ValidationError as exc:
                    raise SourceError(exc.message) from None
                try:
                    exists = inspect(connection).has_table(name, schema=schema)
                except SQLAlchemyError as exc:
                    raise SourceError(
                        f"数据表无法读取：{config['table']}（{self._why(exc)}）"
                    ) from None
                if not exists:
                    raise SourceError(f"数据表不存在：{config['table']}")
            else:
                try:  # runs it as far as the first rows: a wrong query fails the job here
                    streaming = connection.execution_options(stream_results=True, yield_per=1)
                    streaming.execute(_query_text(check_query(config["query"]))).close()
                except ValidationError as exc:
                    raise SourceError(exc.message) from None
                except SQLAlchemyError as exc:
                    raise SourceError(f"查询无法执行：{self._why(exc)}") from None
        title = config.get("title") or config.get("table") or identifier
        return GatherResult([GatherItem(identifier, None, title)])

    # -- fetch -----------------------------------------------------------------------------

    def fetch(self, item: GatherItem) -> HarvestRecord:
        config = self.source.config
        name = config.get("table") or config.get("name") or "query"
        folder = self._staging()
        path = folder / f"{uuid.uuid4().hex}.csv"
        with self._connect() as connection:
            statement = self._statement(connection)
            try:
                result = connection.execution_options(
                    stream_results=True, yield_per=BATCH_ROWS
                ).execute(statement)
                columns, binary = write_csv(result, path, self.rt.settings.max_file_bytes)
            except SQLAlchemyError as exc:
                path.unlink(missing_ok=True)
                raise ValidationError(f"读取数据失败：{self._why(exc)}") from None
            except ValidationError:
                path.unlink(missing_ok=True)
                raise
        unnormalised: dict[str, Any] = {}
        if binary:
            unnormalised["_notes"] = [
                f"列 {'、'.join(binary)} 为二进制数据，未导出（开放数据只收表格中的文本和数值）"
            ]
        if not columns:
            path.unlink(missing_ok=True)
            raise ValidationError("数据表没有可导出的列")
        return HarvestRecord(
            identifier=item.identifier,
            name=config.get("name"),
            title=config.get("title") or file_name(name),
            notes=config.get("notes", ""),
            provider=ProviderRecord(config.get("provider", ""), config.get("provider_code")),
            topic=config.get("topic"),
            openness=config.get("openness"),
            conditions=config.get("conditions"),
            exclusion_rule=config.get("exclusion_rule"),
            exclusion_basis=config.get("exclusion_basis"),
            update_cycle=config.get("update_cycle"),
            files=(FileRecord(path=path, name=file_name(name), title=name, format="csv"),),
            unnormalised=unnormalised,
        )

    def close(self) -> None:
        if self._engine is not None:
            self._engine.dispose()
            self._engine = None
        if self._folder is not None:
            shutil.rmtree(self._folder, ignore_errors=True)
            with contextlib.suppress(OSError):  # the kind's folder, when no other job uses it
                self._folder.parent.rmdir()
            self._folder = None

    # -- helpers ---------------------------------------------------------------------------

    def _statement(self, connection: Connection) -> Any:
        config = self.source.config
        if not config.get("table"):
            return _query_text(config["query"])
        schema, name = split_table(config["table"])
        target = table(name, schema=schema)  # quoted by the dialect's identifier preparer
        statement: Any = select(literal_column("*")).select_from(target)
        order = self._order(connection, name, schema)
        return statement.order_by(*[column(c) for c in order]) if order else statement

    @staticmethod
    def _order(connection: Connection, name: str, schema: str | None) -> list[str]:
        """A stable row order, so that an unchanged table gives the same file: the primary
        key, else every column of a plainly comparable type."""
        inspector = inspect(connection)
        try:
            key = inspector.get_pk_constraint(name, schema=schema).get("constrained_columns")
            if key:
                return list(key)
            columns = inspector.get_columns(name, schema=schema)
        except SQLAlchemyError:
            return []
        comparable = []
        for col in columns:
            try:
                python_type = col["type"].python_type
            except NotImplementedError:
                continue
            if python_type in (str, int, float, Decimal, date, datetime, time, bool):
                comparable.append(col["name"])
        return comparable

    def _connect(self) -> Connection:
        url = self._url()
        if self._engine is None:
            args: dict[str, Any] = {}
            if url.get_backend_name() in ("postgresql", "mysql", "mariadb"):
                args["connect_timeout"] = max(1, int(self.rt.settings.harvest_timeout))
            try:
                self._engine = create_engine(url, poolclass=NullPool, connect_args=args)
            except (ArgumentError, ImportError, NoSuchModuleError) as exc:
                raise SourceError(f"数据库无法连接：{shown_url(url)}（{self._why(exc)}）") from None
        try:
            connection = self._engine.connect()
        except SQLAlchemyError as exc:
            raise SourceError(f"数据库无法连接：{shown_url(url)}（{self._why(exc)}）") from None
        try:
            _read_only(connection)
        except SQLAlchemyError as exc:
            connection.close()
            raise SourceError(f"数据库无法连接：{shown_url(url)}（{self._why(exc)}）") from None
        return connection

    def _url(self) -> URL:
        try:
            url = make_url(self.source.location)
        except (ArgumentError, ValueError):
            raise SourceError("数据库地址无效") from None
        if url.get_backend_name() == "sqlite":
            database = url.database or ""
            if database in ("", ":memory:") or database.startswith("file:"):
                return url
            if not Path(database).expanduser().is_file():  # sqlite would create an empty one
                raise SourceError(f"数据库文件不存在：{Path(database).name}")
        return url

    def _why(self, exc: BaseException) -> str:
        """One line about an error, without the password."""
        original = getattr(exc, "orig", None) or exc
        line = next((ln.strip() for ln in str(original).splitlines() if ln.strip()), "")
        line = f"{type(original).__name__}: {line}" if line else type(original).__name__
        try:
            password = make_url(self.source.location).password
        except (ArgumentError, ValueError):
            password = None
        if password:
            line = line.replace(str(password), "***")
        return line[:300]

    def _staging(self) -> Path:
        if self._folder is None:
            kind_folder = self.rt.paths.staging / "sql"
            kind_folder.mkdir(parents=True, exist_ok=True)
            self._folder = Path(tempfile.mkdtemp(prefix=f"{self.source.name}-", dir=kind_folder))
        return self._folder


def _query_text(query: str) -> Any:
    """The operator's query as SQL text: its colons are not bind parameters (``'09:30'``,
    ``x::text``), and the driver's own placeholders (``%``) are escaped by SQLAlchemy."""
    return text(query.replace(":", "\\:"))


def _read_only(connection: Connection) -> None:
    """Make the session read-only where the database allows it (a second line of defence
    behind ``check_query``)."""
    backend = connection.dialect.name
    if backend == "sqlite":
        connection.exec_driver_sql("PRAGMA query_only = ON")
    elif backend == "postgresql":
        connection.exec_driver_sql("SET SESSION CHARACTERISTICS AS TRANSACTION READ ONLY")
        connection.exec_driver_sql("SET TRANSACTION READ ONLY")  # the one already begun
    elif backend in ("mysql", "mariadb"):
        connection.exec_driver_sql("SET SESSION TRANSACTION READ ONLY")
