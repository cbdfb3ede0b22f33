"""The ``sql`` source kind (系统对接): a department database table or SELECT query.

Against a SQLite file made here, and against the PostgreSQL server of this machine (a schema of
its own per test run, dropped afterwards).
"""

from __future__ import annotations

import csv
import io
import os
import random
import uuid
from datetime import date, datetime, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from datasets.catalog import services as catalog
from datasets.errors import SourceError, ValidationError
from harvester.jobs import job_objects, run_source
from harvester.sources import add_source, get_sources
from harvester.sql import SqlSource
from harvester.sql_query import check_query
from tests.factories import search

PROVIDER = "江州市市场监督管理局"
COLUMNS = [
    "许可证编号",
    "经营者名称",
    "统一社会信用代码",
    "主体业态",
    "经营项目",
    "发证日期",
    "有效期至",
    "注册资本（万元）",
    "最近检查时间",
    "备注",
]
DDL = """
CREATE TABLE {name} (
    "许可证编号" VARCHAR(20) PRIMARY KEY,
    "经营者名称" VARCHAR(100) NOT NULL,
    "统一社会信用代码" VARCHAR(18),
    "主体业态" VARCHAR(20),
    "经营项目" VARCHAR(200),
    "发证日期" DATE,
    "有效期至" DATE,
    "注册资本（万元）" DECIMAL(12, 2),
    "最近检查时间" TIMESTAMP,
    "备注" VARCHAR(200)
)
"""
BUSINESS = ["食品销售经营者", "餐饮服务经营者", "单位食堂"]
ITEMS = ["预包装食品（含冷藏冷冻食品）销售", "热食类食品制售", "冷食类食品制售；生食类食品制售"]
SHOPS = ["便利店", "餐馆", "超市", "食堂", "面馆", "烘焙坊", "茶饮店", "粮油店"]
CENT = Decimal("0.01")
PLACES = ["江南", "临湖", "江北", "堃山", "滨江", "新城"]


def licence_rows(count: int = 200) -> list[dict]:
    """Real-looking 食品经营许可 rows: dates, decimals, NULLs and Chinese text."""
    rnd = random.Random(20261018)  # noqa: S311 — test data
    rows = []
    for n in range(1, count + 1):
        issued = date(2021, 1, 4) + timedelta(days=rnd.randrange(0, 1400))
        place, shop = rnd.choice(PLACES), rnd.choice(SHOPS)
        rows.append(
            {
                "许可证编号": f"JY1361001{n:07d}",
                "经营者名称": f"江州市{place}区{place}{shop}（{n}号店）有限公司",
                "统一社会信用代码": None if n % 17 == 0 else f"91361000MA{n:07d}X",
                "主体业态": BUSINESS[n % 3],
                "经营项目": ITEMS[n % 3],
                "发证日期": issued,
                "有效期至": issued + timedelta(days=5 * 365),
                "注册资本（万元）": (Decimal(rnd.randrange(1000, 9_999_999)) / 100).quantize(CENT),
                "最近检查时间": None
                if n % 11 == 0
                else datetime(2026, 1, 1, 9, 30) + timedelta(hours=n * 7),
                "备注": None if n % 5 else "已注销，待公告",
            }
        )
    return rows


def _sqlite_value(value):  # type: ignore[no-untyped-def]
    """How a department's SQLite file holds it: amounts as numbers (NUMERIC affinity keeps
    whole amounts as INTEGER), dates as ISO text."""
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, datetime):
        return value.isoformat(" ")
    if isinstance(value, date):
        return value.isoformat()
    return value


def expected_csv_rows(rows: list[dict], dialect: str = "sqlite") -> list[list[str]]:
    """The table as the CSV must show it: NULL empty, dates ISO, decimals written out."""

    def cell(value):  # type: ignore[no-untyped-def]
        if dialect == "sqlite":
            value = _sqlite_value(value)
        if value is None:
            return ""
        if isinstance(value, Decimal):
            return format(value, "f")
        if isinstance(value, date):
            return value.isoformat()
        return str(value)

    return [COLUMNS] + [[cell(r[c]) for c in COLUMNS] for r in rows]


