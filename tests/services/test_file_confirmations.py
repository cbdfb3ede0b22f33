"""人工确认 of files the scanner cannot read, at the service layer: an unconditional dataset with
an image or a scanned PDF page is quarantined with the reasons; its department's reviewer or an
operator confirms each file and the dataset is published; nobody else may; a changed file is
held again; what each viewer is shown (operators, the department's 工作台, the API's list)."""

import pytest
from sqlalchemy import select, update

from datasets.accounts.permissions import ANONYMOUS, Actor
from datasets.catalog import services as catalog
from datasets.errors import Conflict, LoginRequired, NotAuthorized, NotFound, ValidationError
from datasets.models import AuditEntry, Dataset, Organization
from datasets.openness import confirmations, curation
from datasets.workflows import queues
from harvester.jobs import run_source
from harvester.sources import add_source, get_sources
from tests.factories import BUS_ROWS, pdf_bytes, write_csv, write_package

OPERATOR = Actor(name="ops", user_id="u-ops", roles=frozenset({"operator"}))
CITIZEN = Actor(name="li", user_id="u-li", roles=frozenset({"citizen"}))
PNG = b"\x89PNG\r\n\x1a\n" + bytes(64)
HEALTH = {"name": "江州市卫生健康委员会", "code": "11361000MB0000002N"}
VOLUNTEERS = [["队伍名称", "负责人", "联系电话"], ["江南区青年志愿服务队", "欧阳明", "13912345678"]]


def write_held_package(folder, name="stops", *, png=PNG, pdf=None, rows=None, **props):
    """An unconditional data package: a CSV, a PNG image and a PDF whose page has no text."""
    pkg = folder / name
    pkg.mkdir(parents=True, exist_ok=True)
    write_csv(pkg / "data.csv", rows or BUS_ROWS)
    (pkg / "map.png").write_bytes(png)
    (pkg / "scan.pdf").write_bytes(pdf if pdf is not None else pdf_bytes(""))
    resources = [
        {"name": "data", "path": "data.csv", "format": "csv"},
        {"name": "线路图", "path": "map.png", "format": "png"},
        {"name": "扫描件", "path": "scan.pdf", "format": "pdf"},
    ]
    return write_package(folder, name, resources=resources, **props)


def harvest(rt, folder):
    add_source(rt, name="src", kind="datapackage", location=str(folder), exist_ok=True)
    result = run_source(rt, get_sources(rt, ["src"])[0])
    assert result.status == "finished", result.message
    return result


def organization_id(rt, title="江州市交通运输局"):
    with rt.reader() as session:
        return session.scalar(select(Organization.id).where(Organization.title == title))


def reviewer(rt, title="江州市交通运输局", name="rev"):
    return Actor(
        name=name,
        user_id=f"u-{name}",
        roles=frozenset({"reviewer"}),
        organization_id=organization_id(rt, title),
    )


def held_ids(rt, name="stops"):
    with rt.reader() as session:
        dataset = session.scalar(select(Dataset).where(Dataset.name == name))
        return {f["name"]: f["resource_id"] for f in confirmations.held_files(dataset)}


def ids_of(rt, name="stops"):
    with rt.reader() as session:
        dataset = session.scalar(select(Dataset).where(Dataset.name == name))
        return {r.name: r.id for r in dataset.resources}


@pytest.fixture
def held(rt, tmp_path):
    write_held_package(tmp_path / "src")
    harvest(rt, tmp_path / "src")
    return tmp_path / "src"


def test_an_image_and_a_scanned_page_quarantine_an_open_dataset_with_their_reasons(rt, held):
    [item] = curation.quarantine_list(rt, actor=OPERATOR)
    assert item["name"] == "stops" and item["findings"] == []
    reasons = {f["name"]: f["reasons"] for f in item["held"]}
    assert reasons == {
        "线路图": ["PNG 图像无法扫描"],
        "扫描件": ["PDF 第 1 页没有可提取的文字（可能是扫描图像），无法扫描"],
    }
    assert item["can_confirm"] is True
    assert item["reasons"][0] == "有 2 个文件无法扫描，须人工确认不含个人信息：线路图、扫描件"
    assert "人工确认" in item["reasons"][-1] and "扫描发现个人信息" not in str(item["reasons"])
    with pytest.raises(NotFound):
        catalog.package_show(rt, id_or_name="stops", base_url="")
    with pytest.raises(NotFound):
        catalog.resource_download(rt, dataset="stops", resource_id=held_ids(rt)["线路图"])


