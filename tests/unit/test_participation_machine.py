"""The participation processes' part of the machine's table: each guard refuses its step (so
deleting a guard from the table fails its test), only the department takes the steps, and every
URL step has one request object and one service (``participation.PROCESSES``)."""

from __future__ import annotations

from dataclasses import fields
from datetime import UTC, datetime
from types import SimpleNamespace
from typing import Any

import pytest

from datasets.accounts import permissions as may
from datasets.accounts.permissions import Actor
from datasets.errors import Conflict, NotAuthorized, NotFound
from datasets.settings import load_settings
from datasets.workdays import WorkCalendar
from datasets.workflows import participation_guards
from datasets.workflows.inputs.fields import specs
from datasets.workflows.machine import (
    ALL_MACHINES,
    ASSESSMENT,
    ERROR_REPORT,
    OPENING_REQUEST,
    RIGHTS_OBJECTION,
    SUGGESTION,
    Context,
)
from datasets.workflows.participation import PROCESSES

REVIEWER = Actor("transport", "u-transport", frozenset({"reviewer"}), "org-transport")
OTHER_REVIEWER = Actor("health", "u-health", frozenset({"reviewer"}), "org-health")
BUREAU = Actor("bureau", "u-bureau", frozenset({"bureau"}))
REQUESTER = Actor("citizen", "u-citizen", frozenset({"citizen"}))
SETTINGS = load_settings(environ={})


def ctx(status: str, actor: Actor = REVIEWER, **facts: Any) -> Context:
    return Context(
        actor=actor,
        status=status,
        requester_id=REQUESTER.user_id,
        organization_id="org-transport",
        record=SimpleNamespace(body={}),
        now=datetime(2026, 11, 23, 2, tzinfo=UTC),
        calendar=WorkCalendar(),
        settings=SETTINGS,
        facts=facts,
    )


def refusals(transition: str, context: Context) -> list[str]:
    """What the table's guards of an assessment's opening say (a SYSTEM transition: the portal
    asks its guards itself, ``assessments._due``)."""
    guards = ASSESSMENT.transition(transition).guards
    return [r for guard in guards if (r := guard(context)) is not None]


def test_an_assessment_opens_only_with_enough_distinct_requesters():
    assert refusals("open", ctx("", requesters=SETTINGS.assessment_requesters)) == []
    few = ctx("", requesters=SETTINGS.assessment_requesters - 1)
    assert refusals("open", few) == ["12 个月内提出开放需求、联系方式经验证的不同申请人不足 3 位"]


def test_one_assessment_of_a_dataset_at_a_time():
    busy = ctx("", requesters=5, open_assessment="PG-20261123-0001")
    assert refusals("open", busy) == ["该数据集的开放评估 PG-20261123-0001 尚未完成"]


def test_a_withdrawal_the_openness_engine_would_undo_is_refused():
    RIGHTS_OBJECTION.check("decide", ctx("suspended", decision="withdraw", open_by_law=False))
    RIGHTS_OBJECTION.check("decide", ctx("suspended", decision="restore", open_by_law=True))
    with pytest.raises(Conflict, match="个人信息字段均已脱敏"):
        RIGHTS_OBJECTION.check("decide", ctx("suspended", decision="withdraw", open_by_law=True))


def test_every_participation_guard_has_its_test_above():
    tested = {
        participation_guards.enough_requesters,
        participation_guards.no_assessment_open,
        participation_guards.withdrawal_would_stand,
    }
    used = {g for m in ALL_MACHINES.values() for t in m.transitions for g in t.guards}
    assert {g for g in used if g.__module__ == participation_guards.__name__} == tested


@pytest.mark.parametrize("machine", [OPENING_REQUEST, ERROR_REPORT, SUGGESTION, RIGHTS_OBJECTION])
def test_only_the_department_answers_and_only_while_open(machine):
    open_state = machine.initial.targets[0]
    step = next(t for t in machine.transitions if t.step)
    assert [t.name for t in machine.allowed(ctx(open_state))] == [step.name]
    for actor in (OTHER_REVIEWER, BUREAU, REQUESTER):
        assert machine.allowed(ctx(open_state, actor)) == ()
        with pytest.raises(NotAuthorized, match="只有数据提供部门的审核人员"):
            machine.check(step.name, ctx(open_state, actor))
    closed = next(iter(machine.final))
    assert machine.allowed(ctx(closed)) == ()
    with pytest.raises(Conflict):
        machine.check(step.name, ctx(closed))


def test_every_url_step_has_one_request_object_and_one_service():
    for kind, process in PROCESSES.items():
        with_steps = {t.name for t in process.machine.transitions if t.step}
        assert set(process.steps) == with_steps, kind
        for transition, form in process.url_steps():
            assert process.step(transition.step or "") == (transition, form)
            assert specs(form.input) and len(specs(form.input)) == len(fields(form.input))
        with pytest.raises(NotFound, match="未知的操作"):
            process.step("no-such-step")


def test_deadlines_of_the_participation_processes_come_from_their_settings():
    expected = {
        "opening_request": SETTINGS.days_opening_request,
        "assessment": SETTINGS.days_assessment,
        "error_report": SETTINGS.days_error_report,
        "rights_objection": SETTINGS.days_rights_decision,
        "suggestion": SETTINGS.days_suggestion,
    }
    for kind, days in expected.items():
        machine = PROCESSES[kind].machine
        assert machine.days(machine.initial.name, SETTINGS) == days


def test_permission_predicates_of_held_files_and_the_audit_log():
    operator = Actor("ops", "u-ops", frozenset({"operator"}))
    citizen = REQUESTER
    assert may.can_confirm_held_files(operator) and may.can_confirm_held_files(REVIEWER)
    assert not may.can_confirm_held_files(BUREAU) and not may.can_confirm_held_files(citizen)
    assert may.can_confirm_files(REVIEWER, organization_id="org-transport")
    assert not may.can_confirm_files(REVIEWER, organization_id="org-health")
    assert may.can_confirm_files(operator, organization_id="org-health")
    assert may.can_confirm_files_of_every_department(operator)
    assert not may.can_confirm_files_of_every_department(REVIEWER)
    assert may.can_read_audit_log(BUREAU) and may.can_read_audit_log(operator)
    assert not may.can_read_audit_log(REVIEWER) and not may.can_read_audit_log(citizen)
