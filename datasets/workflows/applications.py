"""Applications for conditional data (有条件开放申请): submit, 补正, extension, decision, the
data-use agreement and, once it is signed, the grant.

States and who may move them are in ``machine.APPLICATION``. Deadlines come from the settings
(``days_application``, ``days_correction_request``, ``days_extension``,
``days_objection_filing``, ``days_provide_after_ruling``) and are counted in working days.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from sqlalchemy import select

from datasets.accounts.permissions import Actor
from datasets.errors import Conflict, NotAuthorized, NotFound, ValidationError, raise_problems
from datasets.models import Case, Dataset, Grant
from datasets.notify.notices import case_link, notify_department, notify_requester
from datasets.openness.rules import CONDITIONAL, RULES_BY_CODE, STATE_SECRET
from datasets.runtime import Runtime
from datasets.workdays import calendar_for, shanghai_date
from datasets.workflows import cases as c
from datasets.workflows.machine import APPLICATION, DEPARTMENT, REQUESTER
from datasets.workflows.scopes import snapshot

AGREEMENTS = Path(__file__).resolve().parents[2] / "config" / "agreements"
ACCESS_MODES = {"download": "文件下载", "api": "接口调用"}
DECISIONS = {"approve": "approved", "partial": "partial", "refuse": "refused"}
# a refusal may cite an exclusion rule or a published condition the applicant does not meet
UNMET_CONDITION = "unmet-condition"
TEXT_FIELDS = {
    "purpose": "使用用途",
    "scope": "使用范围",
    "scenario": "应用场景",
    "security_measures": "安全保障措施",
}


@dataclass(frozen=True)
class Agreement:
    version: str
    text: str
    sha256: str


def current_agreement() -> Agreement:
    """The newest data-use agreement template (``config/agreements/<version>.md``)."""
    files = sorted(AGREEMENTS.glob("*.md"))
    if not files:
        raise NotFound("未配置数据使用协议模板")
    text = files[-1].read_text(encoding="utf-8")
    return Agreement(files[-1].stem, text, hashlib.sha256(text.encode("utf-8")).hexdigest())


def _requested_fields(dataset: Dataset, fields: Any, problems: dict[str, list[str]]) -> list[str]:
    if fields in (None, "", []):
        return []
    if not isinstance(fields, list) or not all(isinstance(f, str) for f in fields):
        problems["fields"] = ["fields 须为字段名列表"]
        return []
    known = [col.get("name") for col in dataset.columns or []]
    unknown = [f for f in fields if f not in known]
    if unknown:
        problems["fields"] = [f"数据集没有这些字段：{'、'.join(unknown)}"]
    return list(dict.fromkeys(fields))


def submit(rt: Runtime, actor: Actor, payload: dict[str, Any]) -> dict[str, Any]:
    """File an application; answers with its reference, receipt date and deadline."""
    c.require_signed_in(actor)
    if not actor.roles & {"company", "citizen"}:
        raise NotAuthorized("有条件开放数据须以企业或个人账户申请")
    if not isinstance(payload, dict):
        raise ValidationError("请求内容须为 JSON 对象")
    settings = rt.settings
    with rt.session() as session:
        found: c.Problems = {}
        dataset = c.find_dataset(session, payload.get("dataset"), found)
        raise_problems(found)
        if dataset.openness != CONDITIONAL:
            raise ValidationError(
                "该数据集不是有条件开放数据"
                + ("，可直接下载" if dataset.openness == "unconditional" else "，可提出开放需求"),
                {"dataset": ["不是有条件开放数据"]},
            )
        problems: c.Problems = {}
        body = {
            key: c.text_field(payload, key, label, problems) for key, label in TEXT_FIELDS.items()
        }
        body["fields"] = _requested_fields(dataset, payload.get("fields"), problems)
        period = payload.get("period_months")
        if isinstance(period, str) and period.strip().isdigit():
            period = int(period)
        if not isinstance(period, int) or isinstance(period, bool):
            problems["period_months"] = ["请填写使用期限（月）"]
        elif not 1 <= period <= settings.grant_max_months:
            problems["period_months"] = [f"使用期限须为 1–{settings.grant_max_months} 个月"]
        body["period_months"] = period
        mode = payload.get("access_mode")
        if mode not in ACCESS_MODES:
            problems["access_mode"] = ["获取方式须为 download（文件下载）或 api（接口调用）"]
        body["access_mode"] = mode
        raise_problems(problems)
        pending = session.scalar(
            select(Case.reference).where(
                Case.kind == APPLICATION.kind,
                Case.requester_id == actor.user_id,
                Case.dataset_id == dataset.id,
                Case.closed_at.is_(None),
            )
        )
        if pending:
            raise Conflict(f"您对该数据集已有未办结的申请 {pending}")
        case = c.open_case(
            rt,
            session,
            machine=APPLICATION,
            actor=actor,
            status="submitted",
            days=settings.days_application,
            organization_id=dataset.organization_id,
            dataset_id=dataset.id,
            requester_id=actor.user_id,
            requester_key=actor.user_id,
            body=body,
        )
        notify_department(
            session,
            dataset.organization_id,
            subject=f"新的有条件开放申请 {case.reference}：{dataset.title}",
            body=f"请于 {case.due_on} 前作出决定。",
            link=case_link(case),
            case=case,
        )
        return application_dict(session, case)


def get(rt: Runtime, actor: Actor, application_id: str) -> dict[str, Any]:
    with rt.reader() as session:
        case = c.viewable(session, actor, application_id, APPLICATION.kind)
        return application_dict(session, case)


def _load(session, actor: Actor, application_id: str, who: str) -> Case:  # type: ignore[no-untyped-def]
    c.require_signed_in(actor)
    case = c.load_case(session, application_id, APPLICATION.kind, lock=True)
    c.require(actor, case, who)
    return case


def request_correction(
    rt: Runtime, actor: Actor, application_id: str, payload: dict[str, Any]
) -> dict[str, Any]:
    """Ask once for missing items (补正), within the set days of receipt; the clock stops."""
    note = str((payload or {}).get("items") or (payload or {}).get("note") or "").strip()
    if not note:
        raise ValidationError("请列明需要补正的材料", {"items": ["必填"]})
    cal = calendar_for(rt)
    with rt.session() as session:
        case = _load(session, actor, application_id, DEPARTMENT)
        APPLICATION.check("request_correction", case.status)
        if case.correction_used:
            raise Conflict("补正只能要求一次")
        limit = cal.add(case.received_on, rt.settings.days_correction_request).on
        if shanghai_date(c.now_utc()) > limit:
            raise Conflict(f"补正须在受理后 {rt.settings.days_correction_request} 个工作日内提出")
        c.pause_clock(cal, case)
        case.correction_used = True
        case.body = {**case.body, "correction_items": note}
        c.transit(session, case, actor, "request_correction", "correction", note=note)
        notify_requester(
            session,
            case,
            subject=f"申请 {case.reference} 需要补正材料",
            body=note,
            link=case_link(case),
        )
        return application_dict(session, case)


def supplement(
    rt: Runtime, actor: Actor, application_id: str, payload: dict[str, Any]
) -> dict[str, Any]:
    """The applicant supplies the missing items; the clock restarts with the days left."""
    payload = payload or {}
    cal = calendar_for(rt)
    with rt.session() as session:
        case = _load(session, actor, application_id, REQUESTER)
        APPLICATION.check("supplement", case.status)
        note = str(payload.get("note") or "").strip()
        changes = {k: payload[k].strip() for k in TEXT_FIELDS if isinstance(payload.get(k), str)}
        changes = {k: v for k, v in changes.items() if v}
        if not note and not changes:
            raise ValidationError("请填写补正内容", {"note": ["必填"]})
        if any(len(v) > c.MAX_TEXT for v in changes.values()) or len(note) > c.MAX_TEXT:
            raise ValidationError(f"每项不超过 {c.MAX_TEXT} 字")
        case.body = {**case.body, **changes, "correction_reply": note}
        c.resume_clock(cal, case)
        c.transit(session, case, actor, "supplement", "submitted", note=note)
        notify_department(
            session,
            case.organization_id,
            subject=f"申请 {case.reference} 已补正",
            body=f"请于 {case.due_on} 前作出决定。",
            link=case_link(case),
            case=case,
        )
        return application_dict(session, case)


def extend(
    rt: Runtime, actor: Actor, application_id: str, payload: dict[str, Any]
) -> dict[str, Any]:
    """Extend the deadline once, with a reason, by at most ``days_extension`` working days."""
    payload = payload or {}
    reason = str(payload.get("reason") or "").strip()
    days = payload.get("days", rt.settings.days_extension)
    problems: dict[str, list[str]] = {}
    if not reason:
        problems["reason"] = ["请说明延期理由"]
    if (
        not isinstance(days, int)
        or isinstance(days, bool)
        or not (1 <= days <= rt.settings.days_extension)
    ):
        problems["days"] = [f"延长期限须为 1–{rt.settings.days_extension} 个工作日"]
    raise_problems(problems)
    cal = calendar_for(rt)
    with rt.session() as session:
        case = _load(session, actor, application_id, DEPARTMENT)
        APPLICATION.check("extend", case.status)
        if case.extension_used:
            raise Conflict("答复期限只能延长一次")
        due = cal.add(case.due_on, days)
        case.due_on = due.on
        case.due_provisional = case.due_provisional or due.provisional
        case.extension_used = True
        case.body = {**case.body, "extension_reason": reason, "extension_days": days}
        c.transit(session, case, actor, "extend", "submitted", note=reason, due_on=str(case.due_on))
        notify_requester(
            session,
            case,
            subject=f"申请 {case.reference} 答复期限延长至 {case.due_on}",
            body=reason,
            link=case_link(case),
        )
        return application_dict(session, case)


def objection_instructions(rt: Runtime, deadline: date) -> str:
    return (
        f"如对本决定有异议，可于 {deadline} 前（决定作出后 "
        f"{rt.settings.days_objection_filing} 个工作日内）向{rt.settings.supervisor_name}"
        "申请复核：在本平台该申请页面提出异议，或调用 POST /api/v1/applications/<id>/objection。"
    )


def decide(
    rt: Runtime, actor: Actor, application_id: str, payload: dict[str, Any]
) -> dict[str, Any]:
    """Approve, approve in part (some fields) or refuse. Refusals cite a rule code or an unmet
    published condition and tell the applicant how to seek 复核. After a ruling in the
    applicant's favour (status ``ruling``) the department may no longer refuse."""
    payload = payload or {}
    decision = payload.get("decision")
    reason = str(payload.get("reason") or "").strip()
    rule_code = payload.get("rule_code") or None
    problems: dict[str, list[str]] = {}
    if decision not in DECISIONS:
        problems["decision"] = ["decision 须为 approve、partial 或 refuse"]
    if decision in ("partial", "refuse"):
        if not reason:
            problems["reason"] = ["不予同意（含部分同意）须说明理由"]
        if rule_code != UNMET_CONDITION and rule_code not in RULES_BY_CODE:
            problems["rule_code"] = [
                "须引用不予开放规则编码（"
                + "、".join(code for code in RULES_BY_CODE if code != STATE_SECRET)
                + f"）或 {UNMET_CONDITION}（未满足已公布的开放条件）"
            ]
        elif rule_code == STATE_SECRET:
            problems["rule_code"] = ["国家秘密数据不在平台存储，不能作为拒绝理由"]
    if len(reason) > c.MAX_TEXT:
        problems["reason"] = [f"理由不超过 {c.MAX_TEXT} 字"]
    raise_problems(problems)
    target = DECISIONS[decision]
    cal = calendar_for(rt)
    with rt.session() as session:
        case = _load(session, actor, application_id, DEPARTMENT)
        APPLICATION.check("decide", case.status, target)
        if case.status == "ruling" and target == "refused":
            raise Conflict("复核决定已撤销原不予同意决定，部门应当在期限内提供数据")
        dataset = session.get(Dataset, case.dataset_id)
        if rule_code == UNMET_CONDITION and not (dataset and dataset.conditions):
            raise ValidationError(
                "该数据集未公布开放条件，不能以未满足开放条件为由拒绝",
                {"rule_code": ["无开放条件"]},
            )
        requested = list(case.body.get("fields") or [])
        granted: list[str] = requested
        if target == "partial":
            granted = _requested_fields(dataset, payload.get("fields"), problems)
            everything = requested or [col.get("name") for col in dataset.columns or []]
            if problems or not granted or not set(granted) < set(everything):
                raise ValidationError(
                    "部分同意须列出同意提供的字段（申请字段的真子集）",
                    problems or {"fields": ["须为申请字段的真子集"]},
                )
        body = {**case.body, "granted_fields": granted}
        if target in ("partial", "refused"):
            deadline = cal.add(
                cal.received_on(c.now_utc()).on, rt.settings.days_objection_filing
            ).on
            body["objection_deadline"] = str(deadline)
            body["objection_instructions"] = objection_instructions(rt, deadline)
        if target in ("approved", "partial"):
            body["agreement_version"] = current_agreement().version
            # the columns the fields were granted on: the grant's scope is fixed against them
            body["granted_columns"] = snapshot(dataset.columns if dataset else [])
        case.body = body
        c.record_decision(cal, case, outcome=target, reply=reason, rule_code=rule_code)
        c.transit(session, case, actor, "decide", target, note=reason, rule_code=rule_code)
        message = {
            "approved": "已同意，请阅读并签署数据使用协议",
            "partial": "部分同意，请阅读并签署数据使用协议；"
            + body.get("objection_instructions", ""),
            "refused": "不予同意。" + body.get("objection_instructions", ""),
        }[target]
        notify_requester(
            session,
            case,
            subject=f"申请 {case.reference} 已作出决定：{APPLICATION.states[target]}",
            body=f"{reason}\n{message}".strip(),
            link=case_link(case),
        )
        return application_dict(session, case)


