"""Transparency and accountability (SPEC §8): the public log of decisions and replies, statistics
per department, the 开放清单 as CSV and the audit-log export for the bureau.

What is public here is what the departments and the bureau decided and wrote, with its dates —
never who asked or what they wrote: no requester names, contacts or company names, and none of
the requesters' free text (purpose, claims, reasons), which may hold personal data. Replies are
the departments' own words, but they may quote the requester, so they are shown with the
requester's known identifiers and anything shaped like a phone number, ID number, bank card or
e-mail address blanked out (``redaction.public_reply``, the one blanking every public view uses).
"""

from __future__ import annotations

import csv
import io
import json
from collections import defaultdict
from collections.abc import Iterable, Iterator
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from datasets.accounts.permissions import Actor
from datasets.catalog.quality import MACHINE_READABLE
from datasets.errors import LoginRequired, NotAuthorized, ValidationError
from datasets.models import AuditEntry, Case, Dataset, Organization, Resource
from datasets.openness import rules as op
from datasets.runtime import Runtime
from datasets.workdays import SHANGHAI, shanghai_date
from datasets.workflows import cases as c
from datasets.workflows.feedback import RIGHTS_DECISIONS
from datasets.workflows.machine import MACHINES
from datasets.workflows.opening import CATEGORIES, CONCLUSIONS
from datasets.workflows.redaction import public_reply

DATASET_PATH = "/dataset/{name}"
MAX_PAGE = 100
MAX_AUDIT_PAGE = 500
UTF8_BOM = "\ufeff"

# short public labels of outcomes (decisions and reply categories); the processes' own labels
# (requests.CATEGORIES, feedback.RIGHTS_DECISIONS …) take precedence, and anything else falls
# back to the state labels of the case's machine
OUTCOME_LABELS = {
    "approved": "同意",
    "partial": "部分同意",
    "refused": "不予同意",
    "upheld": "维持原决定",
    "overturned": "撤销原决定",
    "corrected": "已更正",
    "not_corrected": "经核实未作更正",
    "answered": "已答复",
    **{f"opening_request:{k}": v for k, v in CATEGORIES.items()},
    **{f"assessment:{k}": v for k, v in CONCLUSIONS.items()},
    **{f"rights_objection:{k}": v for k, v in RIGHTS_DECISIONS.items()},
}
UNMET_CONDITION_TITLE = "未满足已公布的开放条件"
# department-handled requests other than applications, counted together in the statistics
REQUEST_KINDS = ("opening_request", "error_report", "rights_objection", "suggestion")


# -- helpers -----------------------------------------------------------------------------------


def _page_args(page: Any, per_page: Any, largest: int) -> tuple[int, int]:
    try:
        page, per_page = int(page), int(per_page)
    except (TypeError, ValueError):
        raise ValidationError("page 和 per_page 须为正整数") from None
    if page < 1 or not 1 <= per_page <= largest:
        raise ValidationError(f"page 须为正整数，per_page 须为 1–{largest}")
    return page, per_page


