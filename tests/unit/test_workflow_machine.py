"""The machine's table: each guard refuses its step (so deleting a guard fails its test), the
wrong party is NotAuthorized and the wrong state a Conflict, ``allowed`` lists what a party may
do now, deadlines come from the settings the table names, and every URL step has one service."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime
from types import SimpleNamespace
from typing import Any

import pytest

from datasets.accounts import permissions as may
from datasets.accounts.permissions import ANONYMOUS, Actor
from datasets.errors import Conflict, LoginRequired, NotAuthorized
from datasets.settings import load_settings
from datasets.workdays import WorkCalendar
from datasets.workflows import guards
from datasets.workflows.machine import (
    ALL_MACHINES,
    APPLICATION,
    GRANT,
    MACHINES,
    OBJECTION,
    OPENING_REQUEST,
    STAGES,
    SYSTEM,
    Context,
)
from datasets.workflows.steps import SERVICES

APPLICANT = Actor("acme", "u-acme", frozenset({"company"}))
REVIEWER = Actor("health", "u-health", frozenset({"reviewer"}), "org-health")
OTHER_REVIEWER = Actor("transport", "u-transport", frozenset({"reviewer"}), "org-transport")
BUREAU = Actor("bureau", "u-bureau", frozenset({"bureau"}))
OPERATOR = Actor("ops", "u-ops", frozenset({"operator"}))
MONDAY = datetime(2026, 11, 23, 2, 0, tzinfo=UTC)  # 10:00 in Shanghai
CALENDAR = WorkCalendar()
SETTINGS = load_settings(environ={})


def application(**columns: Any) -> SimpleNamespace:
    return SimpleNamespace(
        **{
            "received_on": date(2026, 11, 23),
            "correction_used": False,
            "extension_used": False,
            "body": {},
            **columns,
        }
    )


def ctx(
    record: Any,
    status: str,
    actor: Actor = REVIEWER,
    *,
    now: datetime = MONDAY,
    **facts: Any,
) -> Context:
    return Context(
        actor=actor,
        status=status,
        requester_id=APPLICANT.user_id,
        organization_id="org-health",
        record=record,
        now=now,
        calendar=CALENDAR,
        settings=SETTINGS,
        facts=facts,
    )


# -- one test per guard: the step is refused with the guard's reason ---------------------------


def test_correction_is_refused_after_its_window():
    inside = ctx(application(), "submitted", now=datetime(2026, 11, 30, 2, tzinfo=UTC))
    APPLICATION.check("request_correction", inside)  # the 5th working day after receipt
    late = ctx(application(), "submitted", now=datetime(2026, 12, 1, 2, tzinfo=UTC))
    with pytest.raises(Conflict, match="补正须在受理后 5 个工作日内提出"):
        APPLICATION.check("request_correction", late)
    assert "request_correction" not in [t.name for t in APPLICATION.allowed(late)]


def test_correction_is_asked_once():
    with pytest.raises(Conflict, match="补正只能要求一次"):
        APPLICATION.check("request_correction", ctx(application(correction_used=True), "submitted"))


def test_the_deadline_is_extended_once():
    APPLICATION.check("extend", ctx(application(), "submitted"))
    with pytest.raises(Conflict, match="答复期限只能延长一次"):
        APPLICATION.check("extend", ctx(application(extension_used=True), "submitted"))


def test_no_refusal_after_a_ruling_for_the_applicant():
    ruled = ctx(application(), "ruling")
    APPLICATION.check("decide", ruled, "approved")
    with pytest.raises(Conflict, match="复核决定已撤销原不予同意决定"):
        APPLICATION.check("decide", ruled, "refused")
    assert APPLICATION.targets("decide", ruled) == ("approved", "partial")
    assert "refused" in APPLICATION.targets("decide", ctx(application(), "submitted"))


def test_an_objection_is_filed_within_its_window():
    refused = application(body={"objection_deadline": "2026-11-23"})
    APPLICATION.check("object", ctx(refused, "refused", APPLICANT))
    late = ctx(refused, "refused", APPLICANT, now=datetime(2026, 11, 24, 2, tzinfo=UTC))
    with pytest.raises(Conflict, match="复核申请期限已于 2026-11-23 届满"):
        APPLICATION.check("object", late)


def test_one_objection_per_application():
    filed = ctx(application(), "partial", APPLICANT, objection="FH-20261123-0001")
    with pytest.raises(Conflict, match="已提出过复核申请 FH-20261123-0001"):
        APPLICATION.check("object", filed)


def test_a_suspension_for_a_missing_report_is_lifted_by_the_report_not_by_an_objection():
    missed = application(status_reason="missing_report")
    with pytest.raises(Conflict, match="报送报告后即恢复"):
        GRANT.check("object", ctx(missed, "suspended", APPLICANT))
    GRANT.check("object", ctx(application(status_reason="transfer"), "suspended", APPLICANT))
    GRANT.check("object", ctx(application(status_reason="transfer"), "revoked", APPLICANT))
    with pytest.raises(Conflict, match="只有被暂停或终止的授权可以申请复核"):
        GRANT.check("object", ctx(application(status_reason=None), "active", APPLICANT))


def test_a_grant_objection_is_filed_within_the_window_its_change_opened():
    revoked = application(status_reason="transfer")
    late = ctx(revoked, "revoked", APPLICANT, objection_deadline="2026-11-20")
    with pytest.raises(Conflict, match="复核申请期限已于 2026-11-20 届满"):
        GRANT.check("object", late)
    with pytest.raises(Conflict, match="已提出过复核申请 FH-1"):
        GRANT.check("object", ctx(revoked, "revoked", APPLICANT, objection="FH-1"))


def test_an_answer_is_objected_to_by_its_requester_or_the_holder_of_its_code():
    answered = application(body={"objection_deadline": "2026-12-07"})
    OPENING_REQUEST.check("object", ctx(answered, "answered", APPLICANT))
    with pytest.raises(LoginRequired):
        OPENING_REQUEST.check("object", ctx(answered, "answered", ANONYMOUS))
    OPENING_REQUEST.check("object", ctx(answered, "answered", ANONYMOUS, code_holder=True))
    with pytest.raises(NotAuthorized, match="只有申请人本人"):
        OPENING_REQUEST.check("object", ctx(answered, "answered", REVIEWER))
    with pytest.raises(Conflict, match="只有已答复的开放需求可以申请复核"):
        OPENING_REQUEST.check("object", ctx(answered, "submitted", APPLICANT))
    # an overturning ruling sends it back to the department, which answers again
    assert [t.name for t in OPENING_REQUEST.allowed(ctx(answered, "ruling"))] == ["answer"]


def test_the_escalation_ladder_ends_with_the_government_ruling():
    def objection(*stages: str) -> SimpleNamespace:
        return SimpleNamespace(body={"escalations": [{"stage": s} for s in stages]})

    OBJECTION.check("escalate", ctx(objection("coordination"), "submitted", BUREAU))
    with pytest.raises(Conflict, match="升级阶段已全部记录"):
        OBJECTION.check("escalate", ctx(objection(*STAGES), "submitted", BUREAU))


def test_a_grant_suspended_for_a_missing_report_is_restored_only_after_it():
    overdue = SimpleNamespace(status_reason="missing_report", report_due_on=date(2026, 11, 1))
    with pytest.raises(Conflict, match="须先报送使用情况报告"):
        GRANT.check("restore", ctx(overdue, "suspended", BUREAU))
    other = SimpleNamespace(status_reason="out_of_scope", report_due_on=date(2026, 11, 1))
    GRANT.check("restore", ctx(other, "suspended", BUREAU))


def test_a_scope_is_confirmed_only_when_the_columns_changed():
    grant = SimpleNamespace()
    with pytest.raises(Conflict, match="无需重新确认"):
        GRANT.check("confirm_scope", ctx(grant, "active", scope_confirmed=True))
    GRANT.check("confirm_scope", ctx(grant, "active", scope_confirmed=False))


def test_the_end_of_term_report_is_filed_once_after_the_grant_ended():
    owed = SimpleNamespace(final_report_due_on=date(2026, 12, 31))
    GRANT.check("final_report", ctx(owed, "expired", APPLICANT))
    GRANT.check("final_report", ctx(owed, "revoked", APPLICANT))
    with pytest.raises(Conflict, match="已报送或无需报送"):
        GRANT.check(
            "final_report", ctx(SimpleNamespace(final_report_due_on=None), "expired", APPLICANT)
        )
    with pytest.raises(Conflict, match="到期或终止后报送"):
        GRANT.check("final_report", ctx(owed, "active", APPLICANT))


def test_every_guard_of_the_table_has_its_test_above():
    tested = {
        guards.within_correction_window,
        guards.correction_not_used,
        guards.extension_not_used,
        guards.no_refusal_after_ruling,
        guards.within_objection_window,
        guards.not_yet_objected,
        guards.ladder_not_finished,
        guards.report_not_overdue,
        guards.scope_needs_confirmation,
        guards.appealable_grant_status,
        guards.final_report_owed,
    }
    used = {g for m in ALL_MACHINES.values() for t in m.transitions for g in t.guards}
    # the participation processes' guards are tested in test_participation_machine.py
    assert {g for g in used if g.__module__ == guards.__name__} == tested


# -- parties, states and what is allowed --------------------------------------------------------


def test_the_wrong_party_is_not_authorized_and_the_wrong_state_is_a_conflict():
    case = application()
    with pytest.raises(NotAuthorized, match="只有数据提供部门的审核人员可以办理此事项"):
        APPLICATION.check("decide", ctx(case, "submitted", OTHER_REVIEWER), "approved")
    with pytest.raises(NotAuthorized, match="只有申请人本人"):
        APPLICATION.check("sign", ctx(case, "approved", REVIEWER))
    with pytest.raises(LoginRequired):
        APPLICATION.check("sign", ctx(case, "approved", ANONYMOUS))
    with pytest.raises(Conflict, match="当前状态为“不予同意”，不能作出决定"):
        APPLICATION.check("decide", ctx(case, "refused"), "approved")
    with pytest.raises(Conflict, match="授权当前状态为“已终止”，不能执行此操作"):
        GRANT.check("restore", ctx(SimpleNamespace(), "revoked", BUREAU))
    with pytest.raises(NotAuthorized, match="数据提供部门的审核人员或主管部门"):
        GRANT.check("suspend", ctx(SimpleNamespace(), "active", APPLICANT))


@pytest.mark.parametrize(
    ("actor", "status", "expected"),
    [
        (REVIEWER, "submitted", ["request_correction", "extend", "decide"]),
        (APPLICANT, "submitted", ["withdraw"]),
        (APPLICANT, "correction", ["supplement", "withdraw"]),
        (APPLICANT, "approved", ["sign", "withdraw"]),
        (APPLICANT, "refused", ["object"]),
        (REVIEWER, "ruling", ["decide"]),
        (OTHER_REVIEWER, "submitted", []),
        (BUREAU, "submitted", []),
        (REVIEWER, "granted", []),
    ],
)
def test_allowed_lists_the_steps_of_this_party_in_this_state(actor, status, expected):
    assert [t.name for t in APPLICATION.allowed(ctx(application(), status, actor))] == expected


def test_system_transitions_are_never_offered():
    for machine in ALL_MACHINES.values():
        for actor in (APPLICANT, REVIEWER, BUREAU, OPERATOR):
            for state in machine.states:
                record = application(status_reason=None, report_due_on=None)
                offered = machine.allowed(ctx(record, state, actor, scope_confirmed=False))
                assert all(t.who != (SYSTEM,) for t in offered)


# -- deadlines and URL steps --------------------------------------------------------------------


def test_deadlines_come_from_the_settings_the_table_names():
    settings = replace(SETTINGS, days_application=5, days_provide_after_ruling=3)
    assert APPLICATION.days("submit", settings) == 5
    assert APPLICATION.deadline("submit", settings, CALENDAR, date(2026, 11, 23)).on == date(
        2026, 11, 30
    )
    assert APPLICATION.days("overturn", settings) == 3
    assert OBJECTION.days("submit", SETTINGS) == SETTINGS.days_objection_decision
    for machine in MACHINES.values():
        assert machine.initial.deadline is not None, machine.kind
    with pytest.raises(KeyError):
        APPLICATION.days("sign", SETTINGS)


def test_every_step_of_the_table_has_one_service_and_each_service_one_step():
    for kind, taken in SERVICES.items():
        machine = ALL_MACHINES[kind]
        assert set(taken) == {t.name for t in machine.transitions if t.step}, kind
        steps = [machine.transition(name).step for name in taken]
        assert len(set(steps)) == len(steps)
        for name in taken:
            assert machine.by_step(machine.transition(name).step).name == name


def test_permission_predicates():
    assert may.can_apply_for_conditional_data(APPLICANT)
    assert not may.can_apply_for_conditional_data(REVIEWER)
    assert may.can_act_for_department(REVIEWER, "org-health")
    assert not may.can_act_for_department(REVIEWER, "org-transport")
    assert not may.can_act_for_department(Actor("x", "u", frozenset({"reviewer"})), None)
    assert may.can_manage_grant(BUREAU, "org-health") and may.can_manage_grant(
        REVIEWER, "org-health"
    )
    assert not may.can_manage_grant(OPERATOR, "org-health")
    assert may.can_confirm_grant_scope(OPERATOR, "org-health")
    assert not may.can_confirm_grant_scope(BUREAU, "org-health")
    assert may.can_view_grant(APPLICANT, holder_id="u-acme", organization_id="org-health")
    assert not may.can_view_grant(OTHER_REVIEWER, holder_id="u-acme", organization_id="org-health")
    assert may.can_view_case(BUREAU, requester_id=None, organization_id="o", handler="department")
    assert not may.can_view_case(ANONYMOUS, requester_id=None, organization_id=None, handler="x")
    assert may.can_use_workspace(REVIEWER) and not may.can_use_workspace(BUREAU)
