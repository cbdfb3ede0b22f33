"""Requests to open data (开放需求) and the mandatory opening assessments (开放评估).

Anyone may ask a department to open a dataset of the catalog that is not (fully) open, or data
that is not in the catalog at all; signing in is optional, a way to reach the requester is not.
The department answers within ``days_opening_request`` working days with one of five
categories (already open, will open by a date, apply for it, refused under a rule, not ours).
When ``assessment_requesters`` distinct requesters ask for the same dataset within 12 months,
the portal opens one mandatory opening assessment for its department (``days_assessment``) and
tells the department and the supervising bureau.

This module also holds what the public submissions share (contact details, the requester key,
finding datasets and departments, the view of a case and the receipt with its access code);
``feedback`` uses them too. A case is seen only by its participants and by whoever holds its
access code (``case_access``); the public sees its record on the transparency log.
"""

from __future__ import annotations

import hashlib
import hmac
import re
from calendar import monthrange
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from datasets.accounts.permissions import Actor
from datasets.accounts.users import email_problem, phone_problem
from datasets.errors import NotFound, ValidationError, raise_problems
from datasets.models import Case, Dataset, Organization, User
from datasets.notify.notices import case_link, notify_bureau, notify_department, notify_requester
from datasets.openness.rules import CLOSED, CONDITIONAL, RULES_BY_CODE, STATE_SECRET, UNCONDITIONAL
from datasets.runtime import Runtime
from datasets.workdays import calendar_for, shanghai_date
from datasets.workflows import case_access as ca
from datasets.workflows import cases as c
from datasets.workflows.cases import Problems, find_dataset, problem, text_field
from datasets.workflows.machine import ASSESSMENT, DEPARTMENT, OPENING_REQUEST, SYSTEM
from datasets.workflows.redaction import public_reply

MAX_TITLE = 200
MAX_NAME = 100
WINDOW_MONTHS = 12  # distinct requests counted over this many months

# the department's answer to a request (SPEC §7)
CATEGORIES = {
    "already_open": "数据已开放",
    "will_open": "将于限期内开放",
    "apply": "属有条件开放数据，可申请获取",
    "refused": "不予开放",
    "not_ours": "非本部门数据",
}
# what an opening assessment concludes
CONCLUSIONS = {
    "open": "予以无条件开放",
    "conditional": "有条件开放",
    "keep_closed": "维持不予开放",
}
# exclusion rules a refusal may cite: state secrets are never in the portal at all
REFUSAL_RULES = {code: rule for code, rule in RULES_BY_CODE.items() if code != STATE_SECRET}


# -- shared by the public submissions -----------------------------------------------------------


def require_object(payload: Any) -> dict[str, Any]:
    if payload is None:
        return {}
    if not isinstance(payload, dict):
        raise ValidationError("请求内容须为 JSON 对象")
    return payload


def clean_contact(
    session: Session, actor: Actor, raw: Any, problems: Problems, *, required: bool
) -> dict[str, str]:
    """The requester's name and telephone or e-mail, checked field by field (``contact.phone``
    …). A signed-in user who leaves them out is reached through the account's own details."""
    if raw in (None, "", {}):
        raw = {}
    if not isinstance(raw, dict):
        problem(problems, "contact", "联系方式须为对象：{name, phone, email}")
        return {}
    contact = {
        key: raw[key].strip() if isinstance(raw.get(key), str) else raw.get(key)
        for key in ("name", "phone", "email")
    }
    if not actor.is_anonymous and not any(contact.values()):
        user = session.get(User, actor.user_id)
        if user is not None:
            contact = {
                "name": user.display_name or user.name,
                "phone": user.phone,
                "email": user.email,
            }
    contact = {k: v for k, v in contact.items() if v not in (None, "")}
    if not contact:
        if required:
            problem(problems, "contact.name", "请填写联系人姓名")
            problem(problems, "contact.phone", "请填写联系电话或电子邮箱（至少一项）")
        return {}
    for key in contact:
        if not isinstance(contact[key], str):
            problem(problems, f"contact.{key}", "须为文本")
    if problems.keys() & {"contact.name", "contact.phone", "contact.email"}:
        return {}
    name = contact.get("name", "")
    if not name:
        problem(problems, "contact.name", "请填写联系人姓名")
    elif len(name) > MAX_NAME:
        problem(problems, "contact.name", f"联系人姓名不超过 {MAX_NAME} 字")
    if not contact.get("phone") and not contact.get("email"):
        problem(problems, "contact.phone", "请填写联系电话或电子邮箱（至少一项）")
    if contact.get("phone") and (message := phone_problem(contact["phone"])):
        problem(problems, "contact.phone", message)
    if contact.get("email") and (message := email_problem(contact["email"])):
        problem(problems, "contact.email", message)
    return contact