def fill(engine, name: str, rows: list[dict]) -> None:  # type: ignore[no-untyped-def]
    """Create ``name`` (already quoted by the caller) and insert ``rows``."""
    placeholders = ", ".join(f":p{i}" for i in range(len(COLUMNS)))
    quoted = ", ".join(f'"{c}"' for c in COLUMNS)
    convert = _sqlite_value if engine.dialect.name == "sqlite" else (lambda v: v)
    with engine.begin() as connection:
        connection.execute(text(DDL.format(name=name)))
        connection.execute(
            text(f"INSERT INTO {name} ({quoted}) VALUES ({placeholders})"),  # noqa: S608
            [{f"p{i}": convert(r[c]) for i, c in enumerate(COLUMNS)} for r in rows],
        )


@pytest.fixture
def licences_db(tmp_path):  # type: ignore[no-untyped-def]
    path = tmp_path / "scjgj.db"
    url = f"sqlite:///{path}"
    engine = create_engine(url)
    rows = licence_rows()
    fill(engine, '"食品经营许可"', rows)
    engine.dispose()
    return url, rows


def _add(rt, name: str, url: str, **config):  # type: ignore[no-untyped-def]
    config.setdefault("provider", PROVIDER)
    # the 摘要 an operator writes for a 系统对接 source (an entry without one is held)
    config.setdefault("notes", "市场监督管理局业务系统中的食品经营许可信息，每日同步。")
    return add_source(rt, name=name, kind="sql", location=url, config=config)


def _harvest(rt, name: str):  # type: ignore[no-untyped-def]
    return run_source(rt, get_sources(rt, [name])[0])


def _downloaded_rows(rt, title_query: str) -> tuple[dict, list[list[str]]]:
    pkg = search(rt, q=title_query)["results"][0]
    resource = pkg["resources"][0]
    found = catalog.resource_download(rt, dataset=pkg["name"], resource_id=resource["id"])
    with found.path.open(encoding="utf-8-sig", newline="") as handle:
        return pkg, list(csv.reader(handle))


def _staging_left(rt) -> list:  # type: ignore[no-untyped-def]
    folder = rt.paths.staging / "sql"
    return list(folder.rglob("*")) if folder.exists() else []


# -- SQLite --------------------------------------------------------------------------------------


def test_a_table_is_published_with_its_rows_and_follows_the_data(rt, licences_db):
    url, rows = licences_db
    _add(
        rt,
        "scjgj-licences",
        url,
        table="食品经营许可",
        title="食品经营许可信息",
        topic="市场监管",
        update_cycle="每天",
        notes="全市食品经营许可证发放信息。",
        provider_code="11361000MB0000003X",
    )
    result = _harvest(rt, "scjgj-licences")
    assert result.status == "finished", result.message
    assert result.counts["added"] == 1, result.changes
    pkg, downloaded = _downloaded_rows(rt, "食品经营许可")
    assert downloaded == expected_csv_rows(rows)
    assert pkg["title"] == "食品经营许可信息" and pkg["organization"]["title"] == PROVIDER
    assert pkg["openness"] == "unconditional" and pkg["update_cycle"] == "每日"
    assert pkg["topic"] == "市场监管" and pkg["record_count"] == 200
    assert pkg["resources"][0]["name"] == "食品经营许可"
    assert pkg["resources"][0]["validation_status"] == "success"
    assert _staging_left(rt) == []  # close() removed the CSV

    again = _harvest(rt, "scjgj-licences")
    assert (again.counts["unchanged"], again.counts["added"], again.counts["updated"]) == (1, 0, 0)

    engine = create_engine(url)
    with engine.begin() as connection:
        connection.execute(
            text('UPDATE "食品经营许可" SET "备注" = :v WHERE "许可证编号" = :k'),
            {"v": "许可事项变更：增加热食类食品制售", "k": "JY13610010000042"},
        )
    engine.dispose()
    changed = _harvest(rt, "scjgj-licences")
    assert changed.counts["updated"] == 1, changed.changes
    _, downloaded = _downloaded_rows(rt, "食品经营许可")
    row = next(r for r in downloaded if r[0] == "JY13610010000042")
    assert row[-1] == "许可事项变更：增加热食类食品制售"


