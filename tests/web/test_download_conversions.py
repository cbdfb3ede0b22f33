"""Every table file in every export format (``?format=<code>`` on its download URL): each
conversion holds the file's rows, is served under the resource's Chinese name with an ASCII
fallback, has an ETag and answers 304; the original keeps Range, ETag and 304; a bad code is
400, a file that is not a table 400, conditional data 403 as before; a grant holder's
conversion is never stored by a cache."""

from __future__ import annotations

import csv
import io
import json
import re
from typing import Any
from urllib.parse import unquote

import pytest
from openpyxl import load_workbook

from datasets.intake.publishing import import_record
from datasets.intake.records import FileRecord, HarvestRecord, ProviderRecord
from datasets.models import Resource
from datasets.rows.formats import FORMATS, object_keys
from datasets.tables import cell_text, is_blank, open_table
from portal.app import create_app
from tests.factories import BUS_ROWS, CREDIT_CODE, make_runtime, pdf_bytes, write_csv
from tests.services.test_grant_scopes import HEADER, PEOPLE
from tests.web.test_grant_scopes_web import call, granted, resource_url, world  # noqa: F401


def _search(client, **query):  # type: ignore[no-untyped-def]
    response = client.get("/api/3/action/package_search", query_string={"rows": 1000, **query})
    return response.get_json()["result"]["results"]


def _path(url: str) -> str:
    return url.replace("http://localhost", "")


def _public(client, fmt: str) -> tuple[dict[str, Any], dict[str, Any]]:  # type: ignore[no-untyped-def]
    """An unconditional package and its first downloadable file of this format."""
    for pkg in _search(client, fq="openness:unconditional"):
        for res in pkg["resources"]:
            if res["format"] == fmt and res["access"] == "public" and res["mirrored"]:
                return pkg, res
    raise AssertionError(f"no public {fmt} file in the demo")


def _table(demo_rt, resource_id: str) -> tuple[list[str], list[list[Any]]]:  # type: ignore[no-untyped-def]
    """The public file's table as the one reader reads it, blank rows left out."""
    with demo_rt.reader() as session:
        res = session.get(Resource, resource_id)
        path = demo_rt.store.path("public", res.public_key)
    fmt = path.suffix.lstrip(".")
    with open_table(path, fmt, codec="utf-8-sig" if fmt == "csv" else None) as table:
        sheet = table.main_sheet()
        width = len(sheet.header)
        rows = [
            (list(r[:width]) + [None] * (width - len(r)))[:width]
            for r in sheet.rows
            if not is_blank(r)
        ]
        return sheet.header, rows


def _plain(value: Any) -> Any:
    """What a JSON or XLSX conversion holds for a cell: numbers and None as they are, the rest
    as text (an integer Excel cannot hold exactly as text)."""
    if value is None or isinstance(value, str | bool | float):
        return value
    if isinstance(value, int):
        return value if abs(value) < 10**15 else str(value)
    return cell_text(value)


def _decoded(code: str, body: bytes) -> list[list[Any]]:
    """A conversion's rows, header first."""
    if code in ("csv", "csv-bom"):
        text = body.decode("utf-8")
        return [list(r) for r in csv.reader(io.StringIO(text.removeprefix("\ufeff")))]
    if code == "xlsx":
        book = load_workbook(io.BytesIO(body), read_only=True)
        try:
            return [list(r) for r in book.worksheets[0].iter_rows(values_only=True)]
        finally:
            book.close()
    records = json.loads(body) if code == "json" else [json.loads(x) for x in body.splitlines()]
    return [list(records[0]) if records else []] + [list(r.values()) for r in records]


@pytest.mark.parametrize("fmt", ["CSV", "XLSX"])
@pytest.mark.parametrize("code", list(FORMATS))
def test_every_conversion_holds_the_files_rows(client, demo_rt, fmt, code):
    pkg, res = _public(client, fmt)
    header, rows = _table(demo_rt, res["id"])
    response = client.get(_path(res["url"]), query_string={"format": code})
    assert response.status_code == 200, response.get_data(as_text=True)
    assert response.headers["Content-Type"].startswith(FORMATS[code].media_type)
    got = _decoded(code, response.data)
    if code in ("csv", "csv-bom"):
        assert got == [header] + [["" if v is None else cell_text(v) for v in r] for r in rows]
        assert response.data.startswith(b"\xef\xbb\xbf") == (code == "csv-bom")
    elif code == "xlsx":
        assert got[0] == [h or None for h in header]
        assert got[1:] == [[_plain(v) for v in r] for r in rows]
    else:
        assert got[0] == object_keys(header)
        assert got[1:] == [[_plain(v) for v in r] for r in rows]


