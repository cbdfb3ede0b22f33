"""Deadlines of real applications at fixed moments: the National Day and Spring Festival
holidays with their make-up working days (调休), a weekend submission, the UTC → Shanghai date
change, the provisional fallback past the official calendar, and the clock paused by 补正.

Expected dates were counted by hand on the State Council's published arrangements for 2026
(国庆 1–7 Oct, 10 Oct worked; 春节 15–23 Feb, 14 and 28 Feb worked)."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from datasets.accounts.permissions import Actor
from datasets.accounts.users import create_user
from datasets.workflows import application_decisions, applications, cases, objections
from datasets.workflows import step_requests as req
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


@pytest.fixture
def world(rt, tmp_path):
    names = services_catalog(rt, tmp_path)
    create_user(rt, name="reviewer", role="reviewer", password=PASSWORD, department=names["health"])
    create_user(rt, name="bureau", role="bureau", password=PASSWORD)
    company = create_user(
        rt,
        name="acme",
        role="company",
        password=PASSWORD,
        company_name="江州智医科技有限公司",
        credit_code=credit_code(7),
        legal_representative="王五",
        phone="13800138000",
    )
    from sqlalchemy import select

    from datasets.models import User

    with rt.reader() as session:
        reviewer = session.scalar(select(User).where(User.name == "reviewer"))
        bureau = session.scalar(select(User).where(User.name == "bureau"))
        actors = {
            "acme": Actor("acme", company["id"], frozenset({"company"})),
            "reviewer": Actor(
                "reviewer", reviewer.id, frozenset({"reviewer"}), reviewer.organization_id
            ),
            "bureau": Actor("bureau", bureau.id, frozenset({"bureau"})),
        }
    return names, actors


@pytest.fixture
def clock(monkeypatch):
    """Set the services' notion of now (an aware UTC instant)."""

    def set_now(instant: datetime) -> None:
        monkeypatch.setattr(cases, "now_utc", lambda: instant)

    return set_now


def _submit(rt, world):
    names, actors = world
    return applications.submit(
        rt,
        actors["acme"],
        req.Application.parse({**BODY, "dataset": names["conditional"]}, rt.settings),
    )


@pytest.mark.parametrize(
    ("instant", "received", "due", "provisional"),
    [
        # Wednesday before the National Day: 8, 9, 10 (Saturday, worked), 12 … 20 October
        (datetime(2026, 9, 30, 2, 0, tzinfo=UTC), "2026-09-30", "2026-10-20", False),
        # Saturday in the holiday counts as received on the first working day after it
        (datetime(2026, 10, 3, 2, 0, tzinfo=UTC), "2026-10-08", "2026-10-21", False),
        # Friday before the Spring Festival: 14 Feb (Saturday, worked), then 24 Feb onwards
        (datetime(2026, 2, 13, 3, 0, tzinfo=UTC), "2026-02-13", "2026-03-05", False),
        # 16:30 UTC on Sunday is 00:30 on Monday in Shanghai
        (datetime(2026, 11, 22, 16, 30, tzinfo=UTC), "2026-11-23", "2026-12-07", False),
        # 15:59 UTC on Monday is still Monday in Shanghai (23:59)
        (datetime(2026, 11, 23, 15, 59, tzinfo=UTC), "2026-11-23", "2026-12-07", False),
        # runs into 2027, beyond the official calendar: the operator's table, provisional
        (datetime(2026, 12, 24, 2, 0, tzinfo=UTC), "2026-12-24", "2027-01-08", True),
    ],
)
def test_application_deadlines(rt, world, clock, instant, received, due, provisional):
    clock(instant)
    created = _submit(rt, world)
    assert (created["received_on"], created["due_on"], created["due_provisional"]) == (
        received,
        due,
        provisional,
    )
    # stored in UTC, whatever the date in Shanghai
    assert datetime.fromisoformat(created["received_at"]) == instant


def test_correction_pauses_the_clock_and_keeps_the_days_left(rt, world, clock):
    names, actors = world
    clock(datetime(2026, 11, 23, 2, 0, tzinfo=UTC))  # Monday; due 2026-12-07
    app_id = _submit(rt, world)["id"]
    clock(datetime(2026, 11, 25, 2, 0, tzinfo=UTC))  # Wednesday: 8 working days left
    paused = applications.request_correction(
        rt, actors["reviewer"], app_id, req.Correction.parse({"items": "补证明"})
    )
    assert paused["due_on"] is None and paused["clock_paused"]
    clock(datetime(2026, 12, 4, 2, 0, tzinfo=UTC))  # Friday, nine days later
    resumed = applications.supplement(
        rt, actors["acme"], app_id, req.Supplement.parse({"note": "已补"})
    )
    # 8 working days after Friday 4 December
    assert resumed["due_on"] == "2026-12-16"


def test_correction_only_within_its_window(rt, world, clock):
    names, actors = world
    clock(datetime(2026, 11, 23, 2, 0, tzinfo=UTC))
    app_id = _submit(rt, world)["id"]
    clock(datetime(2026, 12, 1, 2, 0, tzinfo=UTC))  # 6th working day after receipt
    with pytest.raises(Exception, match="5 个工作日内"):
        applications.request_correction(
            rt, actors["reviewer"], app_id, req.Correction.parse({"items": "补"})
        )


def test_objection_window_and_ruling_deadline(rt, world, clock):
    names, actors = world
    clock(datetime(2026, 9, 21, 2, 0, tzinfo=UTC))  # Monday
    app_id = _submit(rt, world)["id"]
    clock(datetime(2026, 9, 28, 2, 0, tzinfo=UTC))  # Monday: refusal
    refused = application_decisions.decide(
        rt,
        actors["reviewer"],
        app_id,
        req.Decision.parse(
            {"decision": "refuse", "reason": "不符合条件", "rule_code": "unmet-condition"}
        ),
    )
    # 15 working days: 29, 30 Sep, then 8, 9, 10 (Saturday, worked), 12 … 23 October
    assert refused["objection_deadline"] == "2026-10-23"
    assert refused["decided_on_time"] is True
    clock(datetime(2026, 10, 26, 2, 0, tzinfo=UTC))  # too late
    with pytest.raises(Exception, match="已于 2026-10-23 届满"):
        objections.file_objection(
            rt, actors["acme"], app_id, req.Objection.parse({"reason": "不服"})
        )
    clock(datetime(2026, 10, 23, 9, 0, tzinfo=UTC))  # 17:00 in Shanghai on the last day
    objection = objections.file_objection(
        rt, actors["acme"], app_id, req.Objection.parse({"reason": "不服"})
    )
    assert objection["due_on"] == "2026-11-06"  # 10 working days
    clock(datetime(2026, 11, 2, 2, 0, tzinfo=UTC))
    objections.decide_objection(
        rt,
        actors["bureau"],
        objection["id"],
        req.Ruling.parse({"decision": "overturn", "reason": "符合条件"}),
    )
    obliged = applications.get(rt, actors["reviewer"], app_id)
    assert obliged["status"] == "ruling" and obliged["due_on"] == "2026-11-09"  # 5 working days
    assert date.fromisoformat(obliged["due_on"]).weekday() == 0
