"""The public file root holds only files the public may download right now: every service that
hides a dataset or replaces its files moves originals to the private root and deletes the
public files nobody public references any more, in the same call; restoring brings them back."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from sqlalchemy import select, update

from datasets.accounts.permissions import ANONYMOUS, Actor
from datasets.accounts.users import create_user
from datasets.catalog import services as catalog
from datasets.catalog.maintenance import collect_garbage
from datasets.errors import NotAuthorized, NotFound
from datasets.intake import gating, public_root
from datasets.intake.publishing import import_record, withdraw_missing
from datasets.intake.records import FileRecord, HarvestRecord, ProviderRecord
from datasets.intake.storage import file_sha256
from datasets.models import Dataset, HarvestSource, Organization, Resource
from datasets.openness import curation
from datasets.workflows import rights
from datasets.workflows.inputs.feedback import RightsDecisionInput, RightsObjectionInput
from datasets.workflows.inputs.lookup import Lookup
from tests.factories import CREDIT_CODE, make_runtime, verified_citizen, write_csv

PROVIDER = ProviderRecord("江州市交通运输局", CREDIT_CODE)
OPERATOR = Actor(name="ops", user_id="u-ops", roles=frozenset({"operator"}))
LINES = [["线路名称", "起点站", "终点站"], ["1路", "火车站", "江南大道"], ["2路", "北站", "临湖"]]
STOPS = [["站点名称", "所属区"], ["火车站", "江南区"], ["临湖公园", "临湖区"]]
HOTLINES = [["服务点", "负责人", "联系电话"], ["江南服务点", "欧阳明", "13912345678"]]


@pytest.fixture
def rt(tmp_path):
    runtime = make_runtime(tmp_path / "instance", withdraw_grace_days=0)
    yield runtime
    runtime.close()


@pytest.fixture
def source_id(rt):
    with rt.session() as session:
        source = HarvestSource(name="test", kind="datapackage", location="/nowhere")
        session.add(source)
        session.flush()
        return source.id


def publish(rt, source_id, path: Path, name: str, **kw) -> str:
    record = HarvestRecord(
        identifier=name,
        name=name,
        title=f"测试数据 {name}",
        notes="数据的内容、范围、来源和更新方式说明。",
        provider=PROVIDER,
        files=(FileRecord(path=path, name="data", format="csv"),),
        **kw,
    )
    return import_record(rt, record=record, source_id=source_id).outcome


def publish_together(rt, source_id, path: Path, *names: str, monkeypatch) -> None:
    """Datasets sharing one file, all public: two harvests committing at the same moment each
    check for copies before the other commits (the duplicate gate is not serialised), as a
    catalog published before the gates does. The store must cope with it; for the rest of the
    test the duplicate gate finds no copies (a restore would hold one of them again)."""
    monkeypatch.setattr(gating, "copies", lambda *args, **kwargs: {})
    for name in names:
        assert publish(rt, source_id, path, name) == "added"
    with rt.reader() as session:
        states = session.scalars(select(Dataset.state).where(Dataset.name.in_(names))).all()
    assert list(states) == ["active"] * len(names)


def key_of(path: Path) -> str:
    sha, _ = file_sha256(path)
    return f"{sha[:2]}/{sha}.csv"


def stored(rt, root: str) -> set[str]:
    base = rt.paths.public_files if root == "public" else rt.paths.private_files
    return {f"{p.parent.name}/{p.name}" for p in base.glob("*/*")} if base.exists() else set()


def download(rt, name: str) -> bytes:
    pkg = catalog.package_show(rt, id_or_name=name, base_url="")
    found = catalog.resource_download(
        rt, dataset=name, resource_id=pkg["resources"][0]["id"], actor=ANONYMOUS
    )
    return found.path.read_bytes()


def rows_of(rt, name: str) -> list[Resource]:
    with rt.reader() as session:
        return list(
            session.scalars(select(Resource).join(Dataset).where(Dataset.name == name)).all()
        )


def reviewer(rt) -> Actor:
    with rt.reader() as session:
        org = session.scalar(select(Organization))
    user = create_user(
        rt, name="shenhe", role="reviewer", password="long enough password", department=org.name
    )
    return Actor(
        name="shenhe", user_id=user["id"], roles=frozenset({"reviewer"}), organization_id=org.id
    )


def object_to(rt, name: str) -> str:
    holder = verified_citizen(rt)  # an identified rights holder: the suspension is at once
    case = rights.submit_rights_objection(
        rt,
        holder,
        RightsObjectionInput.parse(
            {
                "dataset": name,
                "claim": "数据含我公司未公开的经营信息",
                "rights_basis": "我公司为数据所涉企业",
                "contact": {"name": "张伟", "phone": "13800138000"},
            },
            Lookup(rt, holder),
        ),
    )
    return case["id"]


def decide(rt, case_id: str, decision: str) -> None:
    rights.decide_rights_objection(
        rt,
        reviewer(rt),
        case_id,
        RightsDecisionInput.parse({"decision": decision, "reply": "经核实，异议不成立"}),
    )


def assert_hidden(rt, name: str, original: Path) -> None:
    """Gone from the public root, kept in the private root, and its row points there."""
    key = key_of(original)
    assert key not in stored(rt, "public")
    assert key in stored(rt, "private")
    assert (rt.paths.private_files / key).read_bytes() == original.read_bytes()
    [row] = rows_of(rt, name)
    assert (row.storage_root, row.storage_key, row.public_key) == ("private", key, None)


def test_a_rights_objection_takes_the_original_out_of_the_public_root_until_restored(
    rt, source_id, tmp_path
):
    data = write_csv(tmp_path / "lines.csv", LINES)
    publish(rt, source_id, data, "bus-lines")
    assert key_of(data) in stored(rt, "public")

    case_id = object_to(rt, "bus-lines")
    assert_hidden(rt, "bus-lines", data)
    with pytest.raises(NotAuthorized, match="权益异议"):
        download(rt, "bus-lines")

    decide(rt, case_id, "restore")
    assert key_of(data) in stored(rt, "public")
    [row] = rows_of(rt, "bus-lines")
    assert (row.storage_root, row.public_key) == ("public", key_of(data))
    assert download(rt, "bus-lines") == data.read_bytes()


def test_a_masked_copy_leaves_with_the_suspension_and_is_made_again_on_restore(
    rt, source_id, tmp_path
):
    data = write_csv(tmp_path / "hotlines.csv", HOTLINES)
    publish(
        rt, source_id, data, "hotlines", masking={"负责人": "mask-name", "联系电话": "mask-mobile"}
    )
    [row] = rows_of(rt, "hotlines")
    masked = row.public_key
    assert row.storage_root == "private" and stored(rt, "public") == {masked}

    case_id = object_to(rt, "hotlines")
    assert stored(rt, "public") == set()
    assert rows_of(rt, "hotlines")[0].public_key is None
    assert key_of(data) in stored(rt, "private")

    decide(rt, case_id, "restore_after_processing")
    assert stored(rt, "public") == {rows_of(rt, "hotlines")[0].public_key}
    assert (
        download(rt, "hotlines").decode("utf-8").splitlines()[1] == "江南服务点,欧阳*,139****5678"
    )


def test_a_harvest_during_a_suspension_publishes_nothing(rt, source_id, tmp_path):
    data = write_csv(tmp_path / "lines.csv", LINES)
    publish(rt, source_id, data, "bus-lines")
    case_id = object_to(rt, "bus-lines")
    newer = write_csv(tmp_path / "lines.csv", [*LINES, ["3路", "高新区", "白沙县"]])
    assert publish(rt, source_id, newer, "bus-lines") == "updated"
    assert stored(rt, "public") == set()
    assert_hidden(rt, "bus-lines", newer)
    decide(rt, case_id, "restore")
    assert download(rt, "bus-lines") == newer.read_bytes()


def test_a_harvest_racing_a_suspension_is_hidden_right_after_its_commit(
    rt, source_id, tmp_path, monkeypatch
):
    """The objection arrives after the harvest checked for a suspension and before it commits:
    the harvest's own ``finish`` sees the suspended dataset holding public files and hides it."""
    data = write_csv(tmp_path / "lines.csv", LINES)
    publish(rt, source_id, data, "bus-lines")
    object_to(rt, "bus-lines")
    monkeypatch.setattr(public_root, "withheld", lambda rt, dataset_id: False)
    newer = write_csv(tmp_path / "lines.csv", [*LINES, ["3路", "高新区", "白沙县"]])
    assert publish(rt, source_id, newer, "bus-lines") == "updated"
    assert stored(rt, "public") == set()
    assert_hidden(rt, "bus-lines", newer)