def contact_key(rt: Runtime, contact: dict[str, str]) -> str | None:
    """A key telling anonymous requesters apart without revealing them: an HMAC-SHA256 of the
    normalised telephone number (else e-mail address) keyed with the portal's secret."""
    phone = re.sub(r"\D", "", contact.get("phone") or "")
    if phone.startswith("86") and len(phone) == 13:
        phone = phone[2:]
    value = f"tel:{phone}" if phone else ""
    if not value and contact.get("email"):
        value = "mail:" + contact["email"].strip().lower()
    if not value:
        return None
    return hmac.new(
        rt.secret_key().encode("utf-8"), value.encode("utf-8"), hashlib.sha256
    ).hexdigest()


def requester_key(rt: Runtime, actor: Actor, contact: dict[str, str]) -> str | None:
    """The account's id when signed in, else the keyed hash of the contact details."""
    return actor.user_id if not actor.is_anonymous else contact_key(rt, contact)


def find_department(session: Session, ref: Any, problems: Problems, *, field: str = "department"):  # type: ignore[no-untyped-def]
    """A department (organization) by name or id; a problem on ``field`` otherwise."""
    if not isinstance(ref, str) or not ref.strip():
        problem(problems, field, "请选择数据提供部门")
        return None
    org = session.scalar(
        select(Organization).where(
            or_(Organization.name == ref.strip(), Organization.id == ref.strip())
        )
    )
    if org is None:
        problem(problems, field, f"部门 {ref.strip()[:100]} 不存在")
    return org


def _months_before(at: datetime, months: int) -> datetime:
    """The same moment ``months`` calendar months earlier (the last day of a shorter month)."""
    month = at.month - 1 - months
    year, month = at.year + month // 12, month % 12 + 1
    return at.replace(year=year, month=month, day=min(at.day, monthrange(year, month)[1]))


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
    return {**answer}


def _rule(case: Case) -> dict[str, Any] | None:
    rule = RULES_BY_CODE.get(case.rule_code or "")
    if rule is None:
        return None
    return {"code": rule.code, "number": rule.number, "title": rule.title, "article": rule.article}


def full_dict(
    session: Session, actor: Actor, case: Case, *, access: str = ca.PARTICIPANT
) -> dict[str, Any]:
    """A case as its requester and its handlers see it: everything, with the contact details,
    how the caller came to see it (``access``: participant or code) and whether the caller may
    act on it now. Only participants and holders of the case's code ever get it (``admit``);
    what the public sees of a case is its record on the transparency log."""
    out = c.case_dict(session, case)
    out.update(_kind_fields(case))
    out["rule"] = _rule(case)
    out["access"] = access
    out["can_act"] = access == ca.PARTICIPANT and c.is_handler(actor, case) and not out["closed"]
    return out


def receipt(session: Session, actor: Actor, case: Case) -> dict[str, Any]:
    """The answer to a submission: the case with its new access code (``access_code``), which
    is given this once and kept only as a hash."""
    code = ca.issue_code(case)
    access = ca.PARTICIPANT if c.can_view(actor, case) else ca.CODE
    return {**full_dict(session, actor, case, access=access), "access_code": code}


