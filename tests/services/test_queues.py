"""The department's queue (工作台), the bureau's dashboard (复核与督办) and the requester's own
cases: order by deadline, overdue flags and working days left, paused clocks, grouping by
department, and who may look.

All dates fall in November and early December 2026, which have no public holiday: a case
received on Monday 2 November is due ten working days later, on Monday 16 November."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from datasets.accounts.permissions import ANONYMOUS, Actor
from datasets.accounts.users import create_user
from datasets.errors import LoginRequired, NotAuthorized
from datasets.models import Dataset, Organization, User
from datasets.workflows import application_decisions, applications, cases, objections, pages, queues
from datasets.workflows import step_requests as req
from datasets.workflows.machine import MACHINES
from tests.factories import credit_code, services_catalog

PASSWORD = "correct horse battery"
BODY = {
    "purpose": "科研",
    "scope": "内部",
    "scenario": "分析",
    "security_measures": "等保二级",
    "period_months": 6,
    "fields": "all",
    "access_mode": "download",
}


def _at(day: int) -> datetime:
    """10:00 in Shanghai on ``day`` November 2026."""
    return datetime(2026, 11, day, 2, 0, tzinfo=UTC)


@pytest.fixture
def clock(monkeypatch):
    def set_now(instant: datetime) -> None:
        monkeypatch.setattr(cases, "now_utc", lambda: instant)

    return set_now


@pytest.fixture
def world(rt, tmp_path):
    """The small services catalog (health: two conditional datasets; transport: a closed and
    an open one), two companies, a reviewer of each department, a bureau officer, a citizen."""
    names = services_catalog(rt, tmp_path)
    create_user(rt, name="health", role="reviewer", password=PASSWORD, department=names["health"])
    create_user(
        rt, name="transport", role="reviewer", password=PASSWORD, department=names["transport"]
    )
    create_user(rt, name="bureau", role="bureau", password=PASSWORD)
    create_user(rt, name="citizen", role="citizen", password=PASSWORD)
    for n in (1, 2):
        create_user(
            rt,
            name=f"acme{n}",
            role="company",
            password=PASSWORD,
            company_name=f"江州第{n}科技有限公司",
            credit_code=credit_code(100 + n),
            legal_representative="王五",
            phone="13800138000",
        )
    with rt.reader() as session:
        actors = {
            u.name: Actor(u.name, u.id, frozenset({u.role}), u.organization_id)
            for u in session.scalars(select(User))
        }
    return names, actors


def _apply(rt, actor, dataset):
    return applications.submit(
        rt, actor, req.Application.parse({**BODY, "dataset": dataset}, rt.settings)
    )


def _opening_request(rt, names, clock_at):
    """A request to open the transport department's closed dataset, opened directly (the
    request service is not what is tested here)."""
    with rt.session() as session:
        tax = session.scalar(select(Dataset).where(Dataset.name == names["closed"]))
        case = cases.open_case(
            rt,
            session,
            machine=MACHINES["opening_request"],
            actor="anonymous",
            status="submitted",
            days=10,
            organization_id=tax.organization_id,
            dataset_id=tax.id,
            contact={"name": "张三"},
            at=clock_at,
        )
        return case.reference


def test_the_department_queue_is_ordered_by_deadline_with_overdue_and_paused(rt, world, clock):
    names, a = world
    clock(_at(2))
    first = _apply(rt, a["acme1"], names["conditional"])
    clock(_at(3))
    second = _apply(rt, a["acme2"], names["conditional"])
    paused = _apply(rt, a["acme1"], names["conditional2"])
    applications.request_correction(
        rt, a["health"], paused["id"], req.Correction.parse({"items": "请补充材料"})
    )

    queue = queues.department_queue(rt, a["health"])
    assert queue["department"]["title"] == "江州市卫生健康委员会"
    assert [c["reference"] for c in queue["cases"]] == [
        first["reference"],
        second["reference"],
        paused["reference"],
    ]
    row = queue["cases"][0]
    assert (row["due_on"], row["days_left"], row["overdue"]) == ("2026-11-16", 9, False)
    assert row["link"] == f"/services/application/{first['id']}"
    assert row["dataset_title"] == "执业医师注册信息" and row["kind_label"] == "有条件开放申请"
    assert row["status_label"] == "已受理，待审核" and row["received_on"] == "2026-11-02"
    last = queue["cases"][-1]
    assert last["due_on"] is None and last["clock_paused"] and last["days_left"] is None
    assert last["paused_remaining"] == 10 and not last["overdue"]

    # a day after the first deadline: overdue, with negative working days left
    clock(_at(17))
    queue = queues.department_queue(rt, a["health"])
    rows = {c["reference"]: c for c in queue["cases"]}
    assert rows[first["reference"]]["overdue"] and rows[first["reference"]]["days_left"] == -1
    assert not rows[second["reference"]]["overdue"] and rows[second["reference"]]["days_left"] == 0
    assert queue["counts"] == {"open": 3, "overdue": 1, "paused": 1}

    # over a weekend: Friday's deadline seen on Monday is overdue by one working day
    clock(_at(23))
    rows = {c["reference"]: c for c in queues.department_queue(rt, a["health"])["cases"]}
    assert rows[second["reference"]]["days_left"] == -4


def test_cases_awaiting_the_applicant_are_not_the_departments_delay(rt, world, clock):
    names, a = world
    clock(_at(2))
    case = _apply(rt, a["acme1"], names["conditional"])
    clock(_at(3))
    application_decisions.decide(
        rt, a["health"], case["id"], req.Decision.parse({"decision": "approve"})
    )
    clock(_at(30))  # long past the deadline, still unsigned
    (row,) = queues.department_queue(rt, a["health"])["cases"]
    assert row["status"] == "approved" and not row["overdue"] and row["days_left"] is None
    page = pages.application_page(rt, a["acme1"], case["id"])
    assert not page["overdue"] and page["actions"] == ["sign", "withdraw"]


def test_closed_cases_kinds_and_grants_in_the_queue(rt, world, clock):
    names, a = world
    clock(_at(2))
    granted = _apply(rt, a["acme1"], names["conditional"])
    application_decisions.decide(
        rt, a["health"], granted["id"], req.Decision.parse({"decision": "approve"})
    )
    version = applications.current_agreement().version
    applications.sign(
        rt,
        a["acme1"],
        granted["id"],
        req.Signature.parse({"accept": True, "agreement_version": version}),
    )
    open_one = _apply(rt, a["acme2"], names["conditional"])

    queue = queues.department_queue(rt, a["health"])
    assert [c["reference"] for c in queue["cases"]] == [open_one["reference"]]
    everything = queues.department_queue(rt, a["health"], include_closed=True)
    assert [c["reference"] for c in everything["cases"]] == [
        open_one["reference"],
        granted["reference"],
    ]
    assert everything["cases"][-1]["closed"]
    (grant,) = queue["grants"]
    assert grant["dataset"]["name"] == names["conditional"] and grant["status"] == "active"
    assert grant["expires_on"] == "2027-05-02" and grant["link"].startswith("/services/grants/")
    assert queues.department_queue(rt, a["health"], kind="opening_request")["cases"] == []
    assert queues.department_queue(rt, a["transport"])["grants"] == []


def test_each_department_sees_only_its_own_cases(rt, world, clock):
    names, a = world
    clock(_at(2))
    health_case = _apply(rt, a["acme1"], names["conditional"])
    transport_ref = _opening_request(rt, names, _at(2))
    health = [c["reference"] for c in queues.department_queue(rt, a["health"])["cases"]]
    transport = [c["reference"] for c in queues.department_queue(rt, a["transport"])["cases"]]
    assert health == [health_case["reference"]] and transport == [transport_ref]


def test_the_bureau_dashboard(rt, world, clock):
    names, a = world
    clock(_at(2))
    late_health = _apply(rt, a["acme1"], names["conditional"])
    transport_ref = _opening_request(rt, names, _at(2))
    clock(_at(3))
    on_time = _apply(rt, a["acme2"], names["conditional"])
    paused = _apply(rt, a["acme1"], names["conditional2"])
    applications.request_correction(
        rt, a["health"], paused["id"], req.Correction.parse({"items": "补充"})
    )

    clock(_at(17))
    board = queues.bureau_dashboard(rt, a["bureau"])
    groups = {g["department"]["title"]: g for g in board["overdue"]}
    assert set(groups) == {"江州市卫生健康委员会", "江州市交通运输局"}
    assert [i["reference"] for i in groups["江州市卫生健康委员会"]["items"]] == [
        late_health["reference"]
    ]
    assert groups["江州市交通运输局"]["count"] == 1
    assert groups["江州市交通运输局"]["items"][0]["reference"] == transport_ref
    assert board["overdue_count"] == 2
    per_department = {d["department"]["title"]: d for d in board["departments"]}
    health = per_department["江州市卫生健康委员会"]
    assert (health["open"], health["overdue"], health["paused"]) == (3, 1, 1)
    assert health["by_kind"] == {"有条件开放申请": 3}
    assert per_department["江州市交通运输局"]["by_kind"] == {"开放需求": 1}
    assert board["departments"][0]["department"]["title"] == "江州市卫生健康委员会"

    # two refusals, objected on different days: the 复核 list is by deadline
    refusal = {"decision": "refuse", "rule_code": "privacy-trade-secret", "reason": "隐私"}
    application_decisions.decide(rt, a["health"], on_time["id"], req.Decision.parse(refusal))
    application_decisions.decide(rt, a["health"], late_health["id"], req.Decision.parse(refusal))
    first = objections.file_objection(
        rt, a["acme2"], on_time["id"], req.Objection.parse({"reason": "不服"})
    )
    clock(_at(18))
    second = objections.file_objection(
        rt, a["acme1"], late_health["id"], req.Objection.parse({"reason": "不服"})
    )
    board = queues.bureau_dashboard(rt, a["bureau"])
    assert [o["reference"] for o in board["objections"]] == [
        first["reference"],
        second["reference"],
    ]
    assert board["objections"][0]["due_on"] == "2026-12-01"
    assert [d["reference"] for d in board["recent_decisions"]][:2] == [
        late_health["reference"],
        on_time["reference"],
    ]
    assert board["recent_decisions"][0]["outcome_label"] == "不予同意"
    assert board["recent_decisions"][0]["decided_on_time"] is False  # decided after 16 Nov

    # the bureau's own late 复核 cases are grouped under the bureau
    clock(datetime(2026, 12, 3, 2, 0, tzinfo=UTC))
    board = queues.bureau_dashboard(rt, a["bureau"])
    groups = {g["department"]["title"]: g for g in board["overdue"]}
    assert groups[rt.settings.supervisor_name]["count"] == 2
    assert all(i["kind"] == "objection" for i in groups[rt.settings.supervisor_name]["items"])


def test_my_cases_are_only_mine(rt, world, clock):
    names, a = world
    clock(_at(2))
    mine = _apply(rt, a["acme1"], names["conditional"])
    _apply(rt, a["acme2"], names["conditional"])
    result = queues.my_cases(rt, a["acme1"])
    assert [c["reference"] for c in result["cases"]] == [mine["reference"]]
    assert result["grants"] == []
    assert queues.my_cases(rt, a["citizen"]) == {"cases": [], "grants": []}


def test_who_may_look(rt, world):
    _, a = world
    for name in ("citizen", "acme1", "bureau"):
        with pytest.raises(NotAuthorized):
            queues.department_queue(rt, a[name])
    for name in ("citizen", "health"):
        with pytest.raises(NotAuthorized):
            queues.bureau_dashboard(rt, a[name])
    for service in (queues.department_queue, queues.bureau_dashboard, queues.my_cases):
        with pytest.raises(LoginRequired):
            service(rt, ANONYMOUS)
    with rt.reader() as session:
        org = session.scalar(select(Organization.id).limit(1))
    stray = Actor("stray", a["health"].user_id, frozenset({"citizen"}), org)
    with pytest.raises(NotAuthorized):
        queues.department_queue(rt, stray)
