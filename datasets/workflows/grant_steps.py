"""The steps people take on a grant (``machine.GRANT``): the holder's use reports; suspension,
restoration and revocation with a reason code by the dataset's department or the bureau; and
the confirmation of a scope whose columns changed (``scopes``). Each step checks the table
before it changes anything and takes its typed request (``step_requests``)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from datasets.accounts import permissions as may
from datasets.accounts.permissions import Actor
from datasets.errors import NotFound, ValidationError
from datasets.models import Dataset, Grant, UseReport
from datasets.notify.notices import notify_department, notify_users
from datasets.runtime import Runtime
from datasets.workdays import calendar_for, shanghai_date
from datasets.workflows import cases as c
from datasets.workflows import scopes
from datasets.workflows.grants import (
    REASONS,
    STATUS_LABELS,
    add_months,
    audit,
    final_report_due,
    grant_dict,
    may_see,
    organization_of,
    refresh,
)
from datasets.workflows.machine import GRANT, Context
from datasets.workflows.step_requests import ScopeConfirmation, StatusChange
from datasets.workflows.step_requests import UseReport as UseReportRequest

TARGETS = {"suspend": "suspended", "restore": "active", "revoke": "revoked"}


def load_grant(session: Session, grant_id: str) -> Grant:
    grant = session.scalar(
        select(Grant)
        .where((Grant.id == grant_id) | (Grant.reference == grant_id))
        .with_for_update()
    )
    if grant is None:
        raise NotFound(f"未找到授权 {grant_id}")
    return grant


def context(rt: Runtime, session: Session, actor: Actor, grant: Grant, **facts: Any) -> Context:
    """What the guards of ``machine.GRANT`` look at: the holder is the grant's requester, the
    department the one whose dataset it is on."""
    return Context(
        actor=actor,
        status=grant.status,
        requester_id=grant.user_id,
        organization_id=organization_of(session, grant),
        record=grant,
        now=c.now_utc(),
        calendar=calendar_for(rt),
        settings=rt.settings,
        facts=facts,
    )


def _visible(session: Session, actor: Actor, grant_id: str) -> Grant:
    """The grant, locked and brought up to date, if ``actor`` may see it (NotFound otherwise:
    a stranger does not learn that it exists)."""
    c.require_signed_in(actor)
    grant = load_grant(session, grant_id)
    if not may_see(session, actor, grant):
        raise NotFound(f"未找到授权 {grant_id}")
    refresh(session, grant, shanghai_date(c.now_utc()))
    return grant


def change_status(
    rt: Runtime, actor: Actor, grant_id: str, request: StatusChange
) -> dict[str, Any]:
    """Suspend, restore or revoke a grant (the dataset's department or the bureau)."""
    with rt.session() as session:
        grant = _visible(session, actor, grant_id)
        target = TARGETS[request.action]
        GRANT.check(request.action, context(rt, session, actor, grant), target)
        grant.status = target
        grant.status_reason = request.reason if request.action != "restore" else None
        grant.status_note = request.note
        if target == "revoked" and grant.final_report_due_on is not None:
            grant.final_report_due_on = final_report_due(rt, shanghai_date(c.now_utc()))
        audit(
            session,
            actor,
            f"grant.{request.action}",
            grant,
            reason=request.reason,
            note=request.note,
        )
        notify_users(
            session,
            [grant.user_id],
            subject=f"授权 {grant.reference} {STATUS_LABELS[target]}"
            + (f"：{REASONS[request.reason]}" if request.reason in REASONS else ""),
            body=request.note,
            link=f"/services/grants/{grant.id}",
        )
        return grant_dict(session, grant)


def _confirmed_fields(
    fields: tuple[str, ...] | None, current: list[str], *, partial: bool
) -> list[str]:
    if fields is None:
        raise ValidationError("fields 须为现有字段名的列表", {"fields": ["须为字段名列表"]})
    chosen = list(fields)
    if unknown := [f for f in chosen if f not in current]:
        problem = f"数据集现在没有这些字段：{'、'.join(unknown)}"
    elif current and not chosen:
        problem = "请选择授权覆盖的现有字段"
    elif partial and not set(chosen) < set(current):
        problem = "部分授权确认后仍须为现有字段的真子集"
    else:
        return chosen
    raise ValidationError(problem, {"fields": [problem]})


def confirm_scope(
    rt: Runtime, actor: Actor, grant_id: str, request: ScopeConfirmation
) -> dict[str, Any]:
    """The dataset's department (or an operator) confirms which of the current columns a grant
    covers after its table changed: current column names (a partial grant stays a proper
    subset). The grant records them with the current columns and serves again."""
    with rt.session() as session:
        grant = _visible(session, actor, grant_id)
        dataset = session.get(Dataset, grant.dataset_id)
        found = scopes.assess(session, grant, dataset)
        confirmed = dataset is None or found.state == scopes.CONFIRMED
        GRANT.check("confirm_scope", context(rt, session, actor, grant, scope_confirmed=confirmed))
        assert dataset is not None  # the guard refused a grant without one
        found = scopes.settle(session, grant, dataset, actor=actor)
        full = scopes.is_full(grant)
        chosen = _confirmed_fields(request.fields, scopes.names(dataset.columns), partial=not full)
        before = {"fields": list(grant.fields or []), "columns": scopes.names(grant.columns)}
        scopes.record(grant, dataset.columns, chosen)
        scope = "all" if scopes.is_full(grant) else "partial"
        audit(
            session,
            actor,
            "grant.scope_confirm",
            grant,
            fields=chosen,
            scope=scope,
            why=found.why,
            previous_fields=before["fields"],
            previous_columns=before["columns"],
        )
        notify_users(
            session,
            [grant.user_id],
            subject=f"授权 {grant.reference} 的授权范围已由数据提供部门重新确认",
            body=("授权字段：全部字段（" if scope == "all" else "授权字段：")
            + "、".join(chosen)
            + ("）" if scope == "all" else ""),
            link=f"/services/grants/{grant.id}",
        )
        return grant_dict(session, grant)


def file_report(
    rt: Runtime, actor: Actor, grant_id: str, request: UseReportRequest
) -> dict[str, Any]:
    """The holder files a use report; the next one falls due, and a suspension for a missing
    report is lifted."""
    c.require_signed_in(actor)
    today = shanghai_date(c.now_utc())
    with rt.session() as session:
        grant = load_grant(session, grant_id)
        if not may.is_requester(actor, grant.user_id):
            raise NotFound(f"未找到授权 {grant_id}")
        refresh(session, grant, today)
        GRANT.check("report", context(rt, session, actor, grant))
        session.add(UseReport(grant_id=grant.id, text=request.text))
        grant.last_report_at = c.now_utc()
        following = add_months(today, rt.settings.grant_report_months)
        grant.report_due_on = following if following < grant.expires_on else None
        if grant.status == "suspended" and grant.status_reason == "missing_report":
            grant.status, grant.status_reason, grant.status_note = "active", None, ""
            audit(session, actor, "grant.restore", grant, reason="report_filed")
        audit(session, actor, "grant.report", grant)
        notify_department(
            session,
            organization_of(session, grant),
            subject=f"授权 {grant.reference} 报送了使用情况报告",
            link=f"/services/grants/{grant.id}",
        )
        return grant_dict(session, grant)


def file_final_report(
    rt: Runtime, actor: Actor, grant_id: str, request: UseReportRequest
) -> dict[str, Any]:
    """The holder files the end-of-term use report (期末使用情况报告) once the grant expired or
    was revoked: how the data was used over the whole term and that copies were deleted."""
    c.require_signed_in(actor)
    with rt.session() as session:
        grant = load_grant(session, grant_id)
        if not may.is_requester(actor, grant.user_id):
            raise NotFound(f"未找到授权 {grant_id}")
        refresh(session, grant, shanghai_date(c.now_utc()))
        GRANT.check("final_report", context(rt, session, actor, grant))
        session.add(UseReport(grant_id=grant.id, text=request.text, kind="final"))
        grant.last_report_at = c.now_utc()
        grant.final_report_due_on = None
        audit(session, actor, "grant.final_report", grant)
        notify_department(
            session,
            organization_of(session, grant),
            subject=f"授权 {grant.reference} 报送了期末使用情况报告",
            link=f"/services/grants/{grant.id}",
        )
        return grant_dict(session, grant)