def view_case(
    rt: Runtime, actor: Actor, case_id: str, kind: str, *, code: str | None = None
) -> dict[str, Any]:
    """A case by id or reference number, for a participant or the holder of its ``code``;
    NotFound for everyone else, the same whether the case exists or not."""
    with rt.reader() as session:
        case, access = ca.admit(session, actor, case_id, kind, code)
        return full_dict(session, actor, case, access=access)


def load_for_handler(session: Session, actor: Actor, case_id: str, kind: str) -> Case:
    """The case, locked, if ``actor`` is a reviewer of its department (401/403/404 otherwise;
    the 404 is the one an unknown case gets, so that no step tells whether a case exists)."""
    c.require_signed_in(actor)
    try:
        case = c.load_case(session, case_id, kind, lock=True)
        c.require(actor, case, DEPARTMENT)
    except NotFound:
        raise ca.hidden(kind) from None
    return case


# -- requests to open data ----------------------------------------------------------------------


def submit_request(rt: Runtime, actor: Actor, payload: Any) -> dict[str, Any]:
    """File a request to open a dataset of the catalog (``dataset``) or data that is not in
    it (``department`` and ``title``); answers with the reference, receipt date and deadline."""
    payload = require_object(payload)
    problems: Problems = {}
    description = text_field(payload, "description", "数据用途", problems, required=False)
    reason = text_field(payload, "reason", "开放理由", problems, required=False)
    if not description and not reason and not problems.keys() & {"description", "reason"}:
        problem(problems, "description", "请说明数据用途和希望开放的理由")
    with rt.session() as session:
        contact = clean_contact(session, actor, payload.get("contact"), problems, required=True)
        dataset, org, title = None, None, ""
        if payload.get("dataset") not in (None, ""):
            dataset = find_dataset(session, payload.get("dataset"), problems)
            if dataset is not None and dataset.openness == UNCONDITIONAL:
                problem(problems, "dataset", "该数据集已无条件开放，可直接下载，无需提出开放需求")
            if dataset is not None:
                org, title = dataset.organization, dataset.title
        elif payload.get("department") in (None, "") and payload.get("title") in (None, ""):
            problem(problems, "dataset", "请指定数据集，或填写数据提供部门和所需数据")
        else:
            org = find_department(session, payload.get("department"), problems)
            title = text_field(payload, "title", "所需数据名称", problems, limit=MAX_TITLE)
        raise_problems(problems)
        case = c.open_case(
            rt,
            session,
            machine=OPENING_REQUEST,
            actor=actor,
            status="submitted",
            days=rt.settings.days_opening_request,
            organization_id=org.id,
            dataset_id=dataset.id if dataset else None,
            requester_id=actor.user_id,
            requester_key=requester_key(rt, actor, contact),
            contact=contact,
            body={"title": title, "description": description, "reason": reason},
        )
        notify_department(
            session,
            org.id,
            subject=f"新的开放需求 {case.reference}：{title}",
            body=f"请于 {case.due_on} 前答复。",
            link=case_link(case),
            case=case,
        )
        result = receipt(session, actor, case)
        if dataset is not None and dataset.openness in (CLOSED, CONDITIONAL):
            assessment = open_assessment_if_due(rt, session, dataset, trigger=case)
            if assessment is not None:
                result["assessment"] = {"id": assessment.id, "reference": assessment.reference}
        return result


def get_request(
    rt: Runtime, actor: Actor, request_id: str, *, code: str | None = None
) -> dict[str, Any]:
    return view_case(rt, actor, request_id, OPENING_REQUEST.kind, code=code)


