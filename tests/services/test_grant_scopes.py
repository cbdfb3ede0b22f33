"""Grant scopes by column identity: a re-harvest that changes a dataset's columns puts every
grant on it in ``needs_confirmation`` (it serves nothing, the holder and the department are told
once, an audit row is written) until the department confirms the scope under the new names.

The source is a real data package in a temporary folder, harvested again after each change."""

from __future__ import annotations

import csv
import io
from datetime import timedelta

import pytest
from sqlalchemy import select, update

from datasets.accounts.permissions import ANONYMOUS, Actor
from datasets.accounts.users import create_user
from datasets.errors import Conflict, LoginRequired, NotAuthorized, NotFound, ValidationError
from datasets.models import AuditEntry, Dataset, Grant, Notification, Organization, Resource, User
from datasets.workflows import application_decisions, applications, grant_steps, grants, scopes
from datasets.workflows import step_requests as req
from harvester.jobs import run_source
from harvester.sources import add_source, get_sources
from tests.factories import credit_code, write_package

PASSWORD = "correct horse battery"
NAME = "assistance"
HEADER = ["姓名", "身份证号", "区县", "类别", "救助金额"]
PEOPLE = [
    ["张伟", "110101199003071234", "江南区", "低保", "800"],
    ["李娜", "110101198511203456", "江北区", "特困", "1200"],
]
RENAMED = ["姓名", "身份证号", "所属区县", "救助类别", "救助金额"]
BODY = {
    "purpose": "救助政策评估",
    "scope": "本单位内部",
    "scenario": "按区县统计救助类别",
    "security_measures": "等保二级",
    "period_months": 12,
    "fields": "all",
    "access_mode": "download",
}


def harvest(rt, folder, header=HEADER, rows=PEOPLE):
    """Publish (or re-harvest) the conditional package with these columns and rows."""
    write_package(
        folder,
        NAME,
        title="医疗救助对象",
        rows=[header, *rows],
        openness="有条件开放",
        conditions="仅向科研机构开放",
    )
    add_source(rt, name="minzheng", kind="datapackage", location=str(folder), exist_ok=True)
    result = run_source(rt, get_sources(rt, ["minzheng"])[0])
    assert result.status == "finished", result.summary()
    return result


@pytest.fixture
def world(rt, tmp_path):
    folder = tmp_path / "source"
    harvest(rt, folder)
    with rt.reader() as session:
        dataset = session.scalar(select(Dataset).where(Dataset.name == NAME))
        assert dataset.openness == "conditional" and dataset.state == "active"
        department = session.get(Organization, dataset.organization_id).name
    create_user(rt, name="reviewer", role="reviewer", password=PASSWORD, department=department)
    create_user(rt, name="bureau", role="bureau", password=PASSWORD)
    create_user(rt, name="operator", role="operator", password=PASSWORD)
    for n, name in enumerate(("acme", "beta"), start=1):
        create_user(
            rt,
            name=name,
            role="company",
            password=PASSWORD,
            company_name=f"江州第{n}数据有限公司",
            credit_code=credit_code(300 + n),
            legal_representative="王五",
            phone="13800138000",
        )
    with rt.reader() as session:
        actors = {
            u.name: Actor(u.name, u.id, frozenset({u.role}), u.organization_id)
            for u in session.scalars(select(User))
        }
    return {"rt": rt, "folder": folder, "actors": actors}


def grant_for(world, who, fields=None, *, partial=None):
    """Apply (for ``fields``, all when None), be approved (or partially: ``partial``), sign."""
    rt, actors = world["rt"], world["actors"]
    body = {**BODY, "dataset": NAME, **({"fields": fields} if fields else {})}
    case = applications.submit(rt, actors[who], req.Application.parse(body, rt.settings))
    decision = {"decision": "approve", "reason": "同意"}
    if partial:
        decision = {
            "decision": "partial",
            "fields": partial,
            "reason": "个人信息不予提供",
            "rule_code": "privacy-trade-secret",
        }
    application_decisions.decide(rt, actors["reviewer"], case["id"], req.Decision.parse(decision))
    version = applications.current_agreement().version
    signed = applications.sign(
        rt,
        actors[who],
        case["id"],
        req.Signature.parse({"agreement_version": version, "accept": True}),
    )
    return signed["grant"]


