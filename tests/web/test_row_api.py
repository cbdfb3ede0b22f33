"""The row API over HTTP: CKAN's DataStore actions (as ckanapi calls them) and the native
``/api/v1/resources/<id>/rows`` with Datasette's filters, keyset paging and exports."""

from __future__ import annotations

import csv
import io
import json
from typing import Any
from urllib.parse import quote

import pytest
from openpyxl import load_workbook
from sqlalchemy import select

from datasets.models import Dataset, Resource, RowTable
from datasets.rows import formats
from datasets.tables import cell_text

BUS = "bus-lines"


@pytest.fixture(scope="module")
def tables(demo_rt) -> dict[str, str]:  # type: ignore[no-untyped-def]
    """Resource name → resource id of every row table (public and original)."""
    with demo_rt.reader() as session:
        found = session.execute(
            select(Resource.name, RowTable.resource_id, RowTable.kind).join(
                Resource, Resource.id == RowTable.resource_id
            )
        ).all()
    return {f"{kind}:{name}": rid for name, rid, kind in found}


@pytest.fixture(scope="module")
def bus(tables: dict[str, str]) -> str:
    return tables[f"public:{BUS}"]


def action(client, name: str, **params: Any) -> Any:  # type: ignore[no-untyped-def]
    response = client.post(f"/api/3/action/{name}", json=params)
    return response.status_code, response.get_json()


def test_datastore_search_answers_as_ckan_does(client, bus):  # type: ignore[no-untyped-def]
    status, body = action(client, "datastore_search", resource_id=bus, limit=5)
    assert status == 200 and body["success"] and body["help"].endswith("name=datastore_search")
    result = body["result"]
    assert result["total"] == 64 and result["total_was_estimated"] is False
    assert result["fields"][0] == {"id": "_id", "type": "int"}
    assert {"id": "站点数", "type": "int8"} in result["fields"]
    assert [r["_id"] for r in result["records"]] == [1, 2, 3, 4, 5]
    assert result["records"][0]["线路编号"] == "1路" and result["records"][0]["站点数"] == 24
    following = client.get(result["_links"]["next"]).get_json()["result"]
    assert [r["_id"] for r in following["records"]] == [6, 7, 8, 9, 10]


def test_datastore_search_filters_words_fields_sort_and_formats(client, bus):  # type: ignore[no-untyped-def]
    _, body = action(
        client,
        "datastore_search",
        resource_id=bus,
        filters={"运营单位": "江州市公交集团江北分公司"},
        fields=["线路编号", "站点数"],
        sort="站点数 desc, _id",
    )
    records = body["result"]["records"]
    assert records and all(set(r) == {"_id", "线路编号", "站点数"} for r in records)
    counts = [r["站点数"] for r in records]
    assert counts == sorted(counts, reverse=True) and body["result"]["total"] == len(records)
    _, words = action(client, "datastore_search", resource_id=bus, q="湖心岛", limit=100)
    assert words["result"]["records"] and all(
        "湖心岛" in "".join(str(v) for v in r.values()) for r in words["result"]["records"]
    )
    _, lists = action(
        client,
        "datastore_search",
        resource_id=bus,
        records_format="lists",
        fields="线路编号",
        limit=2,
    )
    assert lists["result"]["records"] == [[1, "1路"], [2, "2路"]]
    _, text = action(
        client,
        "datastore_search",
        resource_id=bus,
        records_format="csv",
        fields="线路编号",
        limit=2,
    )
    assert list(csv.reader(io.StringIO(text["result"]["records"]))) == [["1", "1路"], ["2", "2路"]]
    _, distinct = action(
        client, "datastore_search", resource_id=bus, distinct=True, fields=["运营单位"], limit=100
    )
    values = [r["运营单位"] for r in distinct["result"]["records"]]
    assert len(values) == len(set(values)) == distinct["result"]["total"] > 1


@pytest.mark.parametrize(
    ("params", "status", "words"),
    [
        ({}, 409, "resource_id"),
        ({"resource_id": "nope"}, 404, "未找到"),
        ({"limit": 32001}, 409, "32000"),
        ({"limit": "many"}, 409, "limit"),
        ({"filters": "{not json"}, 409, "filters"),
        ({"filters": {"没有的字段": "1"}}, 409, "没有的字段"),
        ({"sort": "站点数 sideways"}, 409, "站点数 sideways"),
        ({"records_format": "xml"}, 409, "records_format"),
        ({"q": ["a"]}, 409, "q"),
    ],
)
def test_bad_datastore_parameters_get_ckan_errors(client, bus, params, status, words):  # type: ignore[no-untyped-def]
    params = {"resource_id": bus, **params} if "resource_id" not in params and params else params
    got, body = action(client, "datastore_search", **params)
    assert got == status and body["success"] is False
    assert words in str(body["error"])


