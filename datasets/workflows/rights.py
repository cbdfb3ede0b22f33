"""Rights-holder objections (权益异议).

An objection of an *identified* rights holder — signed in, with a verified contact
(``requesters.identify``) — suspends public access to the dataset in the call that files it
(``Dataset.suspended_by``: the page stays, downloads, previews and grant downloads stop, and its
files leave the public root in the same transaction — ``public_root``), which meets the rule
that access is suspended within one working day. Any other objection (anonymous, or from an
account whose contact is not verified, or beyond ``rights_suspensions_per_day`` identified
suspensions that day) goes to the department, which decides on suspension within
``days_rights_suspension`` working days (state ``pending``, overdue like every deadline), so
that no script of anonymous filings can take the catalog offline. One requester files at most
``rights_objections_per_day`` objections a day. Every suspension records who asked and who
decided it (the case's ``body["suspension"]`` and the audit row).

The department decides within ``days_rights_decision`` of receipt: withdraw the data (it
becomes 不予开放 under ``privacy-trade-secret`` with the decision as its basis), restore it (the
objection is unfounded) or restore it after masking or correcting it. The suspension lasts
while any suspending rights objection to the dataset is open; lifting it re-places the
dataset's files under its current class and masking rules (``curation.republish_stored``).
"""

from __future__ import annotations

from datetime import datetime, time
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from datasets.accounts.permissions import Actor
from datasets.catalog import activity
from datasets.errors import TooMany, ValidationError
from datasets.intake import public_root
from datasets.intake.findings import classify_files, masking_rules
from datasets.models import Case, Dataset, User
from datasets.notify.notices import case_link, notify_department, notify_requester
from datasets.openness import curation
from datasets.openness.rules import CLOSED, PRIVACY_RULE
from datasets.runtime import Runtime
from datasets.workdays import SHANGHAI, calendar_for, shanghai_date
from datasets.workflows import cases as c
from datasets.workflows.inputs.feedback import (
    RIGHTS_DECISIONS,
    RightsDecisionInput,
    RightsObjectionInput,
    RightsSuspensionInput,
)
from datasets.workflows.machine import RIGHTS_OBJECTION
from datasets.workflows.public_cases import (
    full_dict,
    load_dataset,
    load_for_step,
    open_public_case,
    receipt,
    view_case,
)
from datasets.workflows.requesters import Requester, identify


def _audit_dataset(
    session: Session, actor: Actor | str, action: str, dataset: Dataset, **detail: Any
) -> None:
    c.audit_row(session, actor, action, "dataset", dataset.id, {"name": dataset.name, **detail})


def _today_start() -> datetime:
    """Midnight of today in Asia/Shanghai: the limits per day count from here."""
    return datetime.combine(shanghai_date(c.now_utc()), time.min, tzinfo=SHANGHAI)


def _filed_today(session: Session, *conditions: Any) -> int:
    return (
        session.scalar(
            select(func.count(Case.id)).where(
                Case.kind == RIGHTS_OBJECTION.kind, Case.received_at >= _today_start(), *conditions
            )
        )
        or 0
    )


def _check_limit(rt: Runtime, session: Session, requester: Requester) -> None:
    """One requester (account, proved or typed contact) files at most the day's limit."""
    limit = rt.settings.rights_objections_per_day
    if requester.key and _filed_today(session, Case.requester_key == requester.key) >= limit:
        raise TooMany(f"同一提出人每天最多提出 {limit} 件权益异议，请明天再提交")


def _suspends_at_once(rt: Runtime, session: Session, requester: Requester) -> bool:
    """An identified rights holder suspends at once, while the portal's day has room."""
    if not requester.identified:
        return False
    identified = _filed_today(
        session, Case.requester_id.is_not(None), Case.requester_verified.is_not(None)
    )
    return identified < rt.settings.rights_suspensions_per_day


def _who_asked(session: Session, actor: Actor, requester: Requester) -> dict[str, Any]:
    """Who asked for a suspension, as staff see it: the account (never the contact values)."""
    user = session.get(User, actor.user_id) if actor.user_id else None
    return {
        "account": user.name if user else None,
        "verified": requester.verified,
        "identified": requester.identified,
    }