def test_withdrawal_takes_files_out_of_the_public_root_and_a_return_brings_them_back(
    rt, source_id, tmp_path
):
    data = write_csv(tmp_path / "lines.csv", LINES)
    publish(rt, source_id, data, "bus-lines")
    withdrawn, _ = withdraw_missing(rt, source_id=source_id, seen=set())
    assert len(withdrawn) == 1
    assert_hidden(rt, "bus-lines", data)

    assert publish(rt, source_id, data, "bus-lines") == "updated"  # back in its source
    assert key_of(data) in stored(rt, "public")
    assert download(rt, "bus-lines") == data.read_bytes()


def test_reclassification_to_conditional_hides_the_file_and_back_to_open_restores_it(
    rt, source_id, tmp_path
):
    data = write_csv(tmp_path / "lines.csv", LINES)
    publish(rt, source_id, data, "bus-lines")
    curation.reclassify(
        rt, name="bus-lines", openness="conditional", reason="涉及运营企业数据", actor=OPERATOR
    )
    assert_hidden(rt, "bus-lines", data)
    with pytest.raises(NotAuthorized, match="有条件开放"):
        download(rt, "bus-lines")

    curation.reclassify(
        rt, name="bus-lines", openness="unconditional", reason="经评估可以开放", actor=OPERATOR
    )
    assert key_of(data) in stored(rt, "public")
    assert download(rt, "bus-lines") == data.read_bytes()


