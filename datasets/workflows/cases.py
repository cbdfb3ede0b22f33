"""What every process shares: reference numbers, the deadline clock, transitions with their
audit rows, who may see and act on a case, and the case as a dict."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from datasets.accounts import permissions as may
from datasets.accounts.permissions import Actor
from datasets.errors import LoginRequired, NotAuthorized, NotFound
from datasets.models import AuditEntry, Case, Dataset, Organization, ReferenceCounter, User
from datasets.runtime import Runtime
from datasets.workdays import WorkCalendar, calendar_for, shanghai_date
from datasets.workflows.fields import MAX_TEXT, Problems, problem, text_field  # noqa: F401
from datasets.workflows.machine import DEPARTMENT, MACHINES, Context, Machine
from datasets.workflows.statemachine import acts_as, forbidden


def find_dataset(
    session: Session, ref: Any, problems: Problems, *, field: str = "dataset"
) -> Dataset | None:
    """A public (active) dataset by name or id; a problem on ``field`` otherwise."""
    if not isinstance(ref, str) or not ref.strip():
        problem(problems, field, "请填写数据集名称或 id")
        return None
    dataset = session.scalar(
        select(Dataset).where(or_(Dataset.name == ref.strip(), Dataset.id == ref.strip()))
    )
    if dataset is None or dataset.state != "active":
        problem(problems, field, f"数据集 {ref.strip()[:100]} 不存在")
        return None
    return dataset


def now_utc() -> datetime:
    return datetime.now(UTC)


def next_reference(session: Session, prefix: str, day: date) -> str:
    """The next reference number of a kind on a day, e.g. ``SQ-20261122-0007``.

    The counter row is bumped with one UPDATE, which takes the row lock at once, so concurrent
    submitters (PostgreSQL) queue on it for the rest of their short transaction and never share
    a number; the first number of a day inserts the row, and a racing insert retries."""
    key = f"{prefix}-{day:%Y%m%d}"
    for _ in range(5):
        bumped = session.execute(
            update(ReferenceCounter)
            .where(ReferenceCounter.prefix == key)
            .values(last=ReferenceCounter.last + 1)
            .returning(ReferenceCounter.last)
        ).scalar()
        if bumped is not None:
            return f"{key}-{bumped:04d}"
        try:
            with session.begin_nested():
                session.add(ReferenceCounter(prefix=key, last=1))
            return f"{key}-0001"
        except IntegrityError:
            continue
    raise RuntimeError(f"could not allocate a reference number for {key}")


def audit_row(
    session: Session,
    actor: Actor | str,
    action: str,
    object_type: str,
    object_id: str,
    detail: dict[str, Any],
) -> None:
    """One row of the audit log, by a signed-in actor or a named one ("system")."""
    session.add(
        AuditEntry(
            actor=actor if isinstance(actor, str) else actor.name,
            action=action,
            object_type=object_type,
            object_id=object_id,
            detail=detail,
        )
    )


def audit(session: Session, actor: Actor | str, action: str, case: Case, **detail: Any) -> None:
    audit_row(
        session,
        actor,
        action,
        "case",
        case.id,
        {"kind": case.kind, "reference": case.reference, **detail},
    )


def open_case(
    rt: Runtime,
    session: Session,
    *,
    machine: Machine,
    actor: Actor | str,
    status: str,
    organization_id: str | None,
    handler: str = DEPARTMENT,
    dataset_id: str | None = None,
    requester_id: str | None = None,
    requester_key: str | None = None,
    contact: dict[str, Any] | None = None,
    parent_id: str | None = None,
    body: dict[str, Any] | None = None,
    at: datetime | None = None,
    days: int | None = None,
) -> Case:
    """A new case, received now (on the next working day if today is not one), due when the
    deadline its machine's first transition starts ends (``days``: other working days);
    writes the first audit row."""
    cal = calendar_for(rt)
    at = at or now_utc()
    received = cal.received_on(at)
    if days is None:
        days = machine.days(machine.initial.name, rt.settings)
    due = cal.add(received.on, days)
    case = Case(
        reference=next_reference(session, machine.prefix, shanghai_date(at)),
        kind=machine.kind,
        status=status,
        organization_id=organization_id,
        handler=handler,
        dataset_id=dataset_id,
        requester_id=requester_id,
        requester_key=requester_key,
        contact=contact or {},
        parent_id=parent_id,
        body=body or {},
        received_at=at,
        received_on=received.on,
        due_on=due.on,
        due_provisional=received.provisional or due.provisional,
    )
    session.add(case)
    session.flush()
    audit(
        session,
        actor,
        f"{machine.kind}.{machine.initial.name}",
        case,
        to=status,
        received_on=str(case.received_on),
        due_on=str(case.due_on),
    )
    return case


def load_case(session: Session, case_id: str, kind: str, *, lock: bool = False) -> Case:
    """A case by id or reference number; ``lock`` takes a row lock (SELECT … FOR UPDATE) so
    concurrent deciders queue and the second one sees the first one's decision."""
    query = select(Case).where(
        (Case.id == case_id) | (Case.reference == case_id), Case.kind == kind
    )
    if lock:
        query = query.with_for_update()
    case = session.scalar(query)
    if case is None:
        raise NotFound(f"未找到{MACHINES[kind].label} {case_id}")
    return case