def _disposition(response) -> tuple[str, str]:  # type: ignore[no-untyped-def]
    header = response.headers["Content-Disposition"]
    assert header.startswith("attachment;")
    plain = re.search(r'filename="([^"]*)"', header)
    star = re.search(r"filename\*=UTF-8''(\S+)", header)
    assert plain and star, header
    return plain.group(1), unquote(star.group(1))


def test_originals_and_conversions_carry_the_chinese_name_and_an_ascii_fallback(client):
    found = [p for p in _search(client, q="养老机构") if p["title"] == "养老机构名录"]
    assert found, [(p["name"], p["title"]) for p in _search(client, q="养老机构")]
    res = found[0]["resources"][0]
    assert res["name"] == "养老机构名录" and res["format"] == "XLSX", res
    original = client.get(_path(res["url"]))
    plain, name = _disposition(original)
    assert name == "养老机构名录.xlsx"
    assert plain.isascii() and plain.endswith(".xlsx") and plain != ".xlsx"
    for code, fmt in FORMATS.items():
        plain, name = _disposition(client.get(_path(res["url"]), query_string={"format": code}))
        assert name == f"养老机构名录.{fmt.extension}"
        assert plain.isascii() and plain.endswith(f".{fmt.extension}")


def test_a_resource_with_an_ascii_name_is_served_under_its_datasets_title(client):
    pkg, res = next(
        (p, r)
        for p in _search(client, q="公交")
        for r in p["resources"]
        if r["name"].isascii() and r["access"] == "public"  # a data package's resource name
    )
    _plain_name, name = _disposition(client.get(_path(res["url"])))
    expected = pkg["title"] if len(pkg["resources"]) == 1 else f"{pkg['title']}-{res['name']}"
    assert name == f"{expected}.{res['format'].lower()}"
    for forbidden in '/\\"\n':
        assert forbidden not in name


def test_conversions_have_an_etag_and_answer_304(client):
    _pkg, res = _public(client, "CSV")
    url = _path(res["url"])
    etags = set()
    for code in FORMATS:
        first = client.get(url, query_string={"format": code})
        etag = first.headers["ETag"]
        assert res["hash"].removeprefix("sha256:") in etag and code in etag
        assert "public" in first.headers["Cache-Control"]
        again = client.get(url, query_string={"format": code}, headers={"If-None-Match": etag})
        assert again.status_code == 304 and again.data == b""
        etags.add(etag)
    assert len(etags) == len(FORMATS)
    original = client.get(url).headers["ETag"]
    assert original not in etags
    stale = client.get(url, query_string={"format": "json"}, headers={"If-None-Match": original})
    assert stale.status_code == 200


def test_the_original_keeps_range_etag_and_304(client):
    _pkg, res = _public(client, "CSV")
    url = _path(res["url"])
    whole = client.get(url)
    part = client.get(url, headers={"Range": "bytes=0-9"})
    assert part.status_code == 206 and part.data == whole.data[:10]
    assert client.get(url, headers={"If-None-Match": whole.headers["ETag"]}).status_code == 304


@pytest.mark.parametrize("code", ["", "pdf", "CSV", "../etc/passwd", "x" * 300])
def test_an_unknown_format_is_400_in_chinese(client, code):
    _pkg, res = _public(client, "CSV")
    response = client.get(_path(res["url"]), query_string={"format": code})
    assert response.status_code == 400
    text = response.get_data(as_text=True)
    assert "不支持的下载格式" in text and "csv-bom" in text