def _answer(
    session: Session, case: Case, category: Any, payload: dict[str, Any], problems: Problems
):  # type: ignore[no-untyped-def]
    """The extra facts a category of answer needs, checked; returns (answer, rule_code)."""
    if category == "already_open":
        ref = payload.get("open_dataset") or payload.get("dataset")
        found = find_dataset(session, ref, problems, field="open_dataset")
        if found is not None and found.openness != UNCONDITIONAL:
            problem(problems, "open_dataset", "所指数据集不是无条件开放数据")
        if found is None or problems:
            return {}, None
        return {"open_dataset": {"name": found.name, "title": found.title}}, None
    if category == "will_open":
        raw = payload.get("open_by")
        try:
            open_by = date.fromisoformat(raw) if isinstance(raw, str) else None
        except ValueError:
            open_by = None
        if open_by is None:
            problem(problems, "open_by", "请填写计划开放日期（YYYY-MM-DD）")
        elif open_by < shanghai_date(c.now_utc()):
            problem(problems, "open_by", "计划开放日期不能早于今天")
        return ({"open_by": str(open_by)} if open_by else {}), None
    if category == "apply":
        ref = payload.get("apply_dataset") or payload.get("dataset")
        if ref in (None, "") and case.dataset_id:
            ref = case.dataset_id
        if ref in (None, ""):
            return {}, None
        found = find_dataset(session, ref, problems, field="apply_dataset")
        if found is not None and found.openness != CONDITIONAL:
            problem(problems, "apply_dataset", "所指数据集不是有条件开放数据")
        if found is None or problems:
            return {}, None
        return {"apply_dataset": {"name": found.name, "title": found.title}}, None
    if category == "refused":
        code = payload.get("rule_code") or payload.get("rule")
        if code not in REFUSAL_RULES:
            problem(
                problems,
                "rule_code",
                "不予开放须注明所依据的规则：" + "、".join(REFUSAL_RULES),
            )
            return {}, None
        return {}, code
    if category == "not_ours":
        other = payload.get("responsible_department")
        if other in (None, ""):
            return {}, None
        if not isinstance(other, str) or len(other.strip()) > MAX_TITLE:
            problem(problems, "responsible_department", f"责任部门名称不超过 {MAX_TITLE} 字")
            return {}, None
        org = session.scalar(
            select(Organization).where(
                or_(Organization.name == other.strip(), Organization.title == other.strip())
            )
        )
        named = {"title": org.title, "name": org.name} if org else {"title": other.strip()}
        return {"responsible_department": named}, None
    problem(
        problems,
        "category",
        "答复类别须为 " + "、".join(f"{k}（{v}）" for k, v in CATEGORIES.items()),
    )
    return {}, None


def reply_request(rt: Runtime, actor: Actor, request_id: str, payload: Any) -> dict[str, Any]:
    """The department answers a request with one of the five categories and a public reply."""
    payload = require_object(payload)
    problems: Problems = {}
    category = payload.get("category")
    reply = text_field(payload, "reply", "答复内容", problems)
    cal = calendar_for(rt)
    with rt.session() as session:
        case = load_for_handler(session, actor, request_id, OPENING_REQUEST.kind)
        OPENING_REQUEST.check("answer", case.status)
        answer, rule_code = _answer(session, case, category, payload, problems)
        raise_problems(problems)
        case.body = {**case.body, "answer": answer}
        c.record_decision(cal, case, outcome=category, reply=reply, rule_code=rule_code)
        c.transit(session, case, actor, "answer", "answered", category=category, note=reply)
        notify_requester(
            session,
            case,
            subject=f"开放需求 {case.reference} 已答复：{CATEGORIES[category]}",
            body=reply,
            link=case_link(case),
        )
        return full_dict(session, actor, case)


# -- mandatory opening assessments ----------------------------------------------------------------


