"""What the /services page lists (the public services with their deadlines) and what the
submission forms need to show."""

from __future__ import annotations

from typing import Any

from sqlalchemy import or_, select

from datasets.accounts import verification
from datasets.accounts.permissions import Actor
from datasets.models import Dataset, Organization
from datasets.runtime import Runtime
from datasets.settings import Settings
from datasets.workflows.assessments import WINDOW_MONTHS
from datasets.workflows.inputs.feedback import RIGHTS_DECISIONS
from datasets.workflows.inputs.opening import (
    CATEGORIES,
    CONCLUSIONS,
    REFUSAL_RULES,
    REVIEW_CONCLUSIONS,
)
from datasets.workflows.machine import APPLICATION, MACHINES


def form_context(
    rt: Runtime, actor: Actor, kind: str, *, dataset: str | None = None
) -> dict[str, Any]:
    """What the submission form of ``kind`` needs: the dataset it is about (if named and
    public), the departments to choose from, whether the caller is signed in (then contact
    details may be left out), and the working days the department has to answer."""
    account = verification.account_status(rt, actor)
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
            "deadline_days": deadline_days(kind, rt.settings),
            "assessment_requesters": rt.settings.assessment_requesters,
            "suspension_days": rt.settings.days_rights_suspension,
            "verification": {
                **account,
                "email": bool(rt.settings.smtp_host),
                "phone": verification.phone_available(rt),
                "minutes": rt.settings.verification_code_minutes,
            },
        }


# kind → who may use it, what it is for, the page that starts it, and how the deadline its
# first transition starts is worded (the days come from the machine's table)
SERVICES: dict[str, dict[str, Any]] = {
    "opening_request": {
        "title": "开放需求",
        "who": "任何人（可不登录，须留联系方式）",
        "summary": "希望提供部门开放目录中不予开放或有条件开放的数据，或目录中没有的数据。",
        "deadline": "个工作日内答复",
        "path": "/services/opening-request/new",
    },
    "assessment": {
        "title": "开放评估",
        "who": "系统自动启动",
        "summary": (
            f"同一数据在 {WINDOW_MONTHS} 个月内收到 {{requesters}} 位以上联系方式经验证的不同"
            "申请人的开放需求时，提供部门须开展开放评估，主管部门督办。"
        ),
        "deadline": "个工作日内完成评估",
        "path": None,
    },
    "application": {
        "title": "有条件开放数据申请",
        "who": "注册的企业或个人",
        "summary": "在有条件开放数据的页面提出申请，经审核同意并签署数据使用协议后获取数据。",
        "deadline": "个工作日内作出决定",
        "path": "/search?openness=conditional",
    },
    "objection": {
        "title": "异议与复核",
        "who": "被不予同意的申请人、对答复有异议的开放需求提出人、被暂停或终止授权的企业或个人",
        "summary": (
            "对不予同意的决定、对开放需求的答复、对暂停或终止授权的决定有异议的，"
            "可在 {objection_days} 个工作日内向主管部门申请复核。"
        ),
        "deadline": "个工作日内作出复核决定",
        "path": None,
    },
    "review": {
        "title": "定期评估审查",
        "who": "系统定期启动",
        "summary": (
            "有条件开放和不予开放的数据每 {review_months} 个月由提供部门评估审查一次，"
            "结论（维持并说明理由、纳入开放、调整为有条件开放）向社会公开。"
        ),
        "deadline": "个工作日内完成审查",
        "path": None,
    },
    "error_report": {
        "title": "数据纠错",
        "who": "任何人（可匿名）",
        "summary": "发现数据或目录信息有错误、疑义时，报告给提供部门核实更正。",
        "deadline": "个工作日内答复",
        "path": "/services/error-report/new",
    },
    "rights_objection": {
        "title": "权益异议",
        "who": "认为开放数据侵犯其合法权益的权利人（须留联系方式）",
        "summary": (
            "已登录且联系方式经验证的权利人提出后，该数据立即暂停开放；"
            "其他异议由提供部门在 {suspension_days} 个工作日内决定是否暂停。"
            "提供部门作出撤回、恢复或处理后恢复的决定。"
        ),
        "deadline": "个工作日内作出决定",
        "path": "/services/rights-objection/new",
    },
    "suggestion": {
        "title": "意见建议",
        "who": "任何人（可匿名）",
        "summary": "对数据开放工作、某个部门或数据集的意见和建议。",
        "deadline": "个工作日内答复",
        "path": "/services/suggestion/new",
    },
}


def deadline_days(kind: str, settings: Settings) -> int:
    """The working days the deadline a case of ``kind`` starts with lasts (machine table)."""
    machine = MACHINES[kind]
    return machine.days(machine.initial.name, settings)


def _entry(kind: str, service: dict[str, Any], settings: Settings) -> dict[str, Any]:
    facts = {
        "requesters": settings.assessment_requesters,
        "objection_days": APPLICATION.days("decide", settings),  # a refusal opens the window
        "suspension_days": settings.days_rights_suspension,
        "review_months": settings.review_cycle_months,
    }
    return {
        "kind": kind,
        "title": service["title"],
        "who": service["who"],
        "summary": service["summary"].format(**facts),
        "deadline": f"{deadline_days(kind, settings)} {service['deadline']}",
        "path": service["path"],
    }


def public_services(rt: Runtime) -> list[dict[str, Any]]:
    """The public services with their deadlines in working days, from the machine's table."""
    return [_entry(kind, service, rt.settings) for kind, service in SERVICES.items()]


def reply_choices() -> dict[str, Any]:
    """The answers, conclusions and rules the department's forms offer (no state secrets)."""
    return {
        "categories": CATEGORIES,
        "conclusions": CONCLUSIONS,
        "review_conclusions": REVIEW_CONCLUSIONS,
        "rights_decisions": RIGHTS_DECISIONS,
        "rules": [
            {"code": r.code, "number": r.number, "title": r.title} for r in REFUSAL_RULES.values()
        ],
    }
