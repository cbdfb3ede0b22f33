"""CKAN's ``datastore_search_sql``: off by default; turned on, one read-only SELECT over the
public tables (named by resource id, columns by field name) and nothing else of the database."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select

from datasets.models import Resource, RowTable
from datasets.rows.sql import DISABLED
from tests.web.test_row_api import action, rows


@pytest.fixture(scope="module")
def bus_id(demo_rt) -> str:  # type: ignore[no-untyped-def]
    with demo_rt.reader() as session:
        found = session.scalar(
            select(RowTable.resource_id)
            .join(Resource, Resource.id == RowTable.resource_id)
            .where(Resource.name == "bus-lines", RowTable.kind == "public")
        )
    assert found
    return found


@pytest.fixture(scope="module")
def sql_client(demo_rt):  # type: ignore[no-untyped-def]
    from portal.app import create_app

    app = create_app(
        {
            "instance": str(demo_rt.paths.root),
            "ratelimit_enabled": False,
            "datastore_sql": True,
            "datastore_sql_timeout_ms": 300,
        }
    )
    app.config.update(TESTING=True)
    return app.test_client()


def sql(client, statement: str) -> tuple[int, Any]:  # type: ignore[no-untyped-def]
    return action(client, "datastore_search_sql", sql=statement)


def test_it_is_off_unless_the_operator_turns_it_on(client, bus_id):  # type: ignore[no-untyped-def]
    status, body = sql(client, f'SELECT * FROM "{bus_id}"')
    assert status == 403 and body["error"]["message"] == DISABLED


def test_a_select_over_a_public_table_answers_as_ckan_does(sql_client, client, bus_id):  # type: ignore[no-untyped-def]
    statement = (
        f'SELECT "线路编号", "站点数" FROM "{bus_id}" WHERE "站点数" >= 30 '
        'AND "线路名称" LIKE \'%站%\' ORDER BY "站点数" DESC, "_id"'
    )
    status, body = sql(sql_client, statement)
    assert status == 200, body
    result = body["result"]
    assert result["sql"] == statement and "records_truncated" not in result
    assert [f["id"] for f in result["fields"]] == ["线路编号", "站点数"]
    assert result["fields"][1]["type"] == "int8"
    _, native = rows(
        client, bus_id, "站点数__gte=30&线路名称__contains=站&_sort_desc=站点数&_size=1000"
    )
    expected = [{"线路编号": r["线路编号"], "站点数": r["站点数"]} for r in native["rows"]]
    assert sorted(result["records"], key=str) == sorted(expected, key=str) and expected
    status, body = sql(sql_client, f'SELECT count(*) AS n FROM "{bus_id}"')
    assert body["result"]["records"] == [{"n": 64}]


def test_nothing_but_the_public_views_can_be_read(sql_client, demo_rt, bus_id):  # type: ignore[no-untyped-def]
    with demo_rt.reader() as session:
        original = session.scalar(select(RowTable).where(RowTable.kind == "original"))
        public = session.scalar(select(RowTable).where(RowTable.kind == "public"))
    assert original is not None and public is not None
    for statement, words in [
        (f'SELECT * FROM "{original.resource_id}"', "没有这张数据表"),
        (f"SELECT * FROM {original.table_name}", "只能读取公开数据表"),
        ("SELECT * FROM users", "只能读取公开数据表"),
        ("SELECT name FROM sqlite_master", "只能读取公开数据表"),
        (f'SELECT * FROM "{bus_id}" WHERE "线路编号" IN (SELECT name FROM users)', "只能读取"),
        ("PRAGMA table_info(users)", "只能读取公开数据表"),
        ("SELECT sqlite_version()", "只能读取公开数据表"),
        ("SELECT load_extension('x')", "只能读取公开数据表"),
        ("ATTACH DATABASE 'x.db' AS x", "只能读取公开数据表"),
        (f'DELETE FROM "{bus_id}"', "sql"),
        (f"DELETE FROM {public.table_name}", "只能读取公开数据表"),
        (f'SELECT 1 FROM "{bus_id}"; DELETE FROM "{bus_id}"', "只能是一条语句"),
        ("", "须为一条 SELECT 语句"),
        ("SELECT '\x00'", "空字符"),
    ]:
        status, body = sql(sql_client, statement)
        refused = 400 if "\x00" in statement else 409  # a NUL is refused at the edge
        assert status == refused and words in body["error"]["message"], (statement, body)
    status, body = sql(sql_client, f'SELECT count(*) AS n FROM "{bus_id}"')
    assert body["result"]["records"] == [{"n": 64}]  # nothing was deleted


def test_a_statement_past_the_time_limit_is_ended(sql_client, bus_id):  # type: ignore[no-untyped-def]
    table = f'"{bus_id}"'
    statement = f"SELECT count(*) FROM {table} a, {table} b, {table} c, {table} d, {table} e"
    status, body = sql(sql_client, statement)
    assert status == 409 and "时间限制" in body["error"]["message"]