def test_the_departments_reviewer_confirms_each_file_and_the_dataset_is_published(rt, held):
    ids, rev = held_ids(rt), reviewer(rt)
    first = confirmations.confirm_file(
        rt, name="stops", resource_id=ids["线路图"], note="  线路示意图，无人员信息 ", actor=rev
    )
    assert first["published"] is False and first["state"] == "quarantined"
    assert [f["name"] for f in first["held"]] == ["扫描件"] and first["uncovered"] == []
    assert first["message"] == (
        "已确认文件 线路图 不含个人信息。数据集 公交线路信息 仍在隔离中："
        "还有 1 个文件待人工确认（扫描件）。"
    )
    [item] = curation.quarantine_list(rt, actor=OPERATOR)
    assert [f["name"] for f in item["held"]] == ["扫描件"]

    done = confirmations.confirm_file(
        rt, name="stops", resource_id=ids["扫描件"], note="", actor=OPERATOR
    )
    assert done["published"] is True and done["held"] == []
    assert done["message"] == "已确认文件 扫描件 不含个人信息，数据集 公交线路信息 已发布。"
    assert curation.quarantine_list(rt, actor=OPERATOR) == []
    pkg = catalog.package_show(rt, id_or_name="stops", base_url="")
    assert pkg["openness"] == "unconditional"
    found = catalog.resource_download(rt, dataset="stops", resource_id=ids["线路图"])
    assert found.path.read_bytes() == PNG

    info = curation.dataset_curation(rt, name="stops", actor=OPERATOR)
    assert info["held"] == [] and info["state"] == "active"
    history = [(c["resource"], c["by"], c["note"], c["reasons"]) for c in info["confirmations"]]
    assert history == [
        ("线路图", "rev", "线路示意图，无人员信息", ["PNG 图像无法扫描"]),
        ("扫描件", "ops", "", ["PDF 第 1 页没有可提取的文字（可能是扫描图像），无法扫描"]),
    ]
    with rt.reader() as session:
        audit = session.scalars(select(AuditEntry).where(AuditEntry.action == "file.confirm"))
        assert [a.actor for a in audit] == ["rev", "ops"]


def test_nobody_else_may_confirm_and_bad_requests_are_refused(rt, held, tmp_path):
    write_package(tmp_path / "src", "clinics", title="诊所名录", provider=HEALTH)
    harvest(rt, tmp_path / "src")
    ids = held_ids(rt)
    other = reviewer(rt, "江州市卫生健康委员会", "doctor")

    def confirm(actor, resource_id=ids["线路图"], note="", name="stops"):
        return confirmations.confirm_file(
            rt, name=name, resource_id=resource_id, note=note, actor=actor
        )

    with pytest.raises(LoginRequired):
        confirm(ANONYMOUS)
    with pytest.raises(NotAuthorized, match="审核人员或平台运维人员"):
        confirm(CITIZEN)
    # another department's reviewer: its quarantined dataset is not even visible to them
    with pytest.raises(NotFound, match="未找到数据集 stops"):
        confirm(other)
    with pytest.raises(NotFound, match="未找到数据集 nope"):
        confirm(other, name="nope")
    # a public dataset of another department: visible, but not theirs
    with pytest.raises(NotAuthorized):
        confirm(reviewer(rt), name="clinics", resource_id="x")
    unbound = Actor(name="x", user_id="u-x", roles=frozenset({"reviewer"}))
    with pytest.raises(NotFound):
        confirm(unbound)
    with pytest.raises(NotFound, match="没有这个文件"):
        confirm(OPERATOR, resource_id="no-such-file")
    with pytest.raises(ValidationError, match="2000"):
        confirm(OPERATOR, note="字" * 2001)
    with pytest.raises(ValidationError, match="文字"):
        confirm(OPERATOR, note=["not", "text"])
    with pytest.raises(Conflict, match="无需人工确认"):
        confirm(OPERATOR, resource_id=ids_of(rt)["data"])  # the CSV was scanned
    assert held_ids(rt) == ids  # nothing was confirmed on the way

    confirm(OPERATOR)
    with pytest.raises(Conflict, match="无需人工确认"):
        confirm(OPERATOR)  # once is enough