def open_assessment_if_due(
    rt: Runtime, session: Session, dataset: Dataset, *, trigger: Case
) -> Case | None:
    """Open the mandatory assessment of ``dataset`` when enough distinct requesters asked for it
    within 12 months (since the last assessment of it was completed); never a second one while
    one is open. The dataset's row lock makes concurrent requests take turns."""
    session.scalar(select(Dataset.id).where(Dataset.id == dataset.id).with_for_update())
    latest = session.scalar(
        select(Case)
        .where(Case.kind == ASSESSMENT.kind, Case.dataset_id == dataset.id)
        .order_by(Case.received_at.desc())
        .limit(1)
    )
    if latest is not None and latest.closed_at is None:
        return None
    since = _months_before(c.now_utc(), WINDOW_MONTHS)
    if latest is not None and latest.closed_at is not None:
        since = max(since, latest.closed_at.astimezone(UTC))
    rows = session.execute(
        select(Case.id, Case.reference, Case.requester_key)
        .where(
            Case.kind == OPENING_REQUEST.kind,
            Case.dataset_id == dataset.id,
            Case.received_at >= since,
            Case.requester_key.is_not(None),
        )
        .order_by(Case.received_at)
    ).all()
    requesters = {row.requester_key for row in rows}
    if len(requesters) < rt.settings.assessment_requesters:
        return None
    assessment = c.open_case(
        rt,
        session,
        machine=ASSESSMENT,
        actor=SYSTEM,
        status="open",
        days=rt.settings.days_assessment,
        organization_id=dataset.organization_id,
        handler=DEPARTMENT,
        dataset_id=dataset.id,
        parent_id=trigger.id,
        body={
            "requesters": len(requesters),
            "request_ids": [row.id for row in rows],
            "requests": [row.reference for row in rows],
            "window_months": WINDOW_MONTHS,
        },
    )
    notice = {
        "subject": f"须开展开放评估 {assessment.reference}：{dataset.title}",
        "body": (
            f"{WINDOW_MONTHS} 个月内有 {len(requesters)} 位不同的申请人提出开放需求，"
            f"请于 {assessment.due_on} 前完成开放评估。"
        ),
        "link": case_link(assessment),
        "case": assessment,
    }
    notify_department(session, dataset.organization_id, **notice)
    notify_bureau(session, **notice)
    return assessment


def get_assessment(
    rt: Runtime, actor: Actor, assessment_id: str, *, code: str | None = None
) -> dict[str, Any]:
    """Assessments are opened by the portal, not submitted, so they have no code: only their
    participants (the department, the bureau, the operators) see them."""
    return view_case(rt, actor, assessment_id, ASSESSMENT.kind, code=code)


def complete_assessment(
    rt: Runtime, actor: Actor, assessment_id: str, payload: Any
) -> dict[str, Any]:
    """The department concludes the assessment (open / conditional / keep closed) with a
    public reply; the bureau and the signed-in requesters behind it are told."""
    payload = require_object(payload)
    problems: Problems = {}
    conclusion = payload.get("conclusion")
    if conclusion not in CONCLUSIONS:
        problem(
            problems,
            "conclusion",
            "评估结论须为 " + "、".join(f"{k}（{v}）" for k, v in CONCLUSIONS.items()),
        )
    reply = text_field(payload, "reply", "评估意见", problems)
    cal = calendar_for(rt)
    with rt.session() as session:
        case = load_for_handler(session, actor, assessment_id, ASSESSMENT.kind)
        ASSESSMENT.check("complete", case.status)
        raise_problems(problems)
        c.record_decision(cal, case, outcome=conclusion, reply=reply)
        c.transit(session, case, actor, "complete", "completed", conclusion=conclusion, note=reply)
        subject = f"开放评估 {case.reference} 已完成：{CONCLUSIONS[conclusion]}"
        notify_bureau(session, subject=subject, body=reply, link=case_link(case), case=case)
        # the requesters behind it are not participants of the assessment: they read its reply
        # as the public does, and their notice leads to their own request
        public = public_reply(session, case)
        for request in session.scalars(
            select(Case).where(Case.id.in_(list(case.body.get("request_ids") or [])))
        ):
            notify_requester(
                session, request, subject=subject, body=public, link=case_link(request)
            )
        return full_dict(session, actor, case)


