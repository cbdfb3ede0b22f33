"""The row store: every public table of the catalog loaded in the publishing transaction, typed
from its schema without changing a value, kept while the file is unchanged, dropped when its
dataset stops being public; conditional originals only for grant holders, every read logged."""

from __future__ import annotations

import math
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import inspect, select, update

from datasets.accounts.permissions import ANONYMOUS
from datasets.catalog import page_parts
from datasets.errors import NotAuthorized, NotFound, ValidationError
from datasets.models import Dataset, GrantAccess, Resource, RowTable
from datasets.rows import services as rows
from datasets.rows.query import Filter, RowQuery
from datasets.tables import TEXT_FORMATS, cell_text, is_blank, open_table
from harvester.jobs import run_source
from harvester.sources import add_source, get_sources
from tests.factories import make_runtime, write_package
from tests.services.test_grant_scopes import NAME, grant_for, world  # noqa: F401 - fixture


def file_rows(path: Path, fmt: str) -> tuple[list[str], list[list[Any]]]:
    codec = "utf-8-sig" if fmt in TEXT_FORMATS else None
    with open_table(path, fmt, codec=codec) as table:
        sheet = table.main_sheet()
        assert sheet is not None
        return sheet.header, [r for r in sheet.rows if not is_blank(r)]


def same(cell: Any, value: Any, kind: str) -> bool:
    """A file's cell and the API's value for it."""
    if value is None:
        return cell is None or cell_text(cell).strip() == ""
    if kind in ("int8", "float8"):
        return math.isclose(float(cell_text(cell)), float(value))
    if kind == "date":
        text = cell_text(cell)
        return text[:10] == value
    return cell_text(cell) == value


def everything(rt, resource_id: str, actor=ANONYMOUS) -> rows.RowsPage:
    return rows.query_rows(rt, resource_id, lambda: RowQuery(limit=32_000), actor=actor)


def test_every_demo_table_is_loaded_with_the_files_rows_and_values(demo_rt):
    assert check_demo_tables(demo_rt) >= 40


def check_demo_tables(demo_rt) -> int:  # type: ignore[no-untyped-def]
    """Every table the demo should have is loaded, with the file's rows and values (public
    ones read back through the API); returns the number of public tables checked."""
    with demo_rt.reader() as session:
        tables = session.scalars(select(RowTable)).all()
        active = session.scalars(
            select(Resource).join(Dataset).where(Dataset.state == "active")
        ).all()
        expected = {
            r.id: r
            for r in active
            if r.format in ("csv", "xlsx", "xls")
            and not r.unmirrored
            and (r.public_key or r.dataset.openness == "conditional")
        }
    assert {t.resource_id for t in tables} == set(expected)
    checked = 0
    for table in tables:
        res = expected[table.resource_id]
        root, key = (
            ("public", res.public_key)
            if table.kind == "public"
            else (
                res.storage_root,
                res.storage_key,
            )
        )
        header, file_data = file_rows(demo_rt.store.path(root, key), Path(key).suffix[1:])
        assert table.row_count == len(file_data) == res.row_count
        assert [f["id"] for f in table.fields] == [h.strip() for h in header]
        if table.kind != "public":
            continue
        page = everything(demo_rt, table.resource_id)
        assert page.total == len(file_data) and len(page.records) == len(file_data)
        kinds = [f["type"] for f in page.fields]
        for cells, record in zip(file_data, page.records, strict=True):
            padded = list(cells) + [None] * len(kinds)
            for i, (value, kind) in enumerate(zip(record[1:], kinds[1:], strict=True)):
                assert same(padded[i], value, kind), (res.name, header[i], padded[i], value)
        checked += 1
    return checked


def publish(rt, folder: Path, rows_: list[list[Any]], **props: Any) -> str:
    write_package(folder, "codes", title="行政区划代码", rows=rows_, **props)
    add_source(rt, name="codes", kind="datapackage", location=str(folder), exist_ok=True)
    result = run_source(rt, get_sources(rt, ["codes"])[0])
    assert result.status == "finished", result.summary()
    with rt.reader() as session:
        return session.scalar(select(Resource.id).where(Resource.dataset.has(name="codes")))


CODES = [["代码", "名称", "人口", "面积", "设立日期"]] + [
    [f"{n:03d}", f"第{n}区", str(1000 + n), f"{n}.5", f"2020-01-{n % 28 + 1:02d}"]
    for n in range(1, 60)
]


def test_types_come_from_the_schema_and_a_value_is_never_changed(rt, tmp_path):
    late = [*CODES, ["999", "新区", "不详", "", "待定"]]  # past Frictionless's sample
    resource_id = publish(rt, tmp_path / "src", late)
    info = rows.table_info(rt, resource_id)
    types = {f["id"]: f["type"] for f in info["fields"]}
    assert types["代码"] == "text"  # 001 is a code, not the number 1
    assert types["人口"] in ("text", "int8") and types["设立日期"] in ("text", "date")
    page = everything(rt, resource_id)
    by_code = {r[1]: r for r in page.records}
    assert by_code["001"][2] == "第1区" and by_code["999"][3] in ("不详",)
    assert types["人口"] == "text"  # "不详" does not fit an integer: the column stays text
    assert page.total == len(late) - 1