def _pages(total: int, per_page: int) -> int:
    return max(1, -(-total // per_page))


def csv_cell(value: Any) -> str:
    """A value as a CSV cell a spreadsheet will not run as a formula (CSV injection)."""
    text = "" if value is None else str(value)
    if text[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + text
    return text


def csv_lines(header: list[str], rows: Iterable[list[Any]]) -> Iterator[bytes]:
    """UTF-8 CSV with a byte-order mark (so Excel reads it as UTF-8), one row at a time."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    buffer.write(UTF8_BOM)
    writer.writerow([csv_cell(v) for v in header])
    yield buffer.getvalue().encode("utf-8")
    for row in rows:
        buffer.seek(0)
        buffer.truncate()
        writer.writerow([csv_cell(v) for v in row])
        yield buffer.getvalue().encode("utf-8")


def outcome_label(case: Case) -> str:
    machine = MACHINES[case.kind]
    if case.kind == "application" and case.status == "ruling":
        return "原决定已被复核撤销，待部门提供"
    if case.outcome:
        label = (
            OUTCOME_LABELS.get(f"{case.kind}:{case.outcome}")
            or OUTCOME_LABELS.get(case.outcome)
            or machine.states.get(case.outcome, case.outcome)
        )
        open_by = promised_date(case)
        if case.outcome == "will_open" and open_by:
            label = f"计划于 {open_by} 前开放"
        return label
    return machine.states.get(case.status, case.status)


def promised_date(case: Case) -> str | None:
    """The date by which a department promised to open the data (an opening request answered
    "will open"): kept in the answer (``body["answer"]["open_by"]``)."""
    body = case.body or {}
    answer = body.get("answer") if isinstance(body.get("answer"), dict) else {}
    found = answer.get("open_by") or body.get("open_by")
    return str(found) if found else None


def rule_title(code: str | None) -> str | None:
    if not code:
        return None
    if code == "unmet-condition":
        return UNMET_CONDITION_TITLE
    rule = op.RULES_BY_CODE.get(code)
    return f"第（{rule.number}）项：{rule.title}" if rule else code


# -- the public log of decisions and replies ---------------------------------------------------


def public_case(session: Session, case: Case, org: Organization | None, ds: Dataset | None) -> dict:
    """The public record of a decided or closed case: what was decided, by whom, when."""
    machine = MACHINES[case.kind]
    body = case.body or {}
    out = {
        "reference": case.reference,
        "kind": case.kind,
        "kind_label": machine.label,
        "department": {"name": org.name, "title": org.title} if org else None,
        "handler": "bureau" if case.handler == "bureau" else "department",
        "dataset": {"name": ds.name, "title": ds.title}
        if ds is not None and ds.state == "active"
        else None,
        "received_on": str(case.received_on),
        "due_on": str(case.due_on) if case.due_on else None,
        "decided_on": str(case.decided_on) if case.decided_on else None,
        "closed_on": str(shanghai_date(case.closed_at)) if case.closed_at else None,
        "on_time": case.decided_on_time,
        "status": case.status,
        "status_label": machine.states.get(case.status, case.status),
        "outcome": case.outcome,
        "outcome_label": outcome_label(case),
        "rule_code": case.rule_code,
        "rule_title": rule_title(case.rule_code),
        "reply": public_reply(session, case),
        "open_by": promised_date(case) if case.outcome == "will_open" else None,
        "related_reference": body.get("application_reference"),
    }
    return out


def _decision_filters(session: Session, kind: str | None, department: str | None) -> list[Any]:
    where: list[Any] = [or_(Case.decided_at.is_not(None), Case.closed_at.is_not(None))]
    if kind:
        if kind not in MACHINES:
            raise ValidationError(
                f"未知的事项类型 {kind}", {"kind": ["可选：" + "、".join(MACHINES)]}
            )
        where.append(Case.kind == kind)
    if department:
        org_id = session.scalar(select(Organization.id).where(Organization.name == department))
        if org_id is None:
            raise ValidationError(f"没有名为 {department} 的部门", {"department": ["未知的部门"]})
        where.append(Case.organization_id == org_id)
    return where


def decisions(
    rt: Runtime,
    *,
    kind: str | None = None,
    department: str | None = None,
    page: Any = 1,
    per_page: Any = 20,
) -> dict[str, Any]:
    """Decided and closed cases of every kind, newest decision first (public, no sign-in)."""
    page, per_page = _page_args(page, per_page, MAX_PAGE)
    with rt.reader() as session:
        where = _decision_filters(session, kind or None, department or None)
        total = session.scalar(select(func.count(Case.id)).where(*where)) or 0
        when = func.coalesce(Case.decided_at, Case.closed_at)
        rows = session.execute(
            select(Case, Organization, Dataset)
            .outerjoin(Organization, Organization.id == Case.organization_id)
            .outerjoin(Dataset, Dataset.id == Case.dataset_id)
            .where(*where)
            .order_by(when.desc(), Case.reference.desc())
            .offset((page - 1) * per_page)
            .limit(per_page)
        ).all()
        items = [public_case(session, case, org, ds) for case, org, ds in rows]
        return {
            "decisions": items,
            "count": total,
            "page": page,
            "per_page": per_page,
            "pages": _pages(total, per_page),
            "filters": {"kind": kind or None, "department": department or None},
            "kinds": [{"kind": k, "label": m.label} for k, m in MACHINES.items()],
            "departments": _departments(session),
        }


def _departments(session: Session) -> list[dict[str, str]]:
    return [
        {"name": name, "title": title}
        for name, title in session.execute(
            select(Organization.name, Organization.title).order_by(Organization.title)
        )
    ]


# -- statistics per department -----------------------------------------------------------------


def _case_counts() -> dict[str, int]:
    return {"received": 0, "decided": 0, "on_time": 0, "pending": 0, "overdue": 0}


def _department_row(name: str | None, title: str) -> dict[str, Any]:
    return {
        "department": {"name": name, "title": title} if name else None,
        "datasets": {"unconditional": 0, "conditional": 0, "closed": 0, "total": 0},
        "machine_readable": {"open": 0, "datasets": 0, "share": None},
        "records": 0,
        "overdue_updates": 0,
        "applications": _case_counts(),
        "requests": _case_counts(),
        "by_kind": {},
        "objections": {"received": 0, "pending": 0, "upheld": 0, "overturned": 0},
    }


def _share(part: int, whole: int) -> float | None:
    return round(100 * part / whole, 1) if whole else None


def _count_case(row: dict[str, Any], case: Any, today: date) -> None:
    """Add one case to a department's counts (``case``: a row of the columns selected)."""
    kind = case.kind
    decided = case.decided_at is not None and case.status != "ruling"
    pending = case.closed_at is None and (case.decided_at is None or case.status == "ruling")
    overdue = pending and case.due_on is not None and case.due_on < today
    groups = [row["by_kind"].setdefault(kind, _case_counts())]
    if kind == "application":
        groups.append(row["applications"])
    elif kind in REQUEST_KINDS:
        groups.append(row["requests"])
    for counts in groups:
        counts["received"] += 1
        counts["decided"] += decided
        counts["on_time"] += bool(decided and case.decided_on_time)
        counts["pending"] += pending
        counts["overdue"] += overdue
    if kind == "objection":
        appeals = row["objections"]
        appeals["received"] += 1
        appeals["pending"] += case.closed_at is None
        if case.outcome in ("upheld", "overturned"):
            appeals[case.outcome] += 1


def statistics(rt: Runtime, *, today: date | None = None) -> dict[str, Any]:
    """Per department and in total: active datasets by openness class, machine-readable share,
    records, overdue updates, applications and requests received / decided / decided on time /
    pending / overdue, and the outcomes of objections (复核)."""
    today = today or shanghai_date(c.now_utc())
    with rt.reader() as session:
        rows: dict[str | None, dict[str, Any]] = {
            org_id: _department_row(name, title)
            for org_id, name, title in session.execute(
                select(Organization.id, Organization.name, Organization.title).order_by(
                    Organization.title
                )
            )
        }
        readable: set[str] = {
            dataset_id
            for dataset_id, fmt in session.execute(
                select(Resource.dataset_id, Resource.format)
                .join(Dataset, Dataset.id == Resource.dataset_id)
                .where(Dataset.state == "active", Dataset.openness != op.CLOSED)
            )
            if (fmt or "").strip().lower() in MACHINE_READABLE
        }
        datasets = session.execute(
            select(
                Dataset.id,
                Dataset.organization_id,
                Dataset.openness,
                Dataset.record_count,
                Dataset.quality,
            ).where(Dataset.state == "active")
        )
        for ds_id, org_id, openness, record_count, quality in datasets:
            row = rows.setdefault(org_id, _department_row(None, "其他"))
            if openness not in row["datasets"]:
                continue
            row["datasets"][openness] += 1
            row["datasets"]["total"] += 1
            if openness == op.CLOSED:
                continue
            row["machine_readable"]["open"] += 1
            row["machine_readable"]["datasets"] += ds_id in readable
            row["records"] += record_count or 0
            flags = (quality or {}).get("flags") or []
            row["overdue_updates"] += any(f.get("code") == "overdue" for f in flags)
        cases = session.execute(
            select(
                Case.organization_id,
                Case.kind,
                Case.status,
                Case.outcome,
                Case.decided_at,
                Case.decided_on_time,
                Case.closed_at,
                Case.due_on,
            )
        )
        for case in cases:
            row = rows.setdefault(case.organization_id, _department_row(None, "其他"))
            _count_case(row, case, today)
    departments = [r for r in rows.values() if r["department"] is not None]
    others = [r for r in rows.values() if r["department"] is None]
    total = _department_row(None, "合计")
    for row in [*departments, *others]:
        row["machine_readable"]["share"] = _share(
            row["machine_readable"]["datasets"], row["machine_readable"]["open"]
        )
        _add_into(total, row)
    total["machine_readable"]["share"] = _share(
        total["machine_readable"]["datasets"], total["machine_readable"]["open"]
    )
    return {
        "computed_on": str(today),
        "departments": departments,
        "total": total,
        "kinds": {k: m.label for k, m in MACHINES.items()},
        "machine_readable_formats": sorted(f.upper() for f in MACHINE_READABLE),
    }


def _add_into(total: dict[str, Any], row: dict[str, Any]) -> None:
    for key in ("datasets", "applications", "requests", "objections"):
        for name, value in row[key].items():
            total[key][name] += value
    for name in ("open", "datasets"):
        total["machine_readable"][name] += row["machine_readable"][name]
    total["records"] += row["records"]
    total["overdue_updates"] += row["overdue_updates"]
    for kind, counts in row["by_kind"].items():
        into = total["by_kind"].setdefault(kind, _case_counts())
        for name, value in counts.items():
            into[name] += value


# -- 开放清单 ----------------------------------------------------------------------------------

OPEN_LIST_HEADER = [
    "数据集标识",
    "数据集名称",
    "提供部门",
    "开放属性",
    "开放状态",
    "计划开放日期",
    "更新周期",
    "数据格式",
    "开放条件",
    "访问地址",
]


def _planned(session: Session) -> dict[str, str]:
    """Closed datasets a department promised to open (开放需求 answered "will open" with a
    date): dataset id → the date, from the latest answer about each dataset."""
    latest: dict[str, tuple[datetime, Case]] = {}
    rows = session.scalars(
        select(Case)
        .join(Dataset, Dataset.id == Case.dataset_id)
        .where(
            Case.kind == "opening_request",
            Case.closed_at.is_not(None),
            Dataset.state == "active",
            Dataset.openness == op.CLOSED,
        )
    )
    for case in rows:
        when = case.decided_at or case.closed_at
        if case.dataset_id not in latest or latest[case.dataset_id][0] < when:
            latest[case.dataset_id] = (when, case)
    planned = {}
    for dataset_id, (_, case) in latest.items():
        category = case.outcome or (case.body or {}).get("category")
        if category == "will_open" and (open_by := promised_date(case)):
            planned[dataset_id] = open_by
    return planned


def open_list_rows(rt: Runtime, *, base_url: str) -> list[list[Any]]:
    """The 开放清单: every active open dataset (unconditional, then conditional, by department)
    and every closed one a department has promised to open by a date."""
    base = base_url.rstrip("/")
    with rt.reader() as session:
        formats: dict[str, set[str]] = defaultdict(set)
        for dataset_id, fmt in session.execute(
            select(Resource.dataset_id, Resource.format)
            .join(Dataset, Dataset.id == Resource.dataset_id)
            .where(Dataset.state == "active", Dataset.openness != op.CLOSED)
        ):
            if fmt:
                formats[dataset_id].add(fmt.strip().upper())
        planned = _planned(session)
        rows = session.execute(
            select(Dataset, Organization.title)
            .join(Organization, Organization.id == Dataset.organization_id)
            .where(
                Dataset.state == "active",
                or_(Dataset.openness != op.CLOSED, Dataset.id.in_(list(planned) or [""])),
            )
            .order_by(Organization.title, Dataset.title, Dataset.name)
        ).all()
        order = {op.UNCONDITIONAL: 0, op.CONDITIONAL: 1, op.CLOSED: 2}
        rows.sort(key=lambda r: order.get(r[0].openness, 3))  # stable: department, title within
        out = []
        for ds, org_title in rows:
            if ds.openness == op.CLOSED:
                status, open_by = "计划开放", planned.get(ds.id, "")
            elif ds.suspended_by:
                status, open_by = "因权益异议暂停开放", ""
            else:
                status, open_by = "已开放", ""
            out.append(
                [
                    ds.name,
                    ds.title,
                    org_title,
                    op.OPENNESS_TITLES.get(ds.openness, ds.openness),
                    status,
                    open_by,
                    ds.update_cycle or "",
                    "、".join(sorted(formats.get(ds.id, ()))),
                    (ds.conditions or "") if ds.openness == op.CONDITIONAL else "",
                    base + DATASET_PATH.format(name=ds.name),
                ]
            )
        return out


def open_list_csv(rt: Runtime, *, base_url: str) -> Iterator[bytes]:
    """The 开放清单 as UTF-8 CSV with a byte-order mark."""
    return csv_lines(OPEN_LIST_HEADER, open_list_rows(rt, base_url=base_url))


# -- the audit log, for the bureau and the operators -------------------------------------------

AUDIT_HEADER = ["id", "at", "actor", "action", "object_type", "object_id", "detail"]


def require_auditor(actor: Actor) -> None:
    """Only the supervising bureau and the platform's operators read the audit log."""
    if actor.roles & {"bureau", "operator"}:  # also the command line (an operator, no user)
        return
    if actor.is_anonymous:
        raise LoginRequired("请先登录")
    raise NotAuthorized("仅主管部门和平台运维人员可以查看和导出审计日志")


def parse_moment(value: Any, field: str, *, end: bool = False) -> datetime | None:
    """A bound of the audit period: a date (a whole day in Asia/Shanghai; ``end`` takes the day
    in) or an ISO 8601 time (without a zone: Asia/Shanghai). Returned in UTC."""
    if value in (None, ""):
        return None
    text = str(value).strip()
    try:
        if len(text) == 10:
            day = date.fromisoformat(text)
            if end:
                day += timedelta(days=1)
            return datetime.combine(day, time(), SHANGHAI).astimezone(UTC)
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise ValidationError(
            f"{field} 须为日期（YYYY-MM-DD）或 ISO 8601 时间", {field: [f"无法识别：{text}"]}
        ) from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=SHANGHAI)
    if end:  # the bound itself is in the period; callers compare with "<"
        moment += timedelta(microseconds=1)
    return moment.astimezone(UTC)


def _audit_query(since: Any, until: Any, action: Any) -> Any:
    start = parse_moment(since, "since")
    stop = parse_moment(until, "until", end=True)
    query = select(AuditEntry)
    if start is not None:
        query = query.where(AuditEntry.at >= start)
    if stop is not None:
        query = query.where(AuditEntry.at < stop)
    if action:
        action = str(action).strip()
        if action.endswith("*"):
            query = query.where(AuditEntry.action.startswith(action[:-1], autoescape=True))
        else:
            query = query.where(AuditEntry.action == action)
    return query


def audit_dict(row: AuditEntry) -> dict[str, Any]:
    return {
        "id": row.id,
        "at": row.at.astimezone(UTC).isoformat(),
        "actor": row.actor,
        "action": row.action,
        "object_type": row.object_type,
        "object_id": row.object_id,
        "detail": row.detail or {},
    }


def audit_entries(
    rt: Runtime,
    actor: Actor,
    *,
    since: Any = None,
    until: Any = None,
    action: Any = None,
    page: Any = 1,
    per_page: Any = 100,
) -> dict[str, Any]:
    """Audit rows in the period (oldest first), a page at a time."""
    require_auditor(actor)
    page, per_page = _page_args(page, per_page, MAX_AUDIT_PAGE)
    query = _audit_query(since, until, action)
    with rt.reader() as session:
        total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
        rows = session.scalars(
            query.order_by(AuditEntry.id).offset((page - 1) * per_page).limit(per_page)
        ).all()
        return {
            "entries": [audit_dict(r) for r in rows],
            "count": total,
            "page": page,
            "per_page": per_page,
            "pages": _pages(total, per_page),
        }


def audit_csv(
    rt: Runtime, actor: Actor, *, since: Any = None, until: Any = None, action: Any = None
) -> Iterator[bytes]:
    """The audit rows of the period as CSV (UTF-8 with BOM), read in batches while streaming.

    Access and the period are checked at once, before anything is streamed; the export itself is
    recorded in the audit log."""
    require_auditor(actor)
    query = _audit_query(since, until, action)
    with rt.session() as session:
        session.add(
            AuditEntry(
                actor=actor.name,
                action="audit.export",
                object_type="audit",
                object_id="audit_log",
                detail={
                    "since": str(since) if since else None,
                    "until": str(until) if until else None,
                    "action": str(action) if action else None,
                },
            )
        )

    def rows() -> Iterator[list[Any]]:
        with rt.reader() as session:
            for row in session.scalars(
                query.order_by(AuditEntry.id).execution_options(yield_per=1000)
            ):
                yield [
                    row.id,
                    row.at.astimezone(UTC).isoformat(),
                    row.actor,
                    row.action,
                    row.object_type,
                    row.object_id,
                    json.dumps(row.detail or {}, ensure_ascii=False, sort_keys=True),
                ]

    return csv_lines(AUDIT_HEADER, rows())