# -- what the forms and the services page show ---------------------------------------------------


def form_context(rt: Runtime, actor: Actor, *, dataset: str | None = None) -> dict[str, Any]:
    """What a submission form needs: the dataset it is about (if named and public), the
    departments to choose from, the rules a refusal may cite and whether the caller is signed
    in (then contact details may be left out)."""
    with rt.reader() as session:
        found = None
        if dataset:
            found = session.scalar(
                select(Dataset).where(or_(Dataset.name == dataset, Dataset.id == dataset))
            )
            if found is not None and found.state != "active":
                found = None
        departments = session.execute(
            select(Organization.name, Organization.title).order_by(Organization.name)
        ).all()
        return {
            "dataset": {
                "name": found.name,
                "title": found.title,
                "openness": found.openness,
                "suspended": found.suspended_by is not None,
                "department": {"name": found.organization.name, "title": found.organization.title},
            }
            if found
            else None,
            "departments": [{"name": name, "title": title} for name, title in departments],
            "signed_in": not actor.is_anonymous,
        }


def public_services(rt: Runtime) -> list[dict[str, Any]]:
    """The public services with their deadlines in working days, from the settings."""
    s = rt.settings
    return [
        {
            "kind": "opening_request",
            "title": "开放需求",
            "who": "任何人（可不登录，须留联系方式）",
            "summary": "希望提供部门开放目录中不予开放或有条件开放的数据，或目录中没有的数据。",
            "deadline": f"{s.days_opening_request} 个工作日内答复",
            "path": "/services/opening-request/new",
        },
        {
            "kind": "assessment",
            "title": "开放评估",
            "who": "系统自动启动",
            "summary": (
                f"同一数据在 {WINDOW_MONTHS} 个月内收到 {s.assessment_requesters} 位以上不同"
                "申请人的开放需求时，提供部门须开展开放评估，主管部门督办。"
            ),
            "deadline": f"{s.days_assessment} 个工作日内完成评估",
            "path": None,
        },
        {
            "kind": "application",
            "title": "有条件开放数据申请",
            "who": "注册的企业或个人",
            "summary": "在有条件开放数据的页面提出申请，经审核同意并签署数据使用协议后获取数据。",
            "deadline": f"{s.days_application} 个工作日内作出决定",
            "path": "/search?openness=conditional",
        },
        {
            "kind": "objection",
            "title": "异议与复核",
            "who": "被不予同意的申请人",
            "summary": (
                f"对不予同意的决定，可在 {s.days_objection_filing} 个工作日内向主管部门申请复核。"
            ),
            "deadline": f"{s.days_objection_decision} 个工作日内作出复核决定",
            "path": None,
        },
        {
            "kind": "error_report",
            "title": "数据纠错",
            "who": "任何人（可匿名）",
            "summary": "发现数据或目录信息有错误、疑义时，报告给提供部门核实更正。",
            "deadline": f"{s.days_error_report} 个工作日内答复",
            "path": "/services/error-report/new",
        },
        {
            "kind": "rights_objection",
            "title": "权益异议",
            "who": "认为开放数据侵犯其合法权益的权利人（须留联系方式）",
            "summary": "提出后该数据立即暂停开放；提供部门作出撤回、恢复或处理后恢复的决定。",
            "deadline": f"{s.days_rights_decision} 个工作日内作出决定",
            "path": "/services/rights-objection/new",
        },
        {
            "kind": "suggestion",
            "title": "意见建议",
            "who": "任何人（可匿名）",
            "summary": "对数据开放工作、某个部门或数据集的意见和建议。",
            "deadline": f"{s.days_suggestion} 个工作日内答复",
            "path": "/services/suggestion/new",
        },
    ]