def test_a_query_source(rt, licences_db):
    url, rows = licences_db
    query = """
        SELECT "许可证编号", "经营者名称", "发证日期", "注册资本（万元）"
        FROM "食品经营许可"
        WHERE "主体业态" = '餐饮服务经营者'  -- 只公开餐饮服务
          AND "经营者名称" LIKE '%公司' AND '09:30' <> ':x'
        ORDER BY "许可证编号";
    """
    added = _add(rt, "scjgj-catering", url, query=query, title="餐饮服务食品经营许可")
    assert not added["config"]["query"].endswith(";")
    result = _harvest(rt, "scjgj-catering")
    assert result.counts["added"] == 1, result.changes
    [(outcome, identifier, _)] = result.changes
    assert identifier.startswith("query:") and len(identifier) == len("query:") + 12
    _, downloaded = _downloaded_rows(rt, "餐饮服务")
    wanted = [r for r in rows if r["主体业态"] == "餐饮服务经营者"]
    assert downloaded[0] == ["许可证编号", "经营者名称", "发证日期", "注册资本（万元）"]
    assert downloaded[1:] == [
        [
            r["许可证编号"],
            r["经营者名称"],
            r["发证日期"].isoformat(),
            str(_sqlite_value(r["注册资本（万元）"])),
        ]
        for r in wanted
    ]
    assert _harvest(rt, "scjgj-catering").counts["unchanged"] == 1


def test_a_conditional_table_keeps_its_declaration(rt, licences_db):
    url, _ = licences_db
    _add(
        rt,
        "scjgj-conditional",
        url,
        table="食品经营许可",
        openness="有条件开放",
        conditions="须签署数据使用协议",
    )
    assert _harvest(rt, "scjgj-conditional").counts["added"] == 1
    pkg = search(rt, q="食品经营许可")["results"][0]
    assert pkg["openness"] == "conditional" and pkg["conditions"] == "须签署数据使用协议"
    assert pkg["title"] == "食品经营许可"  # no title configured: the table's name


@pytest.mark.parametrize(
    ("location", "config", "message"),
    [
        ("not a url", {"table": "t"}, "数据库地址无效"),
        ("nosuchdb://host/db", {"table": "t"}, "不支持的数据库类型"),
        ("sqlite:///x.db", {}, "table 或 query"),
        ("sqlite:///x.db", {"table": "t", "query": "select 1"}, "table 或 query"),
        ("sqlite:///x.db", {"table": "x; DROP TABLE y"}, "表名须为普通标识符"),
        ("sqlite:///x.db", {"table": 't" --'}, "表名须为普通标识符"),
        ("sqlite:///x.db", {"table": "a.b.c"}, "表名须为普通标识符"),
        ("sqlite:///x.db", {"query": "DELETE FROM t", "title": "x"}, "不能是 DELETE"),
        ("sqlite:///x.db", {"query": "select 1; drop table t", "title": "x"}, "一条语句"),
        ("sqlite:///x.db", {"query": "select * into y from t", "title": "x"}, "INTO"),
        ("sqlite:///x.db", {"query": "select 1"}, "title"),
        ("sqlite:///x.db", {"table": "t", "provider": ""}, "provider"),
        ("sqlite:///x.db", {"table": "t", "colour": "red"}, "不支持配置项 colour"),
        ("sqlite:///x.db", {"table": "t", "update_cycle": "偶尔"}, "更新周期无法识别"),
        ("sqlite:///x.db", {"table": "t", "openness": "半开放"}, "开放属性无法识别"),
        ("sqlite:///x.db", {"table": "t", "openness": "不予开放"}, "缺少不予开放情形或依据"),
        ("sqlite:///x.db", {"table": "t", "name": "Not A Slug"}, "name"),
    ],
)
def test_bad_sources_are_refused_when_added(rt, location, config, message):
    config = {"provider": PROVIDER, **config}
    if config["provider"] == "":
        del config["provider"]
    with pytest.raises((SourceError, ValidationError), match=message):
        add_source(rt, name="bad", kind="sql", location=location, config=config)