def test_reclassification_to_closed_leaves_no_file_and_reopening_takes_the_next_harvest(
    rt, source_id, tmp_path
):
    """A 不予开放 entry keeps no data (README, openness engine), so its public file goes and
    no row names it; reopening it re-imports the file at the next harvest."""
    data = write_csv(tmp_path / "lines.csv", LINES)
    publish(rt, source_id, data, "bus-lines")
    curation.reclassify(
        rt,
        name="bus-lines",
        openness="closed",
        rule="security",
        basis="涉及公共安全",
        reason="涉及公共安全",
        actor=OPERATOR,
    )
    assert stored(rt, "public") == set()
    assert rows_of(rt, "bus-lines") == []

    curation.reclassify(
        rt, name="bus-lines", openness="unconditional", reason="经评估可以开放", actor=OPERATOR
    )
    assert publish(rt, source_id, data, "bus-lines") == "updated"
    assert download(rt, "bus-lines") == data.read_bytes()


@pytest.mark.parametrize(
    ("hidden_version", "state"),
    [
        (dict(rows=HOTLINES), "quarantined"),  # declared open, but the scanner finds mobiles
        (dict(rows=LINES, openness="有条件开放", conditions="须申请"), "conditional"),
    ],
    ids=["into quarantine", "into conditional"],
)
def test_a_harvest_that_hides_a_dataset_removes_its_public_file(
    rt, source_id, tmp_path, hidden_version, state
):
    data = write_csv(tmp_path / "lines.csv", LINES)
    publish(rt, source_id, data, "bus-lines")
    public_key = key_of(data)

    rows = hidden_version.pop("rows")
    hidden = write_csv(tmp_path / "v2" / "lines.csv", rows)
    assert publish(rt, source_id, hidden, "bus-lines", **hidden_version) == "updated"
    assert public_key not in stored(rt, "public") and stored(rt, "public") == set()
    assert key_of(hidden) in stored(rt, "private")
    [row] = rows_of(rt, "bus-lines")
    assert row.storage_root == "private" and row.public_key is None
    with rt.reader() as session:
        dataset = session.scalar(select(Dataset))
        assert state in (dataset.state, dataset.openness)

    assert publish(rt, source_id, data, "bus-lines") == "updated"  # the department fixes it
    assert download(rt, "bus-lines") == data.read_bytes()