def test_datastore_info_names_fields_types_and_count(client, bus):  # type: ignore[no-untyped-def]
    response = client.get(f"/api/3/action/datastore_info?id={bus}")
    result = response.get_json()["result"]
    assert result["meta"]["count"] == 64
    assert [f["id"] for f in result["fields"]][:3] == ["线路编号", "线路名称", "起点站"]


def test_conditional_originals_answer_403_to_outsiders(client, tables):  # type: ignore[no-untyped-def]
    originals = [rid for key, rid in tables.items() if key.startswith("original:")]
    assert len(originals) >= 5
    for rid in originals:
        status, body = action(client, "datastore_search", resource_id=rid)
        assert status == 403 and "有条件开放" in body["error"]["message"]
        response = client.get(f"/api/v1/resources/{rid}/rows")
        assert response.status_code == 403


def test_ckanapi_reads_rows_unchanged(live, bus):  # type: ignore[no-untyped-def]
    from ckanapi import NotFound, RemoteCKAN, ValidationError

    portal = RemoteCKAN(live, user_agent="kaifang-tests")
    result = portal.action.datastore_search(resource_id=bus, limit=3, filters={"线路编号": "2路"})
    assert [r["线路编号"] for r in result["records"]] == ["2路"] and result["total"] == 1
    info = portal.action.datastore_info(id=bus)
    assert info["meta"]["count"] == 64
    with pytest.raises(NotFound):
        portal.action.datastore_search(resource_id="nope")
    with pytest.raises(ValidationError):
        portal.action.datastore_search(resource_id=bus, fields=["没有的字段"])


def rows(client, bus: str, query: str = "") -> Any:  # type: ignore[no-untyped-def]
    response = client.get(f"/api/v1/resources/{bus}/rows?{query}")
    return response.status_code, response.get_json()


def test_native_rows_filter_sort_and_choose_columns(client, bus):  # type: ignore[no-untyped-def]
    status, body = rows(client, bus, "站点数__gte=30&_sort_desc=站点数&_col=线路编号&_col=站点数")
    assert status == 200 and body["fields"][0]["id"] == "_id"
    counts = [r["站点数"] for r in body["rows"]]
    assert counts and min(counts) >= 30 and counts == sorted(counts, reverse=True)
    assert set(body["rows"][0]) == {"_id", "线路编号", "站点数"}
    _, hidden = rows(client, bus, "_nocol=运营单位&_size=1")
    assert "运营单位" not in hidden["rows"][0] and "线路名称" in hidden["rows"][0]
    _, listed = rows(client, bus, "线路编号__in=1路,3路&_col=线路编号")
    assert [r["线路编号"] for r in listed["rows"]] == ["1路", "3路"]
    _, text = rows(client, bus, "线路编号__startswith=1&线路编号__endswith=路&_size=3")
    assert all(r["线路编号"].startswith("1") for r in text["rows"])


def test_keyset_paging_walks_every_row_once(client, bus):  # type: ignore[no-untyped-def]
    seen: list[int] = []
    url = f"/api/v1/resources/{bus}/rows?_size=9&_sort=票价(元)&_col=票价(元)"
    fares: list[float] = []
    while url:
        body = client.get(url).get_json()
        seen += [r["_id"] for r in body["rows"]]
        fares += [r["票价(元)"] for r in body["rows"]]
        url = body["next_url"] and body["next_url"].split("//", 1)[1].split("/", 1)[1]
        url = url and "/" + url
    assert sorted(seen) == list(range(1, 65)) and fares == sorted(fares)


@pytest.mark.parametrize(
    ("query", "words"),
    [
        ("站点数__gt=很多", "须为整数"),
        ("没有的字段=1", "没有这些字段"),
        ("_sort=没有的字段", "没有这些字段"),
        ("_size=0", "_size"),
        ("_size=100000", "_size"),
        ("_next=%E4%B9%B1", "翻页令牌"),
        ("_sort=站点数&_sort_desc=站点数", "_sort"),
        ("_format=xml", "_format"),
        ("线路编号__in=" + ",".join(["x"] * 501), "500"),
    ],
)
def test_bad_row_parameters_get_400_with_a_reason(client, bus, query, words):  # type: ignore[no-untyped-def]
    status, body = rows(client, bus, query)
    assert status == 400 and words in body["error"]["message"]