def download(world, who):
    rt = world["rt"]
    with rt.reader() as session:
        resource_id = session.scalar(select(Resource.id).where(Resource.dataset.has(name=NAME)))
    found = grants.granted_download(rt, world["actors"][who], dataset=NAME, resource_id=resource_id)
    assert found is not None
    data = found.path.read_bytes() if found.path else b"".join(found.rows)
    return data.decode("utf-8-sig")


def table(text):
    return list(csv.reader(io.StringIO(text)))


def notices(world, who):
    with world["rt"].reader() as session:
        user_id = world["actors"][who].user_id
        return list(
            session.scalars(
                select(Notification.subject)
                .where(Notification.user_id == user_id, Notification.subject.contains("授权范围"))
                .order_by(Notification.id)
            )
        )


def audit(world, action):
    with world["rt"].reader() as session:
        return list(
            session.scalars(
                select(AuditEntry.detail).where(AuditEntry.action == action).order_by(AuditEntry.id)
            )
        )


def state(world, grant_id):
    with world["rt"].reader() as session:
        return session.get(Grant, grant_id).scope_state


def test_a_grant_records_its_fields_and_the_columns_they_name(world):
    partial = grant_for(world, "acme", ["区县", "类别"])
    full = grant_for(world, "beta")
    with world["rt"].reader() as session:
        recorded = session.get(Grant, partial["id"]).columns
        everything = session.get(Grant, full["id"]).fields
    assert [(c["name"], c["position"]) for c in recorded] == [(n, i) for i, n in enumerate(HEADER)]
    assert {c["name"]: c["type"] for c in recorded}["救助金额"] == "integer"
    assert partial["scope"] == "partial" and partial["scope_state"] == "confirmed"
    # "all columns" is a recorded list, never an empty one
    assert full["scope"] == "all" and everything == HEADER
    assert table(download(world, "acme")) == [
        ["区县", "类别"],
        ["江南区", "低保"],
        ["江北区", "特困"],
    ]


def test_renamed_columns_stop_a_partial_grant_until_the_department_confirms(world):
    """The reported leak: a grant for 区县, 类别; a routine re-harvest renames both; the holder
    used to get the whole original with names and ID numbers."""
    grant = grant_for(world, "acme", ["区县", "类别"])
    harvest(world["rt"], world["folder"], header=RENAMED)
    # the harvest itself found the change, told the holder and the department, wrote the audit
    assert state(world, grant["id"]) == "needs_confirmation"
    [changed] = audit(world, "grant.scope_change")
    assert changed["reference"] == grant["reference"] and changed["fields"] == ["区县", "类别"]
    assert changed["current"] == RENAMED
    assert len(notices(world, "acme")) == 1 and len(notices(world, "reviewer")) == 1
    assert notices(world, "bureau") == []

    with pytest.raises(NotAuthorized) as refused:
        download(world, "acme")
    assert refused.value.message.startswith("授权范围待确认")
    assert "区县" in refused.value.message and grant["reference"] in refused.value.message

    # told once: another harvest (unchanged, then changed again) adds no notice
    harvest(world["rt"], world["folder"], header=RENAMED)
    harvest(world["rt"], world["folder"], header=[*RENAMED[:4], "金额"])
    harvest(world["rt"], world["folder"], header=RENAMED)
    assert len(notices(world, "acme")) == 1 and len(notices(world, "reviewer")) == 1
    assert len(audit(world, "grant.scope_change")) == 1
    shown = grants.get_grant(world["rt"], world["actors"]["acme"], grant["id"])
    assert shown["scope_state"] == "needs_confirmation" and "区县" in shown["scope_reason"]

    confirmed = grant_steps.confirm_scope(
        world["rt"],
        world["actors"]["reviewer"],
        grant["id"],
        req.ScopeConfirmation.parse({"fields": ["所属区县", "救助类别"]}),
    )
    assert confirmed["scope_state"] == "confirmed" and confirmed["scope"] == "partial"
    assert confirmed["fields"] == ["所属区县", "救助类别"]
    assert table(download(world, "acme")) == [
        ["所属区县", "救助类别"],
        ["江南区", "低保"],
        ["江北区", "特困"],
    ]
    [done] = audit(world, "grant.scope_confirm")
    assert done["previous_fields"] == ["区县", "类别"] and done["fields"] == [
        "所属区县",
        "救助类别",
    ]
    assert notices(world, "acme")[-1].endswith("已由数据提供部门重新确认")