def sign(rt: Runtime, actor: Actor, application_id: str, payload: dict[str, Any]) -> dict[str, Any]:
    """The applicant signs the current agreement; only then does the grant exist."""
    from datasets.workflows.grants import create_grant

    payload = payload or {}
    agreement = current_agreement()
    version = payload.get("agreement_version")
    if payload.get("accept") is not True and str(payload.get("accept")).lower() not in (
        "true",
        "1",
        "on",
        "yes",
    ):
        raise ValidationError("须同意数据使用协议方可签署", {"accept": ["须为 true"]})
    if version != agreement.version:
        raise Conflict(f"请签署现行协议版本 {agreement.version}（提交的版本为 {version or '空'}）")
    with rt.session() as session:
        case = _load(session, actor, application_id, REQUESTER)
        APPLICATION.check("sign", case.status)
        grant = create_grant(rt, session, case, agreement)
        c.transit(
            session,
            case,
            actor,
            "sign",
            "granted",
            agreement_version=agreement.version,
            grant=grant.reference,
        )
        notify_department(
            session,
            case.organization_id,
            subject=f"申请 {case.reference} 已签署协议，授权 {grant.reference} 生效",
            link=case_link(case),
            case=case,
        )
        return application_dict(session, case)


def withdraw(rt: Runtime, actor: Actor, application_id: str) -> dict[str, Any]:
    with rt.session() as session:
        case = _load(session, actor, application_id, REQUESTER)
        c.transit(session, case, actor, "withdraw", "withdrawn")
        return application_dict(session, case)


