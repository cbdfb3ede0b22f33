"""Periodic reviews of the entries outside the open scope (定期评估审查, 岳阳 第二十八条第一款:
对开放范围外的政务数据进行定期评估审查。因情况发生变化可以开放的，应当及时纳入开放范围).

Every ``review_cycle_months`` each public entry classed 有条件开放 or 不予开放 gets a review task
for its department (``open_due_reviews``, run daily by ``kaifang services sweep``), due in
``days_review`` working days and seen by the bureau like every case. The department concludes it
— keep the class with its reasons, open it, or make a closed entry conditional — with a public
reply. A conclusion that changes the class is carried out through the operators'
reclassification (``curation.reclassify``), on the review's behalf, so the search index, the
static tree, the activity stream and later harvests all follow it.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from datasets.accounts.permissions import Actor
from datasets.errors import ValidationError
from datasets.intake.public_root import Tracker, tracking
from datasets.models import Case, Dataset
from datasets.notify.notices import case_link, notify_bureau, notify_department
from datasets.openness import curation
from datasets.openness.rules import CLOSED, CONDITIONAL, OPENNESS_TITLES, UNCONDITIONAL
from datasets.runtime import Runtime
from datasets.workdays import calendar_for, shanghai_date
from datasets.workflows import cases as c
from datasets.workflows.grants import add_months
from datasets.workflows.inputs.opening import REVIEW_CONCLUSIONS, ReviewInput
from datasets.workflows.machine import DEPARTMENT, REVIEW, SYSTEM
from datasets.workflows.public_cases import full_dict, load_for_step, view_case

OUTSIDE_OPEN_SCOPE = (CONDITIONAL, CLOSED)
# conclusion → the class it gives (None: the class is kept)
TARGETS = {"keep": None, "open": UNCONDITIONAL, "conditional": CONDITIONAL}


def _last_reviews(session: Session) -> tuple[dict[str, date], set[str]]:
    """The day each dataset's last review was completed, and the datasets with one open."""
    closed = session.execute(
        select(Case.dataset_id, func.max(Case.closed_at))
        .where(Case.kind == REVIEW.kind, Case.closed_at.is_not(None))
        .group_by(Case.dataset_id)
    ).all()
    still_open = session.scalars(
        select(Case.dataset_id).where(Case.kind == REVIEW.kind, Case.closed_at.is_(None))
    )
    done = {str(ds): shanghai_date(at) for ds, at in closed if ds and at}
    return done, {str(ds) for ds in still_open if ds}


def open_due_reviews(rt: Runtime, *, today: date | None = None) -> dict[str, int]:
    """Open a review for every public entry outside the open scope whose last review (or, never
    reviewed, its entry into the catalog) is ``review_cycle_months`` or more ago and that has
    none open; tell its department and the bureau. Safe to run again: an entry has at most one
    open review. Returns ``{"opened": new reviews, "open": all reviews open now}``."""
    today = today or shanghai_date(c.now_utc())
    cutoff = add_months(today, -rt.settings.review_cycle_months)
    opened = 0
    with rt.session() as session:
        done, still_open = _last_reviews(session)
        candidates = session.scalars(
            select(Dataset)
            .where(Dataset.state == "active", Dataset.openness.in_(OUTSIDE_OPEN_SCOPE))
            .order_by(Dataset.name)
        ).all()
        for dataset in candidates:
            since = done.get(dataset.id) or shanghai_date(dataset.created_at)
            if dataset.id in still_open or since > cutoff:
                continue
            _open_review(rt, session, dataset, since=since, reviewed=dataset.id in done)
            opened += 1
        return {"opened": opened, "open": len(still_open) + opened}