@pytest.mark.parametrize(
    ("header", "rows", "why"),
    [
        (["姓名", "身份证号", "区县", "救助金额"], None, "原有字段已删除或改名：类别"),
        ([*HEADER, "备注"], None, "新增或改名后的字段：备注"),
        (HEADER, [[*r[:4], r[4] + "元"] for r in PEOPLE], "字段类型改变：救助金额"),
        (["身份证号", "姓名", "区县", "类别", "救助金额"], None, "字段顺序改变"),
    ],
    ids=["removed", "added", "retyped", "moved"],
)
def test_every_change_of_the_columns_stops_a_partial_grant(world, header, rows, why):
    grant = grant_for(world, "acme", ["区县", "类别"])
    if rows is None:  # the same people under the new header
        rows = [
            [{**dict(zip(HEADER, r, strict=True)), "备注": "无"}[h] for h in header] for r in PEOPLE
        ]
    harvest(world["rt"], world["folder"], header=header, rows=rows)
    with pytest.raises(NotAuthorized, match="授权范围待确认") as refused:
        download(world, "acme")
    assert why in refused.value.message
    assert state(world, grant["id"]) == "needs_confirmation"


def test_new_rows_under_the_same_columns_change_nothing(world):
    grant = grant_for(world, "acme", ["区县", "类别"])
    more = [*PEOPLE, ["王芳", "110101197707077777", "江心区", "低保", "600"]]
    assert harvest(world["rt"], world["folder"], rows=more).counts["updated"] == 1
    assert state(world, grant["id"]) == "confirmed" and notices(world, "acme") == []
    assert table(download(world, "acme"))[-1] == ["江心区", "低保"]


def test_a_full_grant_is_not_extended_by_an_added_personal_column(world):
    """Full grants fail closed as well: the department decides whether a new column (here
    private mobiles) belongs to the grant."""
    grant = grant_for(world, "beta")
    mobiles = [[*r, m] for r, m in zip(PEOPLE, ("13912345678", "13687654321"), strict=True)]
    harvest(world["rt"], world["folder"], header=[*HEADER, "手机号"], rows=mobiles)
    with pytest.raises(NotAuthorized, match="授权范围待确认") as refused:
        download(world, "beta")
    assert "手机号" in refused.value.message

    with pytest.raises(ValidationError):  # a field the table no longer has
        grant_steps.confirm_scope(
            world["rt"],
            world["actors"]["reviewer"],
            grant["id"],
            req.ScopeConfirmation.parse({"fields": ["电话"]}),
        )
    kept = grant_steps.confirm_scope(
        world["rt"],
        world["actors"]["reviewer"],
        grant["id"],
        req.ScopeConfirmation.parse({"fields": HEADER}),
    )
    assert kept["scope"] == "partial"  # the old columns only: no longer every column
    served = download(world, "beta")
    assert table(served)[0] == HEADER and "13912345678" not in served


