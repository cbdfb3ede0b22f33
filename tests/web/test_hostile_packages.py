"""Hostile packages (``tests/hostile.py``), one per leak path, harvested as a careless department
would publish them — all declared 无条件开放 — are held back, each with its reason; the leak
crawler finds none of their personal values, raw or as the mojibake a wrong decoding makes, in
any public channel; and published de-identified, a workbook shows only its masked table.
"""

from __future__ import annotations

import pytest
from sqlalchemy import select

from datasets.accounts.permissions import Actor
from datasets.models import Dataset
from datasets.openness import curation
from datasets.openness.pii.scanner import ScanReport
from harvester.jobs import run_source
from harvester.sources import add_source, get_sources
from portal.app import create_app
from tests import hostile
from tests.factories import make_runtime
from tests.leaks import all_channels, find_leaks, stray_public_files

OPERATOR = Actor(name="ops", user_id="u1", roles=frozenset({"operator"}))


@pytest.fixture(scope="module")
def harvested(tmp_path_factory):  # type: ignore[no-untyped-def]
    root = tmp_path_factory.mktemp("hostile")
    planted = hostile.build(root / "src")
    rt = make_runtime(root / "instance")
    add_source(rt, name="hostile", kind="datapackage", location=str(root / "src"))
    result = run_source(rt, get_sources(rt, ["hostile"])[0])
    assert result.status == "finished", result.message
    app = create_app({"instance": str(rt.paths.root), "ratelimit_enabled": False})
    yield rt, app, planted
    rt.close()


def test_every_hostile_package_is_held_back_with_its_reasons(harvested):
    rt, _app, planted = harvested
    with rt.reader() as session:
        states = dict(session.execute(select(Dataset.name, Dataset.state)).all())
    assert set(states) == set(planted.secrets) | planted.held
    assert {name: state for name, state in states.items() if state != "quarantined"} == {}
    listed = {item["name"]: item for item in curation.quarantine_list(rt, actor=OPERATOR)}
    for name in planted.secrets:
        findings = {(f["resource"], f["kind"]) for f in listed[name]["findings"]}
        assert findings, f"{name}: held without findings"
    image = curation.dataset_curation(rt, name="h-image", actor=OPERATOR)
    reasons = " ".join(r for held in image["quarantine"]["held"] for r in held["reasons"])
    assert "PNG 图像无法扫描" in reasons and "没有可提取的文字" in reasons


@pytest.mark.parametrize(
    ("package", "where"),
    [
        ("h-xlsx", "明细!身份证号"),
        ("h-xlsx", "底稿!编号"),
        ("h-xlsx", "汇总!（批注）"),
        ("h-xlsx", "（标题行）"),
        ("h-xlsx", "（第4列）"),
        ("h-csv-title", "（标题行）"),
        ("h-csv-title", "编号"),
        ("h-geojson", "（键名）"),
        ("h-big5", "姓名"),
        ("h-plates", "车辆"),
        ("h-plates", "医师执业证书编码"),
    ],
)
def test_findings_name_where_the_value_hid(harvested, package, where):
    rt, _app, _planted = harvested
    info = curation.dataset_curation(rt, name=package, actor=OPERATOR)
    assert where in {f["column"] for f in info["findings"] if f["personal"]}


def test_no_public_channel_carries_a_planted_value_or_its_mojibake(harvested):
    rt, app, planted = harvested
    secrets = planted.all_secrets()
    mojibake = planted.mojibake()
    assert len(secrets) > 35 and len(mojibake) > 5
    channels = all_channels(app.test_client(), rt)
    assert find_leaks(channels, secrets | mojibake) == []
    assert stray_public_files(rt) == []


@pytest.mark.parametrize("package", ["h-json", "h-archives", "h-pdf", "h-big5", "h-xlsx"])
def test_the_crawler_would_see_a_planted_value(harvested, monkeypatch, package):
    """With the scanner's findings (and the publish gates: h-pdf is a PDF only) ignored, the
    package is published as it is and the crawler finds its values in the download: the
    channels really carry every format's text (inside archives, PDFs, every sheet and comment
    of a workbook, Big5 bytes)."""
    rt, app, planted = harvested
    empty = ScanReport((), 0, ())
    monkeypatch.setattr("datasets.intake.findings.personal_columns", lambda reports, names: [])
    monkeypatch.setattr("datasets.intake.placement.scan_report", lambda data: empty)
    monkeypatch.setattr("datasets.intake.gating.failed_gates", lambda entry: ())
    curation.release(rt, name=package, actor=OPERATOR, reason="测试：忽略扫描结果")
    try:
        leaks = find_leaks(all_channels(app.test_client(), rt), planted.secrets[package])
        assert {value for where, value in leaks if "/download/" in where} == planted.secrets[
            package
        ]
    finally:
        monkeypatch.undo()
        curation.reclassify(
            rt, name=package, openness="unconditional", reason="测试结束，恢复隔离", actor=OPERATOR
        )
    assert curation.dataset_curation(rt, name=package, actor=OPERATOR)["state"] == "quarantined"
    assert stray_public_files(rt) == []


def test_a_workbook_published_de_identified_shows_only_its_masked_table(tmp_path):
    """With masking rules for its table's personal columns, the workbook is published as a
    masked copy of that table alone: no other sheet, no comment, title rows and extra cells
    masked."""
    planted = hostile.build(tmp_path / "src")
    rt = make_runtime(tmp_path / "instance")
    add_source(rt, name="hostile", kind="datapackage", location=str(tmp_path / "src"))
    assert run_source(rt, get_sources(rt, ["hostile"])[0]).status == "finished"
    info = curation.dataset_curation(rt, name="h-xlsx", actor=OPERATOR)
    outside = {f["column"] for f in info["findings"] if f["personal"]}
    assert outside and all(c.startswith("（") or "!" in c for c in outside)
    # the operator decides: what lies outside the table is not published (suppress)
    curation.set_masking_rules(
        rt, name="h-xlsx", rules=dict.fromkeys(outside, "suppress"), actor=OPERATOR
    )
    curation.release(rt, name="h-xlsx", actor=OPERATOR, reason="脱敏副本只含主表")
    app = create_app({"instance": str(rt.paths.root), "ratelimit_enabled": False})
    client = app.test_client()
    package = client.get("/api/3/action/package_show?id=h-xlsx").get_json()["result"]
    assert package["deidentified"] and package["resources"][0]["access"] == "public"
    download = client.get(package["resources"][0]["url"])
    assert download.status_code == 200
    from io import BytesIO

    from openpyxl import load_workbook

    book = load_workbook(BytesIO(download.data), read_only=True)
    assert book.sheetnames == ["汇总"]
    text = " ".join(str(v) for row in book.worksheets[0].iter_rows(values_only=True) for v in row)
    book.close()
    assert "江南区" in text and "填报单位" in text
    assert find_leaks({"masked copy": text}, planted.secrets["h-xlsx"]) == []
    rt.close()