def _suspend(
    session: Session,
    files: public_root.Tracker,
    actor: Actor,
    dataset: Dataset,
    case: Case,
    suspension: dict[str, Any],
) -> None:
    """Suspend the dataset for ``case`` (unless another objection already holds it) and record
    who asked and who decided."""
    case.body = {**case.body, "suspension": suspension}
    if dataset.suspended_by is not None:
        return
    dataset.suspended_by = case.id
    files.hide(session, dataset)  # its files leave the public root with the suspension
    _audit_dataset(session, actor, "dataset.suspend", dataset, case=case.reference, **suspension)
    activity.record(session, dataset, activity.SUSPENDED)


def submit_rights_objection(
    rt: Runtime, actor: Actor, form: RightsObjectionInput
) -> dict[str, Any]:
    """A rights holder objects to a published dataset: an identified one suspends its public
    access at once; anyone else's objection asks the department to decide on suspension."""
    requester = identify(rt, actor, form.contact, form.verification_code)
    with public_root.tracking(rt) as files, rt.session() as session:
        dataset = load_dataset(session, form.dataset)
        _check_limit(rt, session, requester)
        at_once = _suspends_at_once(rt, session, requester)
        case = open_public_case(
            rt,
            session,
            actor,
            RIGHTS_OBJECTION,
            contact=form.contact,
            organization_id=dataset.organization_id,
            dataset=dataset,
            body={"claim": form.claim, "rights_basis": form.rights_basis},
            requester=requester,
            status="suspended" if at_once else "pending",
            days=None if at_once else rt.settings.days_rights_suspension,
        )
        asked = _who_asked(session, actor, requester)
        if at_once:
            _suspend(session, files, actor, dataset, case, {**asked, "decided_by": "requester"})
        else:
            case.body = {**case.body, "suspension": {**asked, "decided_by": None}}
        _tell_department(rt, session, dataset, case, at_once=at_once)
        result = receipt(rt, session, actor, case)
    return result


def _tell_department(
    rt: Runtime, session: Session, dataset: Dataset, case: Case, *, at_once: bool
) -> None:
    if at_once:
        subject = f"权益异议 {case.reference}：{dataset.title} 已暂停开放"
        body = f"请于 {case.due_on} 前作出撤回、恢复或处理后恢复的决定。"
    else:
        decide_by = RIGHTS_OBJECTION.deadline(
            "weigh", rt.settings, calendar_for(rt), case.received_on
        )
        subject = f"权益异议 {case.reference}：请决定是否暂停开放 {dataset.title}"
        body = (
            f"提出人未经身份验证（或当日立即暂停的数量已达上限），数据集仍在开放。请于 "
            f"{case.due_on} 前决定是否暂停开放，并于 {decide_by.on} 前作出处理决定。"
        )
    notify_department(
        session,
        dataset.organization_id,
        subject=subject,
        body=body,
        link=case_link(case),
        case=case,
    )


def weigh_suspension(
    rt: Runtime, actor: Actor, objection_id: str, form: RightsSuspensionInput
) -> dict[str, Any]:
    """The department decides whether a dataset stays open while it examines an objection that
    did not suspend it at once; the decision on the objection is then due
    ``days_rights_decision`` after its receipt."""
    with public_root.tracking(rt) as files, rt.session() as session:
        case = load_for_step(rt, session, actor, objection_id, RIGHTS_OBJECTION.kind, "weigh")
        target = "suspended" if form.suspend else "reviewing"
        c.transit(session, case, actor, "weigh", target, suspend=form.suspend, note=form.note)
        c.start_deadline(rt, case, "weigh", start=case.received_on)
        asked = dict((case.body or {}).get("suspension") or {})
        decided = {**asked, "decided_by": "department", "department_actor": actor.name}
        dataset = session.get(Dataset, case.dataset_id) if case.dataset_id else None
        if form.suspend and dataset is not None:
            _suspend(session, files, actor, dataset, case, decided)
        else:
            case.body = {**case.body, "suspension": {**decided, "kept_open": True}}
        notify_requester(
            session,
            case,
            subject=f"权益异议 {case.reference}："
            + ("提供部门已暂停开放该数据集" if form.suspend else "处理期间数据集继续开放"),
            body=f"提供部门将于 {case.due_on} 前作出处理决定。",
            link=case_link(case),
        )
        return full_dict(rt, session, actor, case)


def get_rights_objection(
    rt: Runtime, actor: Actor, objection_id: str, *, code: str | None = None
) -> dict[str, Any]:
    return view_case(rt, actor, objection_id, RIGHTS_OBJECTION.kind, code=code)