def test_a_full_grant_stays_full_when_the_department_confirms_every_column(world):
    grant = grant_for(world, "beta")
    harvest(world["rt"], world["folder"], header=RENAMED)
    confirmed = grant_steps.confirm_scope(
        world["rt"],
        world["actors"]["operator"],
        grant["id"],
        req.ScopeConfirmation.parse({"fields": RENAMED}),
    )
    assert confirmed["scope"] == "all"
    assert table(download(world, "beta"))[0] == RENAMED  # the original file


def test_a_change_between_decision_and_signature_leaves_the_new_grant_unconfirmed(world):
    rt, actors = world["rt"], world["actors"]
    case = applications.submit(
        rt,
        actors["acme"],
        req.Application.parse({**BODY, "dataset": NAME, "fields": ["区县"]}, rt.settings),
    )
    application_decisions.decide(
        rt,
        actors["reviewer"],
        case["id"],
        req.Decision.parse({"decision": "approve", "reason": "可"}),
    )
    harvest(rt, world["folder"], header=RENAMED)
    version = applications.current_agreement().version
    signed = applications.sign(
        rt,
        actors["acme"],
        case["id"],
        req.Signature.parse({"agreement_version": version, "accept": True}),
    )
    assert signed["grant"]["scope_state"] == "needs_confirmation"
    with pytest.raises(NotAuthorized, match="授权范围待确认"):
        download(world, "acme")


def _make_old(world, grant_id, *, fields):
    """As a grant stored before scopes were recorded."""
    with world["rt"].session() as session:
        session.execute(
            update(Grant)
            .where(Grant.id == grant_id)
            .values(fields=fields, columns=[], scope_changed_at=None, scope_state="confirmed")
        )


def test_an_old_grant_adopts_the_current_columns_when_nothing_was_republished(world):
    partial = grant_for(world, "acme", ["区县", "类别"])
    full = grant_for(world, "beta")
    _make_old(world, partial["id"], fields=["区县", "类别"])
    _make_old(world, full["id"], fields=[])
    assert table(download(world, "acme"))[0] == ["区县", "类别"]
    assert table(download(world, "beta"))[0] == HEADER
    with world["rt"].reader() as session:
        adopted = session.get(Grant, full["id"])
        assert adopted.fields == HEADER and [c["name"] for c in adopted.columns] == HEADER
    assert len(audit(world, "grant.scope_record")) == 2
    # recorded now: a later rename is caught like any other
    harvest(world["rt"], world["folder"], header=RENAMED)
    assert state(world, partial["id"]) == state(world, full["id"]) == "needs_confirmation"


def test_an_old_grant_on_a_dataset_republished_since_waits_for_confirmation(world):
    grant = grant_for(world, "acme", ["区县", "类别"])
    _make_old(world, grant["id"], fields=["区县", "类别"])
    with world["rt"].session() as session:  # signed before the dataset's last publication
        row = session.get(Grant, grant["id"])
        row.signed_at = row.signed_at - timedelta(days=400)
    with pytest.raises(NotAuthorized, match="重新发布"):
        download(world, "acme")
    assert state(world, grant["id"]) == "needs_confirmation"
    assert len(notices(world, "acme")) == 1


def test_an_old_grant_whose_columns_a_harvest_changes_is_flagged_by_the_harvest(world):
    grant = grant_for(world, "beta")
    _make_old(world, grant["id"], fields=[])
    harvest(world["rt"], world["folder"], header=RENAMED)
    assert state(world, grant["id"]) == "needs_confirmation"
    with pytest.raises(NotAuthorized, match="授权范围待确认"):
        download(world, "beta")


def test_the_sweep_flags_a_grant_whose_columns_changed_elsewhere(world):
    grant = grant_for(world, "acme", ["区县", "类别"])
    with world["rt"].session() as session:
        dataset = session.scalar(select(Dataset).where(Dataset.name == NAME))
        dataset.columns = [{**c, "name": n} for c, n in zip(dataset.columns, RENAMED, strict=True)]
    assert grants.sweep(world["rt"])["needs_confirmation"] == 1
    assert state(world, grant["id"]) == "needs_confirmation"
    assert grants.sweep(world["rt"])["needs_confirmation"] == 0  # flagged once