def test_a_page_of_rows_as_csv(client, bus):  # type: ignore[no-untyped-def]
    page = client.get(f"/api/v1/resources/{bus}/rows?_format=csv&_size=2&_col=线路编号")
    assert page.mimetype == "text/csv" and page.headers["X-Next-Token"]
    assert list(csv.reader(io.StringIO(page.get_data(as_text=True)))) == [
        ["_id", "线路编号"],
        ["1", "1路"],
        ["2", "2路"],
    ]


def _exported(code: str, body: bytes) -> tuple[list[str], list[list[str]]]:
    """An export's header and rows, every value as text (``cell_text``: 18.0 is "18")."""
    if code in ("csv", "csv-bom"):
        table = list(csv.reader(io.StringIO(body.decode("utf-8-sig"))))
        return table[0], table[1:]
    if code == "xlsx":
        book = load_workbook(io.BytesIO(body), read_only=True)
        table = [[cell_text(v) for v in r] for r in book.worksheets[0].values]
        book.close()
        return table[0], table[1:]
    lines = json.loads(body) if code == "json" else [json.loads(x) for x in body.splitlines()]
    header = list(lines[0])
    return header, [[cell_text(r[k]) for k in header] for r in lines]


@pytest.mark.parametrize("code", list(formats.FORMATS))
def test_each_export_format_holds_the_filtered_view(client, demo_rt, bus, code):  # type: ignore[no-untyped-def]
    query = "站点数__lt=25&_sort_desc=站点数"
    export = client.get(f"/api/v1/resources/{bus}/rows/export?_format={code}&{query}")
    assert export.status_code == 200
    assert export.content_type == formats.FORMATS[code].media_type
    assert export.get_data().startswith(b"\xef\xbb\xbf") == (code == "csv-bom")
    header, table = _exported(code, export.get_data())
    _, body = rows(client, bus, f"{query}&_size=1000")
    assert header == [f["id"] for f in body["fields"] if f["id"] != "_id"]
    expected = [[cell_text(v) for v in r.values()][1:] for r in body["rows"]]
    assert table == expected and len(table) > 0
    disposition = export.headers["Content-Disposition"]  # the dataset's title, not "bus-lines"
    assert "filename*=UTF-8''" in disposition and "bus-lines" not in disposition
    with demo_rt.reader() as session:
        title = session.scalar(
            select(Dataset.title)
            .join(Resource, Resource.dataset_id == Dataset.id)
            .where(Resource.id == bus)
        )
    assert quote(title) in disposition


def test_the_openapi_document_describes_the_row_api(client):  # type: ignore[no-untyped-def]
    paths = client.get("/api/v1/openapi.json").get_json()["paths"]
    page = paths["/api/v1/resources/{resource_id}/rows"]["get"]
    names = {p["name"] for p in page["parameters"]}
    assert {"resource_id", "_sort", "_sort_desc", "_next", "_size", "_col", "_nocol"} <= names
    assert "/api/v1/resources/{resource_id}/rows/export" in paths


def test_the_browse_page_is_the_row_api_as_html(client, bus):  # type: ignore[no-untyped-def]
    base = f"/dataset/jiangzhou-bus-lines/resource/{bus}/rows"
    added = client.get(base + "?_sort=站点数&_filter_field=站点数&_filter_op=lt&_filter_value=25")
    assert added.status_code == 303
    page = client.get(base + added.headers["Location"])
    html = page.get_data(as_text=True)
    _, body = rows(client, bus, "站点数__lt=25&_sort=站点数&_size=1000")
    assert page.status_code == 200 and f"共 <strong>{body['total']}</strong> 行" in html
    assert html.count("<tr>") == body["total"] + 1
    first = html.index("<tbody>")
    assert body["rows"][0]["线路名称"] in html[first : first + 2000]
    assert "按 站点数 降序" in html  # sorted up: the header offers the other way
    assert all(f"_format={code}" in html for code in formats.FORMATS)  # every export offered
    bad = client.get(base + "?站点数__gt=很多")
    assert bad.status_code == 400 and "须为整数" in bad.get_data(as_text=True)
    assert client.get(f"/dataset/another-name/resource/{bus}/rows").status_code == 404


def test_the_dataset_page_links_its_tables_to_the_browse_page(client, bus):  # type: ignore[no-untyped-def]
    html = client.get("/dataset/jiangzhou-bus-lines").get_data(as_text=True)
    assert f"/dataset/jiangzhou-bus-lines/resource/{bus}/rows" in html
    assert "浏览全部 64 行" in html