def _open_by_law(session: Session, dataset: Dataset, basis: str) -> bool:
    """Whether the openness engine would keep the dataset open if it were withdrawn under rule
    3: de-identified data whose personal columns are all masked is open by law."""
    resources = list(dataset.resources)
    files = [(r.name, r.format, r.pii_report) for r in resources]
    declared = {"declared": CLOSED, "rule": PRIVACY_RULE, "basis": basis}
    return classify_files(declared, files, masking_rules(session, dataset.id)).openness != CLOSED


def _lift_suspension(
    rt: Runtime, files: public_root.Tracker, session: Session, actor: Actor, case: Case
) -> str | None:
    """End the suspension this objection caused, unless another open suspending objection
    holds it; a lifted dataset's files are placed again as its class says. Returns the id of a
    dataset whose suspension was lifted."""
    dataset = session.get(Dataset, case.dataset_id) if case.dataset_id else None
    if dataset is None:
        return None
    other = session.scalar(
        select(Case.id)
        .where(
            Case.kind == RIGHTS_OBJECTION.kind,
            Case.dataset_id == dataset.id,
            Case.closed_at.is_(None),
            Case.status == "suspended",  # not those the department left open or weighs
            Case.id != case.id,
        )
        .order_by(Case.received_at)
        .limit(1)
    )
    if other is not None:
        dataset.suspended_by = other
        return None
    if dataset.suspended_by is None:
        return None
    dataset.suspended_by = None
    _audit_dataset(session, actor, "dataset.restore", dataset, case=case.reference)
    activity.record(session, dataset, activity.RESTORED)
    if dataset.resources:
        files.note(session, dataset.id)
        curation.republish_stored(
            rt,
            session,
            dataset,
            actor=actor.name,
            reason=f"权益异议 {case.reference} 已作出决定，恢复开放",
        )
    return dataset.id


def _withdraw_in(
    rt: Runtime,
    files: public_root.Tracker,
    session: Session,
    actor: Actor,
    case: Case,
    form: RightsDecisionInput,
) -> None:
    """Check the decision; a withdrawal reclassifies the dataset 不予开放 under rule 3 with the
    decision as its written basis, in the decision's own transaction (the override keeps later
    harvests from opening it again)."""
    dataset = session.get(Dataset, case.dataset_id) if case.dataset_id else None
    open_by_law = False
    if form.decision == "withdraw":
        if dataset is None:
            raise ValidationError("该权益异议没有对应的数据集", {"decision": ["无法撤回"]})
        open_by_law = dataset.openness != CLOSED and _open_by_law(session, dataset, form.reply)
    c.check(rt, actor, case, "decide", decision=form.decision, open_by_law=open_by_law)
    if form.decision != "withdraw" or dataset is None:
        return
    on_behalf = Actor(
        name=f"{actor.name}（权益异议 {case.reference}）",
        user_id=actor.user_id,
        roles=frozenset({"operator"}),
        organization_id=actor.organization_id,
    )
    declaration = {"declared": CLOSED, "rule": PRIVACY_RULE, "basis": form.reply}
    reason = f"权益异议 {case.reference} 决定撤回：{form.reply}"[:2000]
    curation.reclassify_stored(rt, session, files, dataset, declaration, reason, actor=on_behalf)


def decide_rights_objection(
    rt: Runtime, actor: Actor, objection_id: str, form: RightsDecisionInput
) -> dict[str, Any]:
    """The department withdraws the data, restores it, or restores it after processing."""
    cal = calendar_for(rt)
    with public_root.tracking(rt) as files, rt.session() as session:
        case = load_for_step(rt, session, actor, objection_id, RIGHTS_OBJECTION.kind, "decide")
        _withdraw_in(rt, files, session, actor, case, form)
        rule = PRIVACY_RULE if form.decision == "withdraw" else None
        case.body = {**case.body, "answer": {"decision": form.decision}}
        c.record_decision(cal, case, outcome=form.decision, reply=form.reply, rule_code=rule)
        c.transit(
            session, case, actor, "decide", "decided", decision=form.decision, note=form.reply
        )
        _lift_suspension(rt, files, session, actor, case)
        notify_requester(
            session,
            case,
            subject=f"权益异议 {case.reference}：{RIGHTS_DECISIONS[form.decision]}",
            body=form.reply,
            link=case_link(case),
        )
        result = full_dict(rt, session, actor, case)
    return result