def application_dict(session, case: Case) -> dict[str, Any]:  # type: ignore[no-untyped-def]
    out = c.case_dict(session, case)
    body = out.pop("body")
    out.update({key: body.get(key) for key in (*TEXT_FIELDS, "period_months", "access_mode")})
    out["fields"] = body.get("fields") or []
    out["decision"] = {"approved": "approve", "partial": "partial", "refused": "refuse"}.get(
        case.outcome or ""
    )
    out["reason"] = case.reply
    out["granted_fields"] = body.get("granted_fields")
    for key in (
        "correction_items",
        "correction_reply",
        "extension_reason",
        "objection_deadline",
        "objection_instructions",
        "agreement_version",
    ):
        out[key] = body.get(key)
    grant = session.scalar(select(Grant).where(Grant.application_id == case.id))
    out["grant"] = None
    if grant is not None:
        from datasets.workflows.grants import grant_dict

        out["grant"] = grant_dict(session, grant)
    objections = session.scalars(
        select(Case).where(Case.parent_id == case.id, Case.kind == "objection")
    ).all()
    out["objections"] = [
        {"id": o.id, "reference": o.reference, "status": o.status, "outcome": o.outcome}
        for o in objections
    ]
    return out


def list_applications(
    rt: Runtime, actor: Actor, *, mine: bool = True, limit: int = 100
) -> list[dict[str, Any]]:
    """The caller's own applications, newest first."""
    c.require_signed_in(actor)
    with rt.reader() as session:
        rows = session.scalars(
            select(Case)
            .where(Case.kind == APPLICATION.kind, Case.requester_id == actor.user_id)
            .order_by(Case.received_at.desc())
            .limit(limit)
        ).all()
        out = []
        for case in rows:
            d = c.case_dict(session, case)
            d.pop("history")
            d.pop("body")
            out.append(d)
        return out
