"""What the public submissions (requests to open data, error reports, rights-holder objections,
suggestions) and the opening assessments share: the requester key, the view of a case, the
receipt with its access code, and loading a case for its handler.

A case is seen only by its participants and by whoever holds its access code (``case_access``);
the public sees its record on the transparency log.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from datasets.accounts.permissions import Actor
from datasets.errors import NotFound, raise_problems
from datasets.models import Case, Dataset
from datasets.openness.rules import OPENNESS_TITLES, RULES_BY_CODE
from datasets.runtime import Runtime
from datasets.workflows import appeals
from datasets.workflows import case_access as ca
from datasets.workflows import cases as c
from datasets.workflows.inputs.contact import Contact
from datasets.workflows.inputs.lookup import DatasetRef
from datasets.workflows.inputs.opening import CATEGORIES, CONCLUSIONS, REVIEW_CONCLUSIONS
from datasets.workflows.machine import ASSESSMENT, MACHINES, OPENING_REQUEST, REVIEW, Machine
from datasets.workflows.requesters import Requester, contact_key


def requester_key(rt: Runtime, actor: Actor, contact: Contact) -> str | None:
    """The account's id when signed in, else the keyed hash of the contact details (an
    unverified requester; see ``requesters.identify``)."""
    return actor.user_id if not actor.is_anonymous else contact_key(rt, contact)


def open_public_case(
    rt: Runtime,
    session: Session,
    actor: Actor,
    machine: Machine,
    *,
    contact: Contact,
    organization_id: str | None,
    dataset: Dataset | None,
    body: dict[str, Any],
    requester: Requester | None = None,
    status: str | None = None,
    days: int | None = None,
) -> Case:
    """A case anyone may open: its requester is the signed-in caller or whoever holds the contact
    details (``requester``: who they proved to be), and it starts in the state the machine's
    opening transition reaches (``status``: another of its targets, due in ``days``)."""
    case = c.open_case(
        rt,
        session,
        machine=machine,
        actor=actor,
        status=status or machine.initial.targets[0],
        organization_id=organization_id,
        dataset_id=dataset.id if dataset else None,
        requester_id=actor.user_id,
        requester_key=requester.key if requester else requester_key(rt, actor, contact),
        contact=contact.as_dict(),
        body=body,
        days=days,
    )
    case.requester_verified = requester.verified if requester else None
    return case


def load_dataset(session: Session, ref: DatasetRef) -> Dataset:
    """The dataset a parsed request names, loaded again in this transaction (still public)."""
    problems: c.Problems = {}
    found = c.find_dataset(session, ref.id, problems)
    if found is None:  # withdrawn since the request was parsed
        raise_problems(problems)
    assert found is not None
    return found


# -- the view of a case ---------------------------------------------------------------------------


def _kind_fields(case: Case) -> dict[str, Any]:
    """The fields of a case's body each kind shows at the top level: what was asked about and
    the department's answer."""
    body = case.body or {}
    answer = body.get("answer") or {}
    if case.kind == OPENING_REQUEST.kind:
        return {
            "title": body.get("title"),
            "category": case.outcome,
            "category_label": CATEGORIES.get(case.outcome or ""),
            **answer,
        }
    if case.kind == ASSESSMENT.kind:
        return {
            "requesters": body.get("requesters"),
            "conclusion": case.outcome,
            "conclusion_label": CONCLUSIONS.get(case.outcome or ""),
        }
    if case.kind == REVIEW.kind:
        return {
            "openness": body.get("openness"),
            "openness_label": OPENNESS_TITLES.get(body.get("openness") or ""),
            "conclusion": case.outcome,
            "conclusion_label": REVIEW_CONCLUSIONS.get(case.outcome or ""),
            "result_openness_label": OPENNESS_TITLES.get(
                (body.get("result") or {}).get("openness") or ""
            ),
        }
    return {**answer}


