"""``datastore_search_sql`` on PostgreSQL: run as a role that may read the public views and
nothing else, one statement, read-only, within the time limit."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import replace

import pytest
from sqlalchemy import select, text
from sqlalchemy.engine import make_url

from datasets.errors import ValidationError
from datasets.models import Resource, RowTable
from datasets.rows.sql import search_sql
from datasets.runtime import Runtime
from tests.conftest import harvest_demo
from tests.factories import make_runtime
from tests.postgres.conftest import _database

pytestmark = pytest.mark.postgres


@pytest.fixture(scope="module")
def pg_rt(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Runtime]:
    """The demo catalog in a database of this module's own (its files in its own folder)."""
    with _database() as url:
        rt = make_runtime(tmp_path_factory.mktemp("pgsql") / "instance", database_url=url)
        harvest_demo(rt)
        yield rt
        rt.close()


@pytest.fixture(scope="module")
def sql_rt(pg_rt: Runtime) -> Iterator[Runtime]:
    """The grants the README gives the reader role, on a role of this test's own."""
    role = f"kaifang_sql_{uuid.uuid4().hex[:8]}"
    database = pg_rt.engine.url.database
    with pg_rt.engine.begin() as connection:
        for statement in (
            f"CREATE ROLE {role} LOGIN",
            f"GRANT USAGE ON SCHEMA datastore_public TO {role}",
            f"GRANT SELECT ON ALL TABLES IN SCHEMA datastore_public TO {role}",
        ):
            connection.execute(text(statement))
    url = make_url(str(pg_rt.engine.url.render_as_string(hide_password=False)))
    reader = url.set(username=role, database=database).render_as_string(hide_password=False)
    settings = replace(
        pg_rt.settings, datastore_sql=True, datastore_sql_url=reader, datastore_sql_timeout_ms=300
    )
    rt = Runtime(settings)
    yield rt
    rt.close()
    with pg_rt.engine.begin() as connection:
        connection.execute(text(f"DROP OWNED BY {role}"))
    with pg_rt.engine.connect() as connection:
        connection.execute(
            text("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE usename = :r"),
            {"r": role},
        )
        connection.commit()
        connection.execute(text(f"DROP ROLE {role}"))
        connection.commit()


def _tables(rt: Runtime) -> tuple[str, RowTable]:
    with rt.reader() as session:
        bus = session.scalar(
            select(RowTable.resource_id)
            .join(Resource, Resource.id == RowTable.resource_id)
            .where(Resource.name == "bus-lines", RowTable.kind == "public")
        )
        original = session.scalar(select(RowTable).where(RowTable.kind == "original"))
    assert bus and original is not None
    return bus, original


def test_a_select_reads_a_public_view_by_resource_id(sql_rt: Runtime) -> None:
    bus, _ = _tables(sql_rt)
    answer = search_sql(
        sql_rt,
        f'SELECT "线路编号", "站点数" FROM "{bus}" WHERE "线路名称" LIKE \'%站%\' '
        'ORDER BY "站点数" DESC LIMIT 3',
    )
    assert [f["id"] for f in answer.fields] == ["线路编号", "站点数"]
    assert answer.fields[1]["type"] == "int8" and len(answer.records) == 3
    counted = search_sql(sql_rt, f'SELECT count(*) FROM "{bus}"')
    assert counted.records == [[64]]


def test_nothing_else_can_be_read_written_or_run_long(sql_rt: Runtime) -> None:
    bus, original = _tables(sql_rt)
    for statement, words in [
        (f'SELECT * FROM "{original.resource_id}"', "有误"),  # no view of an original
        (f"SELECT * FROM datastore.{original.table_name}", "只能读取公开数据表"),
        ("SELECT * FROM public.users", "只能读取公开数据表"),
        (f'SELECT 1 FROM "{bus}"; SELECT 2', "有误"),
        (f'DELETE FROM "{bus}"', "sql"),
        ("CREATE TEMP TABLE t AS SELECT 1", "sql"),
        ("SELECT set_config('statement_timeout', '0', false), pg_sleep(2)", "时间限制"),
        ("SELECT pg_sleep(2)", "时间限制"),
    ]:
        with pytest.raises(ValidationError) as refused:
            search_sql(sql_rt, statement)
        assert words in refused.value.message, (statement, refused.value.message)
    assert search_sql(sql_rt, f'SELECT count(*) FROM "{bus}"').records == [[64]]