def test_who_may_confirm_a_scope_and_with_what(world):
    rt, actors = world["rt"], world["actors"]
    grant = grant_for(world, "acme", ["区县", "类别"])
    gid = grant["id"]
    with pytest.raises(Conflict):  # nothing changed yet
        grant_steps.confirm_scope(
            rt, actors["reviewer"], gid, req.ScopeConfirmation.parse({"fields": ["区县"]})
        )
    harvest(rt, world["folder"], header=RENAMED)

    with pytest.raises(LoginRequired):
        grant_steps.confirm_scope(
            rt, ANONYMOUS, gid, req.ScopeConfirmation.parse({"fields": ["所属区县"]})
        )
    with pytest.raises(NotFound):
        grant_steps.confirm_scope(
            rt,
            actors["reviewer"],
            "no-such-grant",
            req.ScopeConfirmation.parse({"fields": ["所属区县"]}),
        )
    # authorisation before the input: the holder and the bureau are refused whatever they send
    for who in ("acme", "bureau"):
        with pytest.raises(NotAuthorized):
            grant_steps.confirm_scope(
                rt, actors[who], gid, req.ScopeConfirmation.parse({"fields": ["所属区县"]})
            )
        with pytest.raises(NotAuthorized):
            grant_steps.confirm_scope(
                rt, actors[who], gid, req.ScopeConfirmation.parse({"fields": "所属区县"})
            )
    with pytest.raises(NotFound):  # a stranger does not learn the grant exists
        grant_steps.confirm_scope(
            rt, actors["beta"], gid, req.ScopeConfirmation.parse({"fields": ["所属区县"]})
        )

    for bad in ("所属区县", [1], None, {"a": 1}, [], ["区县", "类别"], RENAMED):
        with pytest.raises(ValidationError) as refused:
            grant_steps.confirm_scope(
                rt, actors["reviewer"], gid, req.ScopeConfirmation.parse({"fields": bad})
            )
        assert refused.value.errors["fields"]
    assert state(world, gid) == "needs_confirmation"

    grant_steps.confirm_scope(
        rt, actors["reviewer"], gid, req.ScopeConfirmation.parse({"fields": ["所属区县"]})
    )
    with pytest.raises(Conflict):
        grant_steps.confirm_scope(
            rt, actors["reviewer"], gid, req.ScopeConfirmation.parse({"fields": ["所属区县"]})
        )
    assert table(download(world, "acme"))[0] == ["所属区县"]
    grant_steps.change_status(
        rt,
        actors["reviewer"],
        gid,
        req.StatusChange.parse({"action": "revoke", "reason": "out_of_scope"}),
    )
    harvest(rt, world["folder"])
    with pytest.raises(Conflict):
        grant_steps.confirm_scope(
            rt, actors["reviewer"], gid, req.ScopeConfirmation.parse({"fields": ["区县"]})
        )


def test_an_outsider_gets_nothing_and_a_holder_nothing_of_another_file(world, tmp_path):
    grant_for(world, "acme", ["区县", "类别"])
    rt = world["rt"]
    with rt.reader() as session:
        resource_id = session.scalar(select(Resource.id).where(Resource.dataset.has(name=NAME)))
    assert (
        grants.granted_download(rt, world["actors"]["beta"], dataset=NAME, resource_id=resource_id)
        is None
    )
    # a file whose header lacks a granted column serves nothing (never an empty projection)
    assert grants._projected(tmp_path / "none.csv", ["区县"]) is None
    other = tmp_path / "other.csv"
    other.write_text("姓名,身份证号\n张伟,110101199003071234\n", encoding="utf-8")
    assert grants._projected(other, ["区县"]) is None
    assert scopes.differences(scopes.snapshot([{"name": "区县"}]), [{"name": "区县"}], []) == []