def transit(
    session: Session,
    case: Case,
    actor: Actor | str,
    name: str,
    target: str,
    **detail: Any,
) -> None:
    """Move ``case`` along transition ``name`` to ``target`` (Conflict if the machine does not
    allow it from the current state) and write the audit row."""
    machine = MACHINES[case.kind]
    machine.check(name, case.status, target)
    source = case.status
    case.status = target
    # a final state closes the case; a ruling can reopen a refused application
    case.closed_at = now_utc() if target in machine.final else None
    audit(session, actor, f"{case.kind}.{name}", case, **{"from": source, "to": target}, **detail)


def record_decision(
    cal: WorkCalendar, case: Case, *, outcome: str, reply: str, rule_code: str | None = None
) -> None:
    """Outcome, public reply and date (Shanghai, never before 受理), and whether it was on time."""
    at = now_utc()
    case.outcome = outcome
    case.reply = reply
    case.rule_code = rule_code
    case.decided_at = at
    case.decided_on = max(shanghai_date(at), case.received_on)
    case.decided_on_time = case.due_on is None or case.decided_on <= case.due_on


def pause_clock(cal: WorkCalendar, case: Case) -> None:
    """Stop the deadline clock (补正): keep the working days left."""
    today = shanghai_date(now_utc())
    left = cal.between(today, case.due_on) if case.due_on else 0
    case.paused_remaining = max(left, 1)
    case.due_on = None


def resume_clock(cal: WorkCalendar, case: Case) -> None:
    """Restart the clock from the day the missing items arrive, with the days that were left."""
    received = cal.received_on(now_utc())
    due = cal.add(received.on, case.paused_remaining or 0)
    case.due_on = due.on
    case.due_provisional = received.provisional or due.provisional
    case.paused_remaining = None


def start_deadline(rt: Runtime, case: Case, name: str, *, start: date | None = None) -> None:
    """Set ``case``'s deadline to the one transition ``name`` of its machine starts, counted
    from ``start`` (by default the working day now counts as)."""
    cal = calendar_for(rt)
    start = start or cal.received_on(now_utc()).on
    due = MACHINES[case.kind].deadline(name, rt.settings, cal, start)
    case.due_on = due.on
    case.due_provisional = due.provisional


# -- who may see and act ---------------------------------------------------------------------


def require_signed_in(actor: Actor) -> None:
    if actor.is_anonymous:
        raise LoginRequired("请先登录")


def is_handler(actor: Actor, case: Case) -> bool:
    """A reviewer of the case's department, or a bureau officer for the bureau's cases."""
    return may.can_handle_case(actor, organization_id=case.organization_id, handler=case.handler)


def can_view(actor: Actor, case: Case) -> bool:
    """Whether ``actor`` is a participant of the case (``permissions.can_view_case``). Anyone
    else reaches a public-service case only with its access code (``case_access``)."""
    return may.can_view_case(
        actor,
        requester_id=case.requester_id,
        organization_id=case.organization_id,
        handler=case.handler,
    )


def context(rt: Runtime, actor: Actor, case: Case, **facts: Any) -> Context:
    """What the guards of ``case``'s machine look at, now (``facts``: what its process looked
    up, e.g. an objection already filed)."""
    return Context(
        actor=actor,
        status=case.status,
        requester_id=case.requester_id,
        organization_id=case.organization_id,
        record=case,
        now=now_utc(),
        calendar=calendar_for(rt),
        settings=rt.settings,
        facts=facts,
    )


def check(
    rt: Runtime, actor: Actor, case: Case, name: str, target: str | None = None, **facts: Any
) -> Context:
    """Refuse unless ``actor`` may take ``name`` on ``case`` now: NotFound for one who may not
    see the case, then what ``Machine.check`` refuses. Returns the context it checked."""
    require_signed_in(actor)
    if not can_view(actor, case):
        raise NotFound(f"未找到{MACHINES[case.kind].label} {case.reference}")
    ctx = context(rt, actor, case, **facts)
    MACHINES[case.kind].check(name, ctx, target)
    return ctx