def _rule(rt: Runtime, case: Case) -> dict[str, Any] | None:
    rule = RULES_BY_CODE.get(case.rule_code or "")
    if rule is None:
        return None
    article = rt.settings.legal.article(rule.code)
    return {"code": rule.code, "number": rule.number, "title": rule.title, "article": article}


def steps(rt: Runtime, actor: Actor, case: Case, **facts: Any) -> list[dict[str, str]]:
    """The steps ``actor`` may take on ``case`` now, as its machine allows them (the case's page
    shows exactly these forms): URL step, transition and label (``facts``: what the guards
    look up, e.g. an objection filed, and whether the caller holds the case's code)."""
    allowed = MACHINES[case.kind].allowed(c.context(rt, actor, case, **facts))
    return [{"step": t.step, "name": t.name, "label": t.label} for t in allowed if t.step]


def full_dict(
    rt: Runtime, session: Session, actor: Actor, case: Case, *, access: str = ca.PARTICIPANT
) -> dict[str, Any]:
    """A case as its requester and its handlers see it: everything, with the contact details,
    how the caller came to see it (``access``: participant or code) and the steps the caller may
    take on it now (``steps``; ``can_act``: whether there is one). Only participants and holders
    of the case's code ever get it (``admit``); what the public sees of a case is its record on
    the transparency log."""
    out = c.case_dict(session, case)
    out.update(_kind_fields(case))
    out["rule"] = _rule(rt, case)
    out["requester_verified"] = case.requester_verified  # how the contact was proved
    out["access"] = access
    if case.kind == OPENING_REQUEST.kind:
        # the requester may object to the answer, holding only the code; a code opens no
        # other step
        out["objections"] = appeals.objection_summaries(session, case.id)
        out["objection_deadline"] = (case.body or {}).get("objection_deadline")
        facts = {
            "objection": appeals.answered_objection(session, case),
            "code_holder": access == ca.CODE,
        }
        out["steps"] = steps(rt, actor, case, **facts)
    else:
        out["steps"] = steps(rt, actor, case) if access == ca.PARTICIPANT else []
    out["can_act"] = bool(out["steps"])
    return out


def receipt(rt: Runtime, session: Session, actor: Actor, case: Case) -> dict[str, Any]:
    """The answer to a submission: the case with its new access code (``access_code``), which
    is given this once and kept only as a hash."""
    code = ca.issue_code(case)
    access = ca.PARTICIPANT if c.can_view(actor, case) else ca.CODE
    return {**full_dict(rt, session, actor, case, access=access), "access_code": code}


def view_case(
    rt: Runtime, actor: Actor, case_id: str, kind: str, *, code: str | None = None
) -> dict[str, Any]:
    """A case by id or reference number, for a participant or the holder of its ``code``;
    NotFound for everyone else, the same whether the case exists or not."""
    with rt.reader() as session:
        case, access = ca.admit(session, actor, case_id, kind, code)
        return full_dict(rt, session, actor, case, access=access)


def load_for_step(
    rt: Runtime,
    session: Session,
    actor: Actor,
    case_id: str,
    kind: str,
    name: str,
    *,
    lock: bool = True,
) -> Case:
    """The case, locked, if ``actor`` may take transition ``name`` on it now, as its machine
    says: 401 anonymous, 404 for one who may not see it (the answer an unknown case gets, so
    that no step tells whether a case exists), 403 for the wrong party, 409 for its state."""
    c.require_signed_in(actor)
    try:
        case = c.load_case(session, case_id, kind, lock=lock)
        c.check(rt, actor, case, name)
    except NotFound:
        raise ca.hidden(kind) from None
    return case


def admit_step(rt: Runtime, actor: Actor, case_id: str, kind: str, name: str) -> None:
    """The checks of ``load_for_step``, for a caller that reads the request body only once the
    step is known to be allowed (so that 401/403/404/409 come before 400)."""
    with rt.reader() as session:
        load_for_step(rt, session, actor, case_id, kind, name, lock=False)