def test_tables_follow_the_file_and_the_dataset(rt, tmp_path):
    folder = tmp_path / "src"
    resource_id = publish(rt, folder, CODES)

    def tables() -> list[str]:
        with rt.reader() as session:
            return list(session.scalars(select(RowTable.table_name)))

    def physical() -> set[str]:
        return {n for n in inspect(rt.engine).get_table_names() if n.startswith("rows_")}

    first = tables()
    assert len(first) == 1 and physical() == set(first)
    publish(rt, folder, CODES)  # unchanged: kept, not loaded again
    assert tables() == first
    changed = [*CODES, ["060", "第60区", "1060", "60.5", "2020-02-01"]]
    resource_id = publish(rt, folder, changed)
    second = tables()
    assert len(second) == 1 and second != first and physical() == set(second)
    assert rows.table_info(rt, resource_id)["total"] == len(changed) - 1
    with rt.session() as session:
        session.execute(update(Dataset).values(suspended_by="case-1"))
        for dataset in session.scalars(select(Dataset)):
            dataset.revision += 1  # through the ORM, as every service changes a dataset
    assert tables() == [] and physical() == set()
    with pytest.raises(NotAuthorized):
        rows.table_info(rt, resource_id)
    with rt.session() as session:
        for dataset in session.scalars(select(Dataset)):
            dataset.suspended_by = None
    assert len(tables()) == 1 and rows.table_info(rt, resource_id)["total"] == len(changed) - 1


def test_a_failed_publication_loads_nothing(rt, tmp_path, monkeypatch):
    from datasets.intake import publishing

    def crash(*args: Any, **kwargs: Any) -> None:
        raise RuntimeError("断电")

    monkeypatch.setattr(publishing, "store_source_rules", crash)
    write_package(tmp_path / "src", "codes", title="行政区划代码", rows=CODES)
    add_source(rt, name="codes", kind="datapackage", location=str(tmp_path / "src"))
    run_source(rt, get_sources(rt, ["codes"])[0])
    with rt.reader() as session:
        assert session.scalars(select(RowTable)).all() == []
    assert not [n for n in inspect(rt.engine).get_table_names() if n.startswith("rows_")]


def query(rt, resource_id: str, **kwargs: Any) -> rows.RowsPage:
    return rows.query_rows(rt, resource_id, lambda: RowQuery(**kwargs))


@pytest.fixture(scope="module")
def codes(tmp_path_factory):
    """One table for the query tests (read only): 59 districts and one without figures."""
    folder = tmp_path_factory.mktemp("codes")
    runtime = make_runtime(folder / "instance")
    data = [*CODES[:1], *CODES[1:], ["070", "无人区", "", "", ""]]
    yield runtime, publish(runtime, folder / "src", data)
    runtime.close()


@pytest.mark.parametrize(
    ("op", "value", "expected"),
    [
        ("exact", "第3区", ["003"]),
        ("gt", "1057", ["058", "059"]),
        ("gte", "1058", ["058", "059"]),
        ("lt", "1002", ["001"]),
        ("lte", "1002", ["001", "002"]),
        ("contains", "5区", ["005", "015", "025", "035", "045", "055"]),
        ("startswith", "第5", ["005", *[f"{n:03d}" for n in range(50, 60)]]),
        ("endswith", "9区", ["009", "019", "029", "039", "049", "059"]),
        ("in", "第1区,第2区", ["001", "002"]),
        ("isnull", "1", ["070"]),
    ],
)
def test_each_filter_operator(codes, op, value, expected):
    rt, resource_id = codes
    field = {"gt": "人口", "gte": "人口", "lt": "人口", "lte": "人口", "isnull": "人口"}
    page = query(rt, resource_id, filters=(Filter(field.get(op, "名称"), op, value),))
    assert sorted(r[1] for r in page.records) == expected
    assert page.total == len(expected)


def test_keyset_pages_equal_offset_pages_in_every_order(codes):
    rt, resource_id = codes
    for sort in [(), (("人口", False),), (("人口", True),), (("名称", True), ("面积", False))]:
        whole = [r[0] for r in query(rt, resource_id, sort=sort, limit=1000).records]
        walked, after = [], None
        while True:
            page = query(rt, resource_id, sort=sort, limit=7, after=after)
            walked += [r[0] for r in page.records]
            if page.next_token is None:
                break
            after = page.next_token
        assert walked == whole and len(walked) == 60, sort
    with pytest.raises(ValidationError):  # a token from another order
        first = query(rt, resource_id, sort=(("人口", False),), limit=5)
        query(rt, resource_id, sort=(("人口", True),), limit=5, after=first.next_token)
    with pytest.raises(ValidationError):
        query(rt, resource_id, after="bm90IGEgdG9rZW4")