def test_a_file_that_is_not_a_table_has_no_conversions(tmp_path):
    rt = make_runtime(tmp_path / "instance")
    data = write_csv(tmp_path / "lines.csv", BUS_ROWS)
    (tmp_path / "guide.pdf").write_bytes(pdf_bytes("Bus network guide"))
    record = HarvestRecord(
        identifier="bus",
        name="bus-lines",
        title="公交线路信息",
        notes="数据的内容、范围、来源和更新方式说明。",
        provider=ProviderRecord("江州市交通运输局", CREDIT_CODE),
        files=(
            FileRecord(path=data, name="公交线路", format="csv"),
            FileRecord(path=tmp_path / "guide.pdf", name="线网说明", format="pdf"),
        ),
    )
    import_record(rt, record=record, source_id=None)
    app = create_app({"instance": str(rt.paths.root), "ratelimit_enabled": False})
    client = app.test_client()
    shown = client.get("/api/3/action/package_show?id=bus-lines").get_json()["result"]
    table, document = sorted(shown["resources"], key=lambda r: r["format"])
    assert (table["format"], document["format"], document["access"]) == ("CSV", "PDF", "public")
    response = client.get(_path(document["url"]), query_string={"format": "csv"})
    assert response.status_code == 400
    assert "不是数据表" in response.get_data(as_text=True)
    _plain_name, name = _disposition(client.get(_path(document["url"])))
    assert name == "线网说明.pdf"
    page = client.get("/dataset/bus-lines").get_data(as_text=True)
    assert f"{document['url']}?format=" not in page
    assert f"{table['url']}?format=csv-bom" in page
    rt.close()


def test_the_dataset_page_lists_every_conversion(client):
    pkg, res = _public(client, "CSV")
    page = client.get(f"/dataset/{pkg['name']}").get_data(as_text=True)
    for code, fmt in FORMATS.items():
        assert f'href="{res["url"]}?format={code}"' in page
        assert fmt.title in page
    assert "CSV（Excel 适用，带 BOM）" in page


def test_conditional_and_hidden_data_refuse_conversions_as_they_refuse_files(client):
    conditional = _search(client, fq="openness:conditional")
    assert conditional
    for pkg in conditional:
        page = client.get(f"/dataset/{pkg['name']}").get_data(as_text=True)
        assert "?format=" not in page
        for res in pkg["resources"]:
            for code in FORMATS:
                response = client.get(_path(res["url"]), query_string={"format": code})
                assert response.status_code == 403
                assert "有条件开放" in response.get_data(as_text=True)
                assert "Content-Disposition" not in response.headers
    _pkg, res = _public(client, "CSV")
    wrong = f"/dataset/other-name/resource/{res['id']}/download/x.csv?format=csv"
    assert client.get(wrong).status_code == 404
    missing = "/dataset/x/resource/nope/download/x.csv?format=json"
    assert client.get(missing).status_code == 404


def test_a_grant_holders_conversions_are_never_cached(world):  # noqa: F811
    granted(world)  # 区县 and 类别 only
    url = resource_url(world)
    got = call(world, "acme", "GET", url, query_string={"format": "json"})
    assert json.loads(got.data) == [{"区县": p[2], "类别": p[3]} for p in PEOPLE]
    assert "no-store" in got.headers["Cache-Control"] and "ETag" not in got.headers
    _plain_name, name = _disposition(got)
    assert name.endswith("-授权字段.json")
    book = call(world, "acme", "GET", url, query_string={"format": "xlsx"})
    assert _decoded("xlsx", book.data) == [["区县", "类别"], *[[p[2], p[3]] for p in PEOPLE]]
    assert "no-store" in book.headers["Cache-Control"]
    for who in (None, "beta"):
        refused = call(world, who, "GET", url, status=403, query_string={"format": "csv"})
        assert all(p[1] not in refused.get_data(as_text=True) for p in PEOPLE)


def test_a_full_grant_converts_the_original(world):  # noqa: F811
    granted(world, fields=tuple(HEADER))
    url = resource_url(world)
    got = call(world, "acme", "GET", url, query_string={"format": "csv-bom"})
    assert _decoded("csv-bom", got.data) == [HEADER, *PEOPLE]
    assert got.data.startswith(b"\xef\xbb\xbf")
    assert "no-store" in got.headers["Cache-Control"] and "ETag" not in got.headers
    bad = call(world, "acme", "GET", url, status=400, query_string={"format": "doc"})
    assert "不支持的下载格式" in bad.get_data(as_text=True)