def require(actor: Actor, case: Case, who: str) -> None:
    """Raise unless ``actor`` is the party ``who`` of ``case`` (NotFound for one who may not
    see it). Prefer :func:`check`, which asks the machine's table."""
    require_signed_in(actor)
    if acts_as(actor, who, requester_id=case.requester_id, organization_id=case.organization_id):
        return
    if not can_view(actor, case):
        raise NotFound(f"未找到{MACHINES[case.kind].label} {case.reference}")
    raise NotAuthorized(forbidden((who,)))


def viewable(session: Session, actor: Actor, case_id: str, kind: str) -> Case:
    require_signed_in(actor)
    case = load_case(session, case_id, kind)
    if not can_view(actor, case):
        raise NotFound(f"未找到{MACHINES[kind].label} {case_id}")
    return case


def awaits_handler(case: Case) -> bool:
    """Whether the case waits for its handler (the department, or the bureau for its own
    cases) rather than for the requester: only then does its deadline run against anyone. An
    application awaiting 补正 or the applicant's signature is not the department's delay."""
    machine = MACHINES[case.kind]
    return any(case.status in t.sources and case.handler in t.who for t in machine.transitions)


def is_overdue(case: Case, today: date) -> bool:
    return awaits_handler(case) and case.due_on is not None and case.due_on < today


OTHER_ACTIONS = {"overdue": "逾期提醒", "objection": "提出复核申请"}  # not transitions
OTHER_ACTIONS["deadline_recomputed"] = "节假日安排更新，重新计算期限"  # workflows.recompute


# -- as dicts ----------------------------------------------------------------------------------


def history(session: Session, case: Case, *, public: bool = False) -> list[dict[str, Any]]:
    """The case's transitions, oldest first. The public view leaves out who acted."""
    rows = session.scalars(
        select(AuditEntry)
        .where(AuditEntry.object_type == "case", AuditEntry.object_id == case.id)
        .order_by(AuditEntry.id)
    )
    machine = MACHINES[case.kind]
    out = []
    for row in rows:
        name = row.action.split(".", 1)[-1]
        try:
            label = machine.transition(name).label
        except KeyError:
            label = OTHER_ACTIONS.get(name, name)
        item = {
            "at": row.at.isoformat(),
            "date": str(shanghai_date(row.at)),
            "action": name,
            "label": label,
            "to": row.detail.get("to"),
            "note": row.detail.get("note", ""),
        }
        if not public:
            item["actor"] = row.actor
        out.append(item)
    return out


def _summary(session: Session, case: Case, *, today: date | None = None) -> dict[str, Any]:
    """The part of a case every view starts with: reference, subject, dates, status and the
    reply as written. Not for the public: what anyone may see of a case is its record on the
    transparency log (``transparency.public_case``, reply through ``redaction.public_reply``)."""
    machine = MACHINES[case.kind]
    today = today or shanghai_date(now_utc())
    dataset = session.get(Dataset, case.dataset_id) if case.dataset_id else None
    org = session.get(Organization, case.organization_id) if case.organization_id else None
    return {
        "id": case.id,
        "reference": case.reference,
        "kind": case.kind,
        "kind_label": machine.label,
        "status": case.status,
        "status_label": machine.states.get(case.status, case.status),
        "closed": case.status in machine.final,
        "handler": case.handler,
        "department": {"name": org.name, "title": org.title} if org else None,
        "dataset": {"id": dataset.id, "name": dataset.name, "title": dataset.title}
        if dataset
        else None,
        "received_on": str(case.received_on),
        "due_on": str(case.due_on) if case.due_on else None,
        "due_provisional": case.due_provisional,
        "clock_paused": case.due_on is None and case.paused_remaining is not None,
        "overdue": is_overdue(case, today),
        "outcome": case.outcome,
        "reply": case.reply,
        "rule_code": case.rule_code,
        "decided_on": str(case.decided_on) if case.decided_on else None,
        "decided_on_time": case.decided_on_time,
    }


def case_dict(session: Session, case: Case, *, today: date | None = None) -> dict[str, Any]:
    """Everything of a case, for its participants and the holder of its access code: the
    summary plus the requester, the contact details, what was asked and who acted."""
    requester = session.get(User, case.requester_id) if case.requester_id else None
    return {
        **_summary(session, case, today=today),
        "requester": (requester.company_name or requester.display_name or requester.name)
        if requester
        else (case.contact or {}).get("name"),
        "contact": case.contact or {},
        "received_at": case.received_at.isoformat(),
        "body": dict(case.body or {}),
        "parent_id": case.parent_id,
        "history": history(session, case),
    }