def _open_review(
    rt: Runtime, session: Session, dataset: Dataset, *, since: date, reviewed: bool
) -> Case:
    review = c.open_case(
        rt,
        session,
        machine=REVIEW,
        actor=SYSTEM,
        status="open",
        organization_id=dataset.organization_id,
        handler=DEPARTMENT,
        dataset_id=dataset.id,
        body={
            "openness": dataset.openness,
            "rule": dataset.exclusion_rule,
            "cycle_months": rt.settings.review_cycle_months,
            "since": str(since),
            "reviewed_before": reviewed,
        },
    )
    title = OPENNESS_TITLES.get(dataset.openness, dataset.openness)
    notice: dict[str, Any] = {
        "subject": f"须开展定期评估审查 {review.reference}：{dataset.title}",
        "body": (
            f"该数据集目前为“{title}”，自 {since} 起已满 {rt.settings.review_cycle_months} "
            f"个月未经评估审查。请于 {review.due_on} 前作出审查结论：维持（说明理由）、"
            "纳入无条件开放或调整为有条件开放。"
        ),
        "link": case_link(review),
        "case": review,
    }
    notify_department(session, dataset.organization_id, **notice)
    notify_bureau(session, **notice)
    return review


def get_review(
    rt: Runtime, actor: Actor, review_id: str, *, code: str | None = None
) -> dict[str, Any]:
    """Reviews are opened by the portal and have no code: their participants (the department,
    the bureau, the operators) see them; the public sees the conclusion on /transparency."""
    return view_case(rt, actor, review_id, REVIEW.kind, code=code)


def _check_target(dataset: Dataset | None, target: str) -> Dataset:
    """The dataset a conclusion reclassifies to ``target``: still public, of another class."""
    if dataset is None or dataset.state != "active":
        raise ValidationError(
            "该数据集已不在公开目录中，只能维持", {"conclusion": ["只能选择 keep（维持）"]}
        )
    if dataset.openness == target:
        label = OPENNESS_TITLES.get(target, target)
        raise ValidationError(
            f"该数据集已是“{label}”，请选择维持或其他结论", {"conclusion": ["与现有类型相同"]}
        )
    return dataset


def _reclassify(
    rt: Runtime, session: Session, files: Tracker, case: Case, actor: Actor, form: ReviewInput
) -> None:
    """Carry out a conclusion that changes the class, on the review's behalf, in its
    transaction: the review is never completed without its reclassification, nor the reverse."""
    target = TARGETS[form.conclusion]
    if target is None:
        return
    dataset = _check_target(
        session.get(Dataset, case.dataset_id) if case.dataset_id else None, target
    )
    on_behalf = Actor(
        name=f"{actor.name}（定期评估审查 {case.reference}）",
        user_id=actor.user_id,
        roles=frozenset({"operator"}),
        organization_id=actor.organization_id,
    )
    reason = f"定期评估审查 {case.reference}：{REVIEW_CONCLUSIONS[form.conclusion]}。{form.reply}"
    declaration: dict[str, str | None] = {"declared": target}
    curation.reclassify_stored(
        rt, session, files, dataset, declaration, reason[:2000], actor=on_behalf
    )


def complete_review(rt: Runtime, actor: Actor, review_id: str, form: ReviewInput) -> dict[str, Any]:
    """The department concludes the review with a public reply; a change of class is
    recorded as a reclassification on the review's behalf, in the same transaction; the
    bureau is told."""
    with tracking(rt) as files, rt.session() as session:
        case = load_for_step(rt, session, actor, review_id, REVIEW.kind, "complete")
        _reclassify(rt, session, files, case, actor, form)
        dataset = session.get(Dataset, case.dataset_id) if case.dataset_id else None
        result = {"openness": dataset.openness if dataset else None}
        case.body = {**case.body, "result": result}
        c.record_decision(calendar_for(rt), case, outcome=form.conclusion, reply=form.reply)
        c.transit(
            session,
            case,
            actor,
            "complete",
            "completed",
            conclusion=form.conclusion,
            note=form.reply,
        )
        notify_bureau(
            session,
            subject=f"定期评估审查 {case.reference} 已完成：{REVIEW_CONCLUSIONS[form.conclusion]}",
            body=form.reply,
            link=case_link(case),
            case=case,
        )
        return full_dict(rt, session, actor, case)