def test_the_password_is_never_shown(rt):
    secret = "S3cr3t-pa55"  # noqa: S105
    url = f"postgresql+psycopg://kaifang:{secret}@127.0.0.1:1/nowhere"
    _add(rt, "down", url, table="licences")
    assert SqlSource.shown_location(url) == "postgresql+psycopg://kaifang:***@127.0.0.1:1/nowhere"
    result = _harvest(rt, "down")
    assert result.status == "failed"
    assert result.message.startswith("数据库无法连接：")
    assert secret not in result.message and "***" in result.message
    with pytest.raises(SourceError) as refused:
        add_source(rt, name="bad2", kind="sql", location=f"sqlite:/{secret}:::", config={})
    assert secret not in refused.value.message


def test_missing_tables_and_broken_queries_fail_the_job_cleanly(rt, licences_db, tmp_path):
    url, _ = licences_db
    _add(rt, "no-table", url, table="许可证")
    failed = _harvest(rt, "no-table")
    assert failed.status == "failed" and failed.message == "数据表不存在：许可证"
    _add(rt, "bad-query", url, query='SELECT * FROM "无此表"', title="x")
    failed = _harvest(rt, "bad-query")
    assert failed.status == "failed" and failed.message.startswith("查询无法执行：")
    _add(rt, "no-file", f"sqlite:///{tmp_path / 'gone.db'}", table="t")
    failed = _harvest(rt, "no-file")
    assert failed.status == "failed" and "数据库文件不存在" in failed.message
    assert not (tmp_path / "gone.db").exists()  # not created by connecting
    objects = job_objects(rt, failed.job_id)
    assert [o["stage"] for o in objects] == ["gather"]


def test_the_session_is_read_only(rt, licences_db):
    """Behind check_query: even a statement that slipped through could not write."""
    url, _ = licences_db
    _add(rt, "ro", url, table="食品经营许可")
    kind = SqlSource(get_sources(rt, ["ro"])[0], rt)
    try:
        with kind._connect() as connection, pytest.raises(Exception, match="readonly|read-only"):
            connection.exec_driver_sql('DELETE FROM "食品经营许可"')
    finally:
        kind.close()


def test_binary_columns_are_refused_with_a_note(rt, tmp_path):
    url = f"sqlite:///{tmp_path / 'photos.db'}"
    engine = create_engine(url)
    with engine.begin() as connection:
        connection.execute(
            text('CREATE TABLE "门店" ("编号" INTEGER PRIMARY KEY, "名称" TEXT, "照片" BLOB)')
        )
        connection.execute(
            text('INSERT INTO "门店" VALUES (:i, :n, :p)'),
            [{"i": i, "n": f"门店{i}", "p": b"\x89PNG\r\n" + bytes([i])} for i in range(1, 6)],
        )
    engine.dispose()
    _add(rt, "photos", url, table="门店")
    kind = SqlSource(get_sources(rt, ["photos"])[0], rt)
    try:
        [item] = kind.gather().items
        record = kind.fetch(item)
        body = record.files[0].path.read_text(encoding="utf-8")
        assert list(csv.reader(io.StringIO(body)))[:2] == [["编号", "名称"], ["1", "门店1"]]
        assert "照片" in record.unnormalised["_notes"][0]
    finally:
        kind.close()
    assert _staging_left(rt) == []


def test_the_file_size_limit_bounds_the_export(tmp_path, licences_db):
    from tests.factories import make_runtime

    url, _ = licences_db
    small = make_runtime(tmp_path / "small", max_file_bytes=4096)
    try:
        _add(small, "big", url, table="食品经营许可")
        result = _harvest(small, "big")
        assert result.status == "finished" and result.counts["errored"] == 1
        [(outcome, _, message)] = result.changes
        assert "超过文件大小上限" in message
        assert _staging_left(small) == []
    finally:
        small.close()


@pytest.mark.parametrize(
    "query",
    [
        "select 1",
        "  WITH t AS (SELECT 1 AS a) SELECT a FROM t ;  ",
        "select 'delete; drop' as x",
        'select "update" from t',
        "/* 说明 */ select 1 -- 注释",
    ],
)
def test_read_only_queries_pass(query):
    checked = check_query(query)
    assert checked == query.strip().removesuffix(";").strip()


