"""Importing records: added / unchanged / updated, storage roots, refusals leave no trace."""

from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import func, select, update

from datasets.catalog import services as catalog
from datasets.errors import NotAuthorized, ValidationError
from datasets.intake.publishing import import_record, withdraw_missing
from datasets.intake.records import FileRecord, HarvestRecord, ProviderRecord
from datasets.models import AuditEntry, ClassificationEvent, Dataset, HarvestSource, Resource
from datasets.openness.rules import RefusedAtIntake
from tests.factories import BUS_ROWS, search, write_csv


@pytest.fixture
def source_id(rt):
    with rt.session() as session:
        source = HarvestSource(name="test", kind="datapackage", location="/nowhere")
        session.add(source)
        session.flush()
        return source.id


def _record(path: Path, **kw) -> HarvestRecord:
    values = dict(
        identifier="bus",
        name="bus-lines",
        title="公交线路信息",
        provider=ProviderRecord("江州市交通运输局", "11361000MB0000001P"),
        notes="全市公交线路",
        topic="交通运输",
        keywords=("公交",),
        files=(FileRecord(path=path, name="lines", format="csv"),),
    )
    values.update(kw)
    return HarvestRecord(**values)


def _instance_files(rt) -> list[Path]:
    return sorted(p for p in rt.paths.root.rglob("*") if p.is_file())


def test_first_import_adds_then_unchanged_then_updated(rt, source_id, tmp_path):
    data = write_csv(tmp_path / "lines.csv", BUS_ROWS)
    first = import_record(rt, record=_record(data), source_id=source_id)
    assert first.outcome == "added" and first.name == "bus-lines"
    again = import_record(rt, record=_record(data), source_id=source_id)
    assert again.outcome == "unchanged"
    pkg = catalog.package_show(rt, id_or_name="bus-lines", base_url="http://x")
    resource_id = pkg["resources"][0]["id"]

    write_csv(data, [*BUS_ROWS, ["3路", "高新区", "白沙县", "3"]])
    changed = import_record(rt, record=_record(data), source_id=source_id)
    assert changed.outcome == "updated" and changed.dataset_id == first.dataset_id
    pkg = catalog.package_show(rt, id_or_name="bus-lines", base_url="http://x")
    assert pkg["resources"][0]["id"] == resource_id  # URLs stay stable across updates
    assert pkg["record_count"] == 3 and pkg["field_count"] == 4
    with rt.reader() as session:
        assert session.scalar(select(Dataset.revision)) == 2
        actions = session.scalars(select(AuditEntry.action).order_by(AuditEntry.id)).all()
        assert actions == ["dataset.publish", "dataset.update"]


def test_unconditional_files_are_public_and_match_their_source(rt, source_id, tmp_path):
    data = write_csv(tmp_path / "lines.csv", BUS_ROWS)
    import_record(rt, record=_record(data), source_id=source_id)
    pkg = catalog.package_show(rt, id_or_name="bus-lines", base_url="")
    found = catalog.resource_download(
        rt, dataset="bus-lines", resource_id=pkg["resources"][0]["id"]
    )
    assert found.path.read_bytes() == data.read_bytes()
    assert rt.paths.public_files in found.path.parents
    assert pkg["resources"][0]["hash"] == f"sha256:{found.sha256}"


def test_conditional_originals_go_to_the_private_root_and_are_refused(rt, source_id, tmp_path):
    data = write_csv(tmp_path / "people.csv", [["姓名", "手机"], ["张三", "13912345678"]])
    import_record(
        rt, record=_record(data, openness="有条件开放", conditions="须申请"), source_id=source_id
    )
    pkg = catalog.package_show(rt, id_or_name="bus-lines", base_url="")
    assert pkg["openness"] == "conditional" and pkg["conditions"] == "须申请"
    assert pkg["resources"][0]["access"] == "restricted"
    with pytest.raises(NotAuthorized):
        catalog.resource_download(rt, dataset="bus-lines", resource_id=pkg["resources"][0]["id"])
    public = list(rt.paths.public_files.rglob("*.csv")) if rt.paths.public_files.exists() else []
    assert public == []
    assert len(list(rt.paths.private_files.rglob("*.csv"))) == 1
    page = catalog.dataset_page(rt, name="bus-lines", base_url="")
    preview = next(iter(page["previews"].values()))
    assert preview["rows"] == [["张*", "139****5678"]]  # a masked preview, never raw rows
    assert "13912345678" not in str(pkg)


def test_closed_entries_are_listed_without_any_data(rt, source_id, tmp_path):
    data = write_csv(tmp_path / "tax.csv", [["企业", "税额"], ["甲公司", "100"]])
    record = _record(
        data,
        identifier="tax",
        name="tax",
        title="企业纳税明细",
        openness="不予开放",
        exclusion_rule="第三项",
        exclusion_basis="《中华人民共和国税收征收管理法》第八条",
    )
    import_record(rt, record=record, source_id=source_id)
    pkg = catalog.package_show(rt, id_or_name="tax", base_url="")
    assert pkg["resources"] == [] and pkg["notes"] == "" and pkg["tags"] == []
    assert pkg["exclusion_rule"] == "privacy-trade-secret"
    assert pkg["exclusion_basis"].startswith("《中华人民共和国税收征收管理法》")
    with rt.reader() as session:
        assert session.scalar(select(func.count(Resource.id))) == 0
    assert not rt.paths.private_files.exists() or not any(rt.paths.private_files.rglob("*.*"))