def test_a_file_shared_with_a_public_dataset_stays_while_that_one_is_public(
    rt, source_id, tmp_path, monkeypatch
):
    data = write_csv(tmp_path / "stops.csv", STOPS)
    publish_together(rt, source_id, data, "stops-a", "stops-b", monkeypatch=monkeypatch)
    key = key_of(data)

    first = object_to(rt, "stops-a")
    assert key in stored(rt, "public")
    assert download(rt, "stops-b") == data.read_bytes()
    with pytest.raises(NotAuthorized):
        download(rt, "stops-a")

    object_to(rt, "stops-b")
    assert key not in stored(rt, "public") and key in stored(rt, "private")

    decide(rt, first, "restore")
    assert download(rt, "stops-a") == data.read_bytes()
    with pytest.raises(NotAuthorized):
        download(rt, "stops-b")


def _age(path: Path, seconds: float = 7200) -> None:
    old = path.stat().st_mtime - seconds
    os.utime(path, (old, old))


def test_a_crash_after_the_commit_leaves_a_file_garbage_collection_removes(
    rt, source_id, tmp_path, monkeypatch
):
    data = write_csv(tmp_path / "lines.csv", LINES)
    publish(rt, source_id, data, "bus-lines")
    key = key_of(data)
    monkeypatch.setattr(public_root.Tracker, "_prune", lambda self: 0)  # "killed" after commit
    object_to(rt, "bus-lines")
    monkeypatch.undo()
    assert key in stored(rt, "public")  # unreferenced, and young: a harvest may be committing it
    assert collect_garbage(rt) == 0 and key in stored(rt, "public")
    _age(rt.paths.public_files / key)
    assert collect_garbage(rt) == 1
    assert key not in stored(rt, "public")
    assert_hidden(rt, "bus-lines", data)


def test_garbage_collection_hides_what_an_older_instance_left_exposed(rt, source_id, tmp_path):
    """A dataset suspended before this rule existed still has its original in the public root:
    the sweep moves it to the private root first, then the public copy goes once old enough."""
    data = write_csv(tmp_path / "lines.csv", LINES)
    publish(rt, source_id, data, "bus-lines")
    with rt.session() as session:
        session.execute(update(Dataset).values(suspended_by="legacy-case"))
    key = key_of(data)
    _age(rt.paths.public_files / key)
    collect_garbage(rt)
    assert_hidden(rt, "bus-lines", data)


def test_a_file_stored_again_after_it_was_noted_is_left_to_garbage_collection(
    rt, source_id, tmp_path
):
    """A concurrent harvest that stores the same content just before committing a reference to
    it touches the file: the suspension that noted it must not delete it under that harvest."""
    data = write_csv(tmp_path / "lines.csv", LINES)
    publish(rt, source_id, data, "bus-lines")
    key = key_of(data)
    path = rt.paths.public_files / key
    _age(path)
    tracker = public_root.Tracker(rt)
    with rt.session() as session:
        dataset = session.scalar(select(Dataset))
        dataset.suspended_by = "case"
        tracker.hide(session, dataset)
    rt.store.put(data, root="public", extension="csv")  # the concurrent harvest
    assert tracker.finish() == 0
    assert path.exists()


def test_a_public_file_lost_to_a_race_comes_back_from_the_private_copy(
    rt, source_id, tmp_path, monkeypatch
):
    data = write_csv(tmp_path / "stops.csv", STOPS)
    publish_together(rt, source_id, data, "stops-a", "stops-b", monkeypatch=monkeypatch)
    object_to(rt, "stops-a")
    (rt.paths.public_files / key_of(data)).unlink()  # deleted while stops-b was committing
    with pytest.raises(NotFound, match="文件暂不可用"):
        download(rt, "stops-b")
    collect_garbage(rt)
    assert download(rt, "stops-b") == data.read_bytes()
