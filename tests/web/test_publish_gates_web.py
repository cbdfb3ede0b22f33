"""Datasets held by the publish gates through the pages and the APIs: the public gets 404 for
the page, its JSON twin (package_show) and the download, and package_search leaves them out;
the operators' 隔离区 and the department's 工作台 show each gate with what is wrong and what
to fix, a reviewer of another department sees nothing of them. A dataset of several tables
shows its capacity as every table's rows × columns (the demo's air-quality daily)."""

from __future__ import annotations

import html

import pytest
from sqlalchemy import select

from datasets.accounts.users import create_user
from datasets.models import Dataset, Organization
from portal.app import create_app
from tests.factories import make_runtime, sign_in
from tests.services.test_publish_gates import HEALTH, build, harvest

PASSWORD = "correct horse battery"


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    tmp_path = tmp_path_factory.mktemp("gates")
    rt = make_runtime(tmp_path / "instance")
    build(tmp_path / "src")
    harvest(rt, tmp_path / "src")
    with rt.reader() as session:
        orgs = {o.title: o.name for o in session.scalars(select(Organization))}
        ids = {d.name: [r.id for r in d.resources] for d in session.scalars(select(Dataset))}
    create_user(rt, name="ops", role="operator", password=PASSWORD)
    transport = orgs["江州市交通运输局"]
    create_user(rt, name="rev", role="reviewer", password=PASSWORD, department=transport)
    create_user(
        rt, name="doctor", role="reviewer", password=PASSWORD, department=orgs[HEALTH["name"]]
    )
    app = create_app({"instance": str(rt.paths.root), "ratelimit_enabled": False})
    app.config.update(TESTING=True)
    yield app, ids
    rt.close()


def _text(response) -> str:
    return html.unescape(response.get_data(as_text=True))


def _section(page: str, start: str, end: str) -> str:
    return page[page.index(start) : page.index(end, page.index(start))]


@pytest.mark.parametrize("name", ["budget-report", "bus-stops", "taxi-ranks", "bus-lines-copy"])
def test_the_public_cannot_reach_a_held_dataset(world, name):
    app, ids = world
    client = app.test_client()
    assert client.get("/dataset/bus-lines").status_code == 200
    [open_file] = ids["bus-lines"]
    assert client.get(f"/dataset/bus-lines/resource/{open_file}/download/file").status_code == 200
    assert client.get(f"/dataset/{name}").status_code == 404
    answer = client.get(f"/api/3/action/package_show?id={name}")
    assert answer.status_code == 404 and answer.get_json()["success"] is False
    for resource_id in ids[name]:
        download = client.get(f"/dataset/{name}/resource/{resource_id}/download/file")
        assert download.status_code in (403, 404)
    search = client.get("/api/3/action/package_search?rows=100").get_json()["result"]
    assert name not in {p["name"] for p in search["results"]}
    assert name not in client.get("/api/3/action/package_list").get_json()["result"]
    assert "bus-lines" in {p["name"] for p in search["results"]}


def test_operators_see_every_gate_with_what_to_fix(world):
    app, _ = world
    page = _text(sign_in(app, "ops", PASSWORD).get("/admin/quarantine"))
    ranks = _section(page, "/admin/dataset/taxi-ranks", "</article>")
    assert "未通过的发布检查" in ranks and "空文件" in ranks
    assert "数据文件没有数据：ranks（0 字节）" in ranks
    assert "从业务系统重新导出含数据行的文件后重新报送" in ranks
    copy = _section(page, "/admin/dataset/bus-lines-copy", "</article>")
    assert "与其他数据集文件重复" in copy and "“公交线路信息”（bus-lines）" in copy
    plans = _section(page, "/admin/dataset/clinic-plans", "</article>")
    assert "缺少机器可读格式" in plans and "CSV、XLSX、JSON" in plans
    detail = _text(sign_in(app, "ops", PASSWORD).get("/admin/dataset/budget-report"))
    assert "未通过的发布检查" in detail and "仅提供 PDF 格式的文件" in detail


def test_the_department_sees_its_own_held_datasets_with_the_fix(world):
    app, _ = world
    page = _text(sign_in(app, "rev", PASSWORD).get("/workspace"))
    held = _section(page, 'id="quarantine"', "</section>")
    for title in ("预算报告", "公交站点", "出租车停靠点", "城市公交线路"):
        assert title in held, title
    assert "只有表头，没有数据行" in held and "如何修正" in held
    assert "诊所平面图" not in held  # another department's
    other = _section(
        _text(sign_in(app, "doctor", PASSWORD).get("/workspace")), 'id="quarantine"', "</section>"
    )
    assert "诊所平面图" in other and "缺少机器可读格式" in other
    assert "出租车停靠点" not in other


def test_a_dataset_of_several_tables_counts_every_tables_cells(client):
    pkg = client.get("/api/3/action/package_show?id=jiangzhou-air-quality-daily").get_json()
    pkg = pkg["result"]
    assert [r["row_count"] for r in pkg["resources"]] == [6, 360]
    assert pkg["record_count"] == 366 and pkg["capacity"] == 6 * 7 + 360 * 13 == 4722
    names = [c["name"] for c in pkg["columns"]]
    assert len(names) == len(set(names)) == pkg["field_count"] == 18
    shared = next(c for c in pkg["columns"] if c["name"] == "站点编码")
    assert shared["resources"] == ["aq-stations", "air-quality-daily"]
    page = _text(client.get("/dataset/jiangzhou-air-quality-daily"))
    assert "4,722" in page and "所在文件" in page


def test_the_demo_holds_exactly_its_deliberate_examples(demo_rt, client):
    with demo_rt.reader() as session:
        rows = session.execute(select(Dataset.name, Dataset.state, Dataset.quarantine)).all()
    held = {
        name: [g["code"] for g in quarantine.get("gates", [])]
        for name, state, quarantine in rows
        if state != "active"
    }
    assert held == {
        "jiangzhou-statistical-bulletin-2025": ["machine-readable"],  # a Word document only
        "fei-wu-zhi-wen-hua-yi-chan-dai-biao-xing-xiang-mu-ming-lu": ["catalog-fields"],  # no 摘要
        "zhi-yuan-zhe-fu-wu-dui-ming-dan": [],  # private mobiles: the scanner holds it
    }
    assert len(rows) - len(held) == 61
    assert client.get("/dataset/jiangzhou-statistical-bulletin-2025").status_code == 404
    summary = client.get("/api/3/action/package_list").get_json()["result"]
    assert len(summary) == 61 and "jiangzhou-statistical-bulletin-2025" not in summary