def test_bad_queries_name_what_is_wrong(codes):
    rt, resource_id = codes
    for bad in (
        {"fields": ("没有的字段",)},
        {"filters": (Filter("人口", "gt", "很多"),)},
        {"filters": (Filter("人口", "like", "1"),)},
        {"sort": (("没有的字段", False),)},
    ):
        with pytest.raises(ValidationError) as raised:
            query(rt, resource_id, **bad)
        assert raised.value.message
    with pytest.raises(NotFound):
        query(rt, "no-such-resource")


def test_dates_and_numbers_sort_as_such(codes):
    rt, resource_id = codes
    info = {f["id"]: f["type"] for f in rows.table_info(rt, resource_id)["fields"]}
    assert info["面积"] == "float8" and info["设立日期"] == "date"
    page = query(rt, resource_id, sort=(("面积", True),), limit=2, fields=("代码", "面积"))
    assert [r[1:] for r in page.records] == [["059", 59.5], ["058", 58.5]]
    latest = query(rt, resource_id, sort=(("设立日期", True),), limit=1, fields=("设立日期",))
    assert latest.records[0][1] == date(2020, 1, 28).isoformat()


def test_conditional_originals_only_for_grant_holders_and_each_read_is_logged(world):  # noqa: F811
    rt, actors = world["rt"], world["actors"]
    with rt.reader() as session:
        resource_id = session.scalar(select(Resource.id).where(Resource.dataset.has(name=NAME)))
        [table] = session.scalars(select(RowTable)).all()
    assert table.kind == "original"
    for outsider in (ANONYMOUS, actors["beta"]):
        with pytest.raises(NotAuthorized):
            rows.table_info(rt, resource_id, actor=outsider)
        with pytest.raises(NotAuthorized):
            everything(rt, resource_id, actor=outsider)
    grant_for(world, "acme", ["区县", "类别"])
    page = everything(rt, resource_id, actor=actors["acme"])
    assert [f["id"] for f in page.fields] == ["_id", "区县", "类别"]
    assert [r[1:] for r in page.records] == [["江南区", "低保"], ["江北区", "特困"]]
    assert page.granted
    with pytest.raises(ValidationError):  # a field outside the grant is not there at all
        rows.query_rows(
            rt, resource_id, lambda: RowQuery(fields=("身份证号",)), actor=actors["acme"]
        )
    grant_for(world, "beta")
    full = everything(rt, resource_id, actor=actors["beta"])
    assert "身份证号" in [f["id"] for f in full.fields]
    with rt.reader() as session:
        logged = session.scalars(select(GrantAccess).where(GrantAccess.action == "api")).all()
    assert sorted((a.user_id, a.rows) for a in logged) == sorted(
        [(actors["acme"].user_id, 2), (actors["beta"].user_id, 2)]
    )


def test_the_dataset_page_offers_an_original_only_to_signed_in_callers(world):  # noqa: F811
    rt, actors = world["rt"], world["actors"]
    with rt.reader() as session:
        dataset_id = session.scalar(select(Dataset.id).where(Dataset.name == NAME))
    assert page_parts.dataset_page_parts(rt, dataset_id)["row_tables"] == {}
    [shown] = page_parts.dataset_page_parts(rt, dataset_id, actors["beta"])["row_tables"].values()
    assert shown == {"granted": True, "fields": [], "total": None}  # nothing of the table


def test_a_file_dropped_from_its_dataset_takes_its_table_along(rt, tmp_path):
    folder = tmp_path / "src"
    second = [["站点", "线路"], ["火车站", "1路"], ["江南大道", "2路"]]
    pkg = write_package(folder, "codes", title="行政区划代码", rows=CODES)
    (pkg / "stops.csv").write_text("\n".join(",".join(r) for r in second), encoding="utf-8")
    both = [
        {"name": "data", "path": "data.csv", "format": "csv"},
        {"name": "stops", "path": "stops.csv", "format": "csv"},
    ]
    write_package(folder, "codes", title="行政区划代码", resources=both)
    add_source(rt, name="codes", kind="datapackage", location=str(folder))
    assert run_source(rt, get_sources(rt, ["codes"])[0]).status == "finished"

    def physical() -> set[str]:
        return {n for n in inspect(rt.engine).get_table_names() if n.startswith("rows_")}

    with rt.reader() as session:
        assert len(session.scalars(select(RowTable)).all()) == 2
    assert len(physical()) == 2
    write_package(folder, "codes", title="行政区划代码", resources=both[:1])
    assert run_source(rt, get_sources(rt, ["codes"])[0]).status == "finished"
    with rt.reader() as session:
        [kept] = session.scalars(select(RowTable)).all()
        assert session.get(Resource, kept.resource_id).name == "data"
    assert physical() == {kept.table_name}