def test_a_state_secret_leaves_no_trace_in_the_instance(rt, source_id, tmp_path):
    data = write_csv(tmp_path / "secret.csv", [["坐标"], ["绝密-123"]])
    before = _instance_files(rt)
    record = _record(
        data,
        identifier="secret",
        title="涉密测绘成果",
        openness="不予开放",
        exclusion_rule="state-secret",
        exclusion_basis="《保守国家秘密法》",
    )
    with pytest.raises(RefusedAtIntake):
        import_record(rt, record=record, source_id=source_id)
    assert _instance_files(rt) == before
    with rt.reader() as session:
        assert session.scalar(select(func.count(Dataset.id))) == 0
    for path in _instance_files(rt):
        if path.suffix != ".db":
            assert "绝密" not in path.read_bytes().decode("utf-8", "ignore")


def test_invalid_closed_entry_is_rejected_with_a_clear_error(rt, source_id, tmp_path):
    data = write_csv(tmp_path / "x.csv", BUS_ROWS)
    with pytest.raises(ValidationError, match="缺少不予开放情形或依据"):
        import_record(rt, record=_record(data, openness="不予开放"), source_id=source_id)


def test_reclassification_keeps_a_history(rt, source_id, tmp_path):
    data = write_csv(tmp_path / "lines.csv", BUS_ROWS)
    import_record(rt, record=_record(data), source_id=source_id)
    import_record(
        rt, record=_record(data, openness="有条件开放", conditions="须申请"), source_id=source_id
    )
    with rt.reader() as session:
        events = session.scalars(select(ClassificationEvent).order_by(ClassificationEvent.id)).all()
        assert [(e.old_openness, e.new_openness) for e in events] == [
            (None, "unconditional"),
            ("unconditional", "conditional"),
        ]
        assert events[1].actor == "harvester" and events[1].at is not None


def test_withdrawn_datasets_leave_the_catalog_and_come_back(rt, source_id, tmp_path):
    data = write_csv(tmp_path / "lines.csv", BUS_ROWS)
    import_record(rt, record=_record(data), source_id=source_id)
    gone, missing = withdraw_missing(rt, source_id=source_id, seen=set())
    assert gone == [] and [identifier for _, identifier in missing] == ["bus"]  # grace period
    with rt.session() as session:
        session.execute(update(Dataset).values(missing_since=datetime(2020, 1, 1, tzinfo=UTC)))
    gone, missing = withdraw_missing(rt, source_id=source_id, seen=set())
    assert [identifier for _, identifier in gone] == ["bus"] and missing == []
    assert search(rt, q="公交")["count"] == 0
    with pytest.raises(Exception, match="未找到"):
        catalog.package_show(rt, id_or_name="bus-lines", base_url="")
    assert import_record(rt, record=_record(data), source_id=source_id).outcome == "updated"
    assert search(rt, q="公交")["count"] == 1


def test_dry_run_changes_nothing(rt, source_id, tmp_path):
    data = write_csv(tmp_path / "lines.csv", BUS_ROWS)
    before = _instance_files(rt)
    assert (
        import_record(rt, record=_record(data), source_id=source_id, dry_run=True).outcome
        == "added"
    )
    with rt.reader() as session:
        assert session.scalar(select(func.count(Dataset.id))) == 0
    assert [p for p in _instance_files(rt) if p.suffix not in (".db", ".db-wal", ".db-shm")] == [
        p for p in before if p.suffix not in (".db", ".db-wal", ".db-shm")
    ]


def test_a_department_added_by_another_harvest_meanwhile_is_reused(rt, monkeypatch):
    """Two harvests meeting a new department at once: the insert that loses takes the row the
    other committed, and its own transaction goes on."""
    from datasets.intake import entries
    from datasets.models import Organization

    title, code = "江州市数据资源局", "11361000MB0000002X"
    original = entries._find_organization
    calls = []

    def late(session, title_, code_):  # type: ignore[no-untyped-def]
        calls.append(title_)
        if len(calls) == 1:  # this harvest looked before the other one committed
            with rt.session() as other:
                other.add(Organization(name="shu-ju-zi-yuan-ju", title=title, code=code))
            return None
        return original(session, title_, code_)

    monkeypatch.setattr(entries, "_find_organization", late)
    with rt.session() as session:
        org = entries.ensure_organization(session, title=title, code=code, region="江州市")
        assert org.name == "shu-ju-zi-yuan-ju" and len(calls) == 2
    with rt.reader() as session:
        assert session.query(Organization).filter_by(code=code).count() == 1


def test_names_shared_by_many_entries_stay_index_lookups(tmp_path):
    """Every county publishes 养老机构名录: numbered names up to 99, then a suffix of the
    entry's own; never a scan of all names starting with the base."""
    from sqlalchemy import event

    from datasets.intake.entries import _dataset_name
    from datasets.intake.records import HarvestRecord, ProviderRecord
    from datasets.models import Dataset, Organization
    from tests.factories import make_runtime

    rt = make_runtime(tmp_path / "instance")
    with rt.session() as session:
        org = Organization(name="mzj", title="民政局")
        session.add(org)
        session.flush()
        names = ["yang-lao"] + [f"yang-lao-{n}" for n in range(2, 100)]
        session.add_all(
            Dataset(name=n, title="养老", organization_id=org.id, openness="unconditional")
            for n in names
        )
    statements: list[str] = []
    event.listen(rt.engine, "before_cursor_execute", lambda *a: statements.append(a[2]))
    record = HarvestRecord(
        identifier="county-7",
        title="养老",
        provider=ProviderRecord(title="民政局"),
        name="yang-lao",
    )
    with rt.session() as session:
        name = _dataset_name(session, record, None)
        again = _dataset_name(session, record, None)
    assert name == again and name.startswith("yang-lao-") and len(name) == len("yang-lao-") + 6
    assert name not in names
    assert statements and not any("LIKE" in s.upper() for s in statements)
    with rt.session() as session:
        assert _dataset_name(session, record, "kept-name") == "kept-name"
