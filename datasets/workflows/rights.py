"""Rights-holder objections (权益异议).

An objection suspends public access to the dataset in the call that files it
(``Dataset.suspended_by``: the page stays, downloads, previews and grant downloads stop, and its
files leave the public root in the same transaction — ``public_root``), which meets the rule
that access is suspended within one working day. The department decides within
``days_rights_decision``: withdraw the data (it becomes 不予开放 under ``privacy-trade-secret``
with the decision as its basis), restore it (the objection is unfounded) or restore it after
masking or correcting it. The suspension lasts while any rights objection to the dataset is
open; lifting it re-places the dataset's files under its current class and masking rules
(``curation.republish_stored``).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from datasets.accounts.permissions import Actor
from datasets.catalog import activity
from datasets.errors import ValidationError
from datasets.intake import public_root
from datasets.intake.findings import classify_files, masking_rules
from datasets.models import Case, Dataset
from datasets.notify.notices import case_link, notify_department, notify_requester
from datasets.openness import curation
from datasets.openness.rules import CLOSED, PRIVACY_RULE
from datasets.runtime import Runtime
from datasets.workdays import calendar_for
from datasets.workflows import cases as c
from datasets.workflows.inputs.feedback import (
    RIGHTS_DECISIONS,
    RightsDecisionInput,
    RightsObjectionInput,
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


def _audit_dataset(
    session: Session, actor: Actor | str, action: str, dataset: Dataset, **detail: Any
) -> None:
    c.audit_row(session, actor, action, "dataset", dataset.id, {"name": dataset.name, **detail})


def submit_rights_objection(
    rt: Runtime, actor: Actor, form: RightsObjectionInput
) -> dict[str, Any]:
    """A rights holder objects to a published dataset; its public access stops at once."""
    with public_root.tracking(rt) as files, rt.session() as session:
        dataset = load_dataset(session, form.dataset)
        case = open_public_case(
            rt,
            session,
            actor,
            RIGHTS_OBJECTION,
            contact=form.contact,
            organization_id=dataset.organization_id,
            dataset=dataset,
            body={"claim": form.claim, "rights_basis": form.rights_basis},
        )
        if dataset.suspended_by is None:
            dataset.suspended_by = case.id
            files.hide(session, dataset)  # its files leave the public root with the suspension
            _audit_dataset(session, actor, "dataset.suspend", dataset, case=case.reference)
            activity.record(session, dataset, activity.SUSPENDED)
        notify_department(
            session,
            dataset.organization_id,
            subject=f"权益异议 {case.reference}：{dataset.title} 已暂停开放",
            body=f"请于 {case.due_on} 前作出撤回、恢复或处理后恢复的决定。",
            link=case_link(case),
            case=case,
        )
        result = receipt(rt, session, actor, case)
    return result


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
    """End the suspension this objection caused, unless another open objection holds it; a
    lifted dataset's files are placed again as its class says. Returns the id of a dataset
    whose suspension was lifted."""
    dataset = session.get(Dataset, case.dataset_id) if case.dataset_id else None
    if dataset is None:
        return None
    other = session.scalar(
        select(Case.id)
        .where(
            Case.kind == RIGHTS_OBJECTION.kind,
            Case.dataset_id == dataset.id,
            Case.closed_at.is_(None),
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


def _prepare_withdrawal(
    rt: Runtime, actor: Actor, objection_id: str, form: RightsDecisionInput
) -> tuple[str | None, str]:
    """Check everything without changing anything (the reclassification runs on its own):
    the dataset's name if the decision withdraws it, and the objection's reference."""
    with rt.session() as session:
        case = load_for_step(rt, session, actor, objection_id, RIGHTS_OBJECTION.kind, "decide")
        dataset = session.get(Dataset, case.dataset_id) if case.dataset_id else None
        open_by_law = False
        if form.decision == "withdraw":
            if dataset is None:
                raise ValidationError("该权益异议没有对应的数据集", {"decision": ["无法撤回"]})
            open_by_law = dataset.openness != CLOSED and _open_by_law(session, dataset, form.reply)
        c.check(rt, actor, case, "decide", decision=form.decision, open_by_law=open_by_law)
        return (dataset.name if dataset else None), case.reference


def decide_rights_objection(
    rt: Runtime, actor: Actor, objection_id: str, form: RightsDecisionInput
) -> dict[str, Any]:
    """The department withdraws the data, restores it, or restores it after processing."""
    name, reference = _prepare_withdrawal(rt, actor, objection_id, form)
    if form.decision == "withdraw" and name is not None:
        _withdraw(rt, actor, name=name, reference=reference, basis=form.reply)
    cal = calendar_for(rt)
    with public_root.tracking(rt) as files, rt.session() as session:
        case = load_for_step(rt, session, actor, objection_id, RIGHTS_OBJECTION.kind, "decide")
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


def _withdraw(rt: Runtime, actor: Actor, *, name: str, reference: str, basis: str) -> None:
    """Reclassify the dataset 不予开放 under rule 3 with the decision as its written basis; the
    override it records keeps later harvests from opening it again."""
    on_behalf = Actor(
        name=f"{actor.name}（权益异议 {reference}）",
        user_id=actor.user_id,
        roles=frozenset({"operator"}),
        organization_id=actor.organization_id,
    )
    curation.reclassify(
        rt,
        name=name,
        openness=CLOSED,
        rule=PRIVACY_RULE,
        basis=basis,
        reason=f"权益异议 {reference} 决定撤回：{basis}"[:2000],
        actor=on_behalf,
    )