def test_a_withdrawn_dataset_is_not_brought_back_by_a_confirmation(rt, held):
    with rt.session() as session:
        session.execute(update(Dataset).where(Dataset.name == "stops").values(state="withdrawn"))
    with pytest.raises(Conflict, match="已撤回"):
        confirmations.confirm_file(
            rt, name="stops", resource_id=held_ids(rt)["线路图"], note="", actor=OPERATOR
        )
    with rt.reader() as session:
        assert session.scalar(select(Dataset.state).where(Dataset.name == "stops")) == "withdrawn"


def test_a_changed_file_is_held_again_and_an_unchanged_one_stays_confirmed(rt, held):
    for resource_id in held_ids(rt).values():
        confirmations.confirm_file(
            rt, name="stops", resource_id=resource_id, note="", actor=OPERATOR
        )
    harvest(rt, held)  # the same files: still published
    assert catalog.package_show(rt, id_or_name="stops", base_url="")["name"] == "stops"

    write_held_package(held, png=PNG + b"changed")
    harvest(rt, held)
    assert held_ids(rt).keys() == {"线路图"}
    [item] = curation.quarantine_list(rt, actor=OPERATOR)
    assert [(f["name"], f["reasons"]) for f in item["held"]] == [("线路图", ["PNG 图像无法扫描"])]
    with pytest.raises(NotFound):
        catalog.package_show(rt, id_or_name="stops", base_url="")


def test_personal_columns_still_hold_a_dataset_once_its_files_are_confirmed(rt, tmp_path):
    write_held_package(tmp_path / "src", "volunteers", rows=VOLUNTEERS, title="志愿者服务队名单")
    harvest(rt, tmp_path / "src")
    [item] = curation.quarantine_list(rt, actor=OPERATOR)
    assert item["reasons"][0] == "部门声明无条件开放，但扫描发现个人信息：负责人、联系电话"
    assert {f["column"] for f in item["findings"]} == {"负责人", "联系电话"}
    ids = held_ids(rt, "volunteers")
    confirmations.confirm_file(
        rt, name="volunteers", resource_id=ids["线路图"], note="", actor=OPERATOR
    )
    last = confirmations.confirm_file(
        rt, name="volunteers", resource_id=ids["扫描件"], note="", actor=OPERATOR
    )
    assert last["published"] is False and last["held"] == []
    assert last["uncovered"] == ["负责人", "联系电话"]
    assert "个人信息字段尚无脱敏规则（负责人、联系电话），待运维人员设置" in last["message"]
    curation.set_masking_rules(
        rt,
        name="volunteers",
        rules={"负责人": "mask-name", "联系电话": "mask-mobile"},
        actor=OPERATOR,
    )
    assert curation.release(rt, name="volunteers", actor=OPERATOR)["deidentified"] is True


def test_who_sees_which_held_files(rt, held, tmp_path):
    write_held_package(tmp_path / "src", "clinics", title="诊所平面图", provider=HEALTH)
    harvest(rt, tmp_path / "src")
    assert {i["name"] for i in confirmations.held_list(rt, actor=OPERATOR)} == {
        "stops",
        "clinics",
    }
    [mine] = confirmations.held_list(rt, actor=reviewer(rt))
    assert mine["name"] == "stops" and mine["can_confirm"]
    assert {f["name"] for f in mine["held"]} == {"线路图", "扫描件"}
    unbound = Actor(name="x", user_id="u-x", roles=frozenset({"reviewer"}))
    assert confirmations.held_list(rt, actor=unbound) == []
    with pytest.raises(NotAuthorized):
        confirmations.held_list(rt, actor=CITIZEN)
    with pytest.raises(LoginRequired):
        confirmations.held_list(rt, actor=ANONYMOUS)


def test_the_departments_workspace_shows_its_quarantine_with_masked_findings(rt, tmp_path):
    write_held_package(tmp_path / "src", "volunteers", rows=VOLUNTEERS, title="志愿者服务队名单")
    write_held_package(tmp_path / "src", "clinics", title="诊所平面图", provider=HEALTH)
    harvest(rt, tmp_path / "src")
    queue = queues.department_queue(rt, reviewer(rt))
    [item] = queue["quarantine"]
    assert item["name"] == "volunteers" and item["can_confirm"]
    assert queue["held_files"] == 2
    phone = next(f for f in item["findings"] if f["column"] == "联系电话")
    assert phone["example"] == "139****5678"
    assert "13912345678" not in str(queue) and "欧阳明" not in str(queue)