# -- PostgreSQL ----------------------------------------------------------------------------------

PG_DEFAULT = "postgresql+psycopg://postgres@127.0.0.1:5432/test"


@pytest.fixture
def pg_licences():  # type: ignore[no-untyped-def]
    """A uniquely named schema on the local server holding 食品经营许可, dropped afterwards."""
    url = make_url(os.environ.get("KAIFANG_TEST_POSTGRES_URL", PG_DEFAULT))
    engine = create_engine(url)
    try:
        with engine.connect() as connection:
            connection.execute(text("select 1"))
    except Exception as exc:  # noqa: BLE001
        engine.dispose()
        reason = f"PostgreSQL at {url.render_as_string(hide_password=True)} unreachable: {exc}"
        if os.environ.get("KAIFANG_REQUIRE_SERVICES") == "1":
            pytest.fail(reason)
        pytest.skip(reason)
    schema = f"kaifang_sql_{uuid.uuid4().hex[:10]}"
    rows = licence_rows()
    try:
        with engine.begin() as connection:
            connection.execute(text(f'CREATE SCHEMA "{schema}"'))
        fill(engine, f'"{schema}"."食品经营许可"', rows)
        yield url.render_as_string(hide_password=False), schema, rows, engine
    finally:
        with engine.begin() as connection:
            connection.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
        engine.dispose()


@pytest.mark.postgres
def test_a_postgresql_table_and_query(rt, pg_licences):
    url, schema, rows, engine = pg_licences
    _add(rt, "pg-licences", url, table=f"{schema}.食品经营许可", title="食品经营许可信息")
    result = _harvest(rt, "pg-licences")
    assert result.counts["added"] == 1, result.changes
    _, downloaded = _downloaded_rows(rt, "食品经营许可信息")
    assert downloaded == expected_csv_rows(rows, "postgresql")
    assert _harvest(rt, "pg-licences").counts["unchanged"] == 1

    with engine.begin() as connection:  # an UPDATE moves the row physically: order still holds
        connection.execute(
            text(
                f'UPDATE "{schema}"."食品经营许可" SET "注册资本（万元）" = 12.5 '  # noqa: S608
                'WHERE "许可证编号" = :k'
            ),
            {"k": "JY13610010000001"},
        )
    assert _harvest(rt, "pg-licences").counts["updated"] == 1
    _, downloaded = _downloaded_rows(rt, "食品经营许可信息")
    assert downloaded[1][0] == "JY13610010000001" and downloaded[1][7] == "12.50"

    query = (
        f'SELECT "许可证编号", "最近检查时间" FROM "{schema}"."食品经营许可" '  # noqa: S608
        """WHERE "最近检查时间" IS NULL AND "经营者名称" LIKE '%公司' AND '1'::text <> ':x' """
        "ORDER BY 1"
    )
    _add(rt, "pg-unchecked", url, query=query, title="未检查的食品经营者")
    assert _harvest(rt, "pg-unchecked").counts["added"] == 1
    _, downloaded = _downloaded_rows(rt, "未检查")
    assert downloaded[1:] == [[r["许可证编号"], ""] for r in rows if r["最近检查时间"] is None]


@pytest.mark.postgres
def test_postgresql_missing_table_and_read_only_session(rt, pg_licences):
    url, schema, _, engine = pg_licences
    _add(rt, "pg-missing", url, table=f"{schema}.无此表")
    failed = _harvest(rt, "pg-missing")
    assert failed.status == "failed" and failed.message == f"数据表不存在：{schema}.无此表"
    kind = SqlSource(get_sources(rt, ["pg-missing"])[0], rt)
    try:
        with kind._connect() as connection, pytest.raises(Exception, match="read-only"):
            connection.exec_driver_sql(f'DELETE FROM "{schema}"."食品经营许可"')  # noqa: S608
    finally:
        kind.close()
    with engine.connect() as connection:
        count = connection.execute(text(f'SELECT count(*) FROM "{schema}"."食品经营许可"'))  # noqa: S608
        assert count.scalar() == 200
