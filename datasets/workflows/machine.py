"""The state machines of the public services, written out as data: the one table of who may do
what, when, with which deadline and through which URL step.

Each process (application, objection, grant, request to open data, error report, rights-holder
objection, suggestion, opening assessment) has states and transitions; each transition names the
parties who may take it, its URL step, the ``settings.days_*`` deadline it starts and its guards
(the small functions below). Services call :meth:`Machine.check` before changing anything, the
page models show exactly :meth:`Machine.allowed`, and the API and the HTML forms route their
steps through :meth:`Machine.by_step`, so a transition that is not listed here cannot happen.
The README and the OpenAPI document show the same tables. How a machine is asked:
``statemachine.py``.
"""

from __future__ import annotations

from datasets.workflows.statemachine import (
    ANYONE,
    BUREAU,
    DEPARTMENT,
    OPERATOR,
    REQUESTER,
    SYSTEM,
    Context,
    Machine,
    Transition,
)

__all__ = [
    "ANYONE",
    "BUREAU",
    "DEPARTMENT",
    "OPERATOR",
    "REQUESTER",
    "SYSTEM",
    "Context",
    "Machine",
    "Transition",
]

# the 广州 escalation ladder of an objection, in order
STAGES = {
    "coordination": "协调",
    "joint_review": "联合会审",
    "government_ruling": "报请市人民政府裁决",
}


# -- guards: each returns why the step is refused now, or None --------------------------------


def within_correction_window(ctx: Context) -> str | None:
    """补正 may be asked only within ``days_correction_request`` working days of receipt."""
    days = ctx.settings.days_correction_request
    if ctx.today > ctx.calendar.add(ctx.record.received_on, days).on:
        return f"补正须在受理后 {days} 个工作日内提出"
    return None


def correction_not_used(ctx: Context) -> str | None:
    """补正 may be asked once."""
    return "补正只能要求一次" if ctx.record.correction_used else None


def extension_not_used(ctx: Context) -> str | None:
    """The deadline may be extended once."""
    return "答复期限只能延长一次" if ctx.record.extension_used else None


def no_refusal_after_ruling(ctx: Context) -> str | None:
    """After a ruling in the applicant's favour the department may no longer refuse."""
    if ctx.status == "ruling" and ctx.target == "refused":
        return "复核决定已撤销原不予同意决定，部门应当在期限内提供数据"
    return None


def within_objection_window(ctx: Context) -> str | None:
    """An objection is filed by the deadline the refusal named (``days_objection_filing``)."""
    deadline = (ctx.record.body or {}).get("objection_deadline")
    if deadline and str(ctx.received) > deadline:
        return f"复核申请期限已于 {deadline} 届满"
    return None


def not_yet_objected(ctx: Context) -> str | None:
    """One objection per application (``facts["objection"]``: the reference of one filed)."""
    filed = ctx.facts.get("objection")
    return f"该申请已提出过复核申请 {filed}" if filed else None


def ladder_not_finished(ctx: Context) -> str | None:
    """A step of the escalation ladder is left after the last one recorded."""
    done = [step["stage"] for step in (ctx.record.body or {}).get("escalations") or []]
    if done and done[-1] == list(STAGES)[-1]:
        return "升级阶段已全部记录"
    return None


def report_not_overdue(ctx: Context) -> str | None:
    """A grant suspended for a missing use report is restored only once the report is in."""
    grant = ctx.record
    overdue = grant.report_due_on is not None and grant.report_due_on < ctx.today
    if grant.status_reason == "missing_report" and overdue:
        return "须先报送使用情况报告"
    return None


def scope_needs_confirmation(ctx: Context) -> str | None:
    """A scope is confirmed again only when the dataset's columns no longer match it
    (``facts["scope_confirmed"]``: whether the grant still matches)."""
    if ctx.facts.get("scope_confirmed", True):
        return "授权范围与数据集现有字段一致，无需重新确认"
    return None


# -- the tables ---------------------------------------------------------------------------------

APPLICATION = Machine(
    kind="application",
    label="有条件开放申请",
    prefix="SQ",
    states={
        "submitted": "已受理，待审核",
        "correction": "待补正（计时暂停）",
        "approved": "已同意，待签署协议",
        "partial": "部分同意，待签署协议",
        "refused": "不予同意",
        "ruling": "复核改决，待部门提供",
        "granted": "已签署协议，已授权",
        "withdrawn": "已撤回",
    },
    final=frozenset({"refused", "granted", "withdrawn"}),
    transitions=(
        Transition(
            "submit", (), ("submitted",), (REQUESTER,), "提交申请", deadline="days_application"
        ),
        Transition(
            "request_correction",
            ("submitted",),
            ("correction",),
            (DEPARTMENT,),
            "要求补正",
            step="correction",
            guards=(correction_not_used, within_correction_window),
        ),
        Transition(
            "supplement",
            ("correction",),
            ("submitted",),
            (REQUESTER,),
            "补正材料",
            step="supplement",
        ),
        Transition(
            "extend",
            ("submitted",),
            ("submitted",),
            (DEPARTMENT,),
            "延长答复期限",
            step="extension",
            deadline="days_extension",
            guards=(extension_not_used,),
        ),
        Transition(
            "decide",
            ("submitted", "ruling"),
            ("approved", "partial", "refused"),
            (DEPARTMENT,),
            "作出决定",
            step="decision",
            deadline="days_objection_filing",  # a refusal opens the window to object
            guards=(no_refusal_after_ruling,),
        ),
        Transition(
            "sign",
            ("approved", "partial"),
            ("granted",),
            (REQUESTER,),
            "签署数据使用协议",
            step="sign",
        ),
        Transition(
            "withdraw",
            ("submitted", "correction", "approved", "partial"),
            ("withdrawn",),
            (REQUESTER,),
            "撤回申请",
            step="withdraw",
        ),
        Transition(
            "object",  # opens an objection (OBJECTION.submit); the application keeps its state
            ("refused", "partial"),
            ("refused", "partial"),
            (REQUESTER,),
            "申请复核",
            step="objection",
            guards=(within_objection_window, not_yet_objected),
            refusal="只有不予同意或部分同意（签署协议前）的决定可以申请复核",
        ),
        Transition(
            "overturn",
            ("refused", "partial"),
            ("ruling",),
            (SYSTEM,),
            "依复核决定改决",
            deadline="days_provide_after_ruling",
        ),
    ),
)

OBJECTION = Machine(
    kind="objection",
    label="复核申请",
    prefix="FH",
    states={
        "submitted": "已受理，复核中",
        "upheld": "维持原决定",
        "overturned": "撤销原决定，责令提供",
    },
    final=frozenset({"upheld", "overturned"}),
    transitions=(
        Transition(
            "submit",
            (),
            ("submitted",),
            (REQUESTER,),
            "提出异议",
            deadline="days_objection_decision",
        ),
        Transition(
            "escalate",
            ("submitted",),
            ("submitted",),
            (BUREAU,),
            "记录协调或会审",
            step="escalation",
            guards=(ladder_not_finished,),
        ),
        Transition(
            "decide",
            ("submitted",),
            ("upheld", "overturned"),
            (BUREAU,),
            "作出复核决定",
            step="decision",
        ),
    ),
)

_GRANT_STATE = "授权当前状态为“{state}”，不能执行此操作"

# a grant is not a case: its reference numbers (SQQ-…) and rows are its own (``grants``)
GRANT = Machine(
    kind="grant",
    label="授权",
    prefix="SQQ",
    states={"active": "有效", "suspended": "已暂停", "revoked": "已终止", "expired": "已到期"},
    final=frozenset({"revoked", "expired"}),
    transitions=(
        Transition("create", (), ("active",), (REQUESTER,), "签署协议，授权生效"),
        Transition(
            "report",
            ("active", "suspended"),
            ("active", "suspended"),
            (REQUESTER,),
            "报送使用情况报告",
            step="report",
            refusal="授权{state}，无需报送",
        ),
        Transition(
            "suspend",
            ("active",),
            ("suspended",),
            (DEPARTMENT, BUREAU, SYSTEM),
            "暂停授权",
            step="suspend",
            refusal=_GRANT_STATE,
        ),
        Transition(
            "restore",
            ("suspended",),
            ("active",),
            (DEPARTMENT, BUREAU),
            "恢复授权",
            step="restore",
            guards=(report_not_overdue,),
            refusal=_GRANT_STATE,
        ),
        Transition(
            "revoke",
            ("active", "suspended"),
            ("revoked",),
            (DEPARTMENT, BUREAU),
            "终止授权",
            step="revoke",
            refusal=_GRANT_STATE,
        ),
        Transition(
            "confirm_scope",
            ("active", "suspended"),
            ("active", "suspended"),
            (DEPARTMENT, OPERATOR),
            "确认授权范围",
            step="scope",
            guards=(scope_needs_confirmation,),
            refusal="授权{state}，无需确认授权范围",
        ),
        Transition("expire", ("active", "suspended"), ("expired",), (SYSTEM,), "授权期限届满"),
    ),
)

# -- the participation processes: guards, then the tables ------------------------------------


def no_assessment_open(ctx: Context) -> str | None:
    """One opening assessment of a dataset at a time (``facts["open_assessment"]``: the
    reference of one still open)."""
    found = ctx.facts.get("open_assessment")
    return f"该数据集的开放评估 {found} 尚未完成" if found else None


def enough_requesters(ctx: Context) -> str | None:
    """An assessment is due once ``assessment_requesters`` distinct requesters asked for the
    dataset within 12 months (``facts["requesters"]``: how many did)."""
    needed = ctx.settings.assessment_requesters
    if int(ctx.facts.get("requesters", 0)) < needed:
        return f"12 个月内提出开放需求的不同申请人不足 {needed} 位"
    return None


def withdrawal_would_stand(ctx: Context) -> str | None:
    """A withdrawal the openness engine would undo is refused: de-identified data whose
    personal columns are all masked is open by law (岳阳 第二十六条第二款) even under rule 3
    (``facts["decision"]``, and ``facts["open_by_law"]``: whether it would stay open)."""
    if ctx.facts.get("decision") == "withdraw" and ctx.facts.get("open_by_law"):
        return (
            "该数据集的个人信息字段均已脱敏，依规定脱敏后的数据应当开放，撤回不会生效；"
            "请先调整脱敏处理，或作出“处理后恢复开放”的决定"
        )
    return None


OPENING_REQUEST = Machine(
    kind="opening_request",
    label="开放需求",
    prefix="XQ",
    states={"submitted": "已受理，待答复", "answered": "已答复"},
    final=frozenset({"answered"}),
    transitions=(
        Transition(
            "submit", (), ("submitted",), (ANYONE,), "提出开放需求", deadline="days_opening_request"
        ),
        Transition("answer", ("submitted",), ("answered",), (DEPARTMENT,), "答复", step="reply"),
    ),
)

ASSESSMENT = Machine(
    kind="assessment",
    label="开放评估",
    prefix="PG",
    states={"open": "待评估", "completed": "已完成评估"},
    final=frozenset({"completed"}),
    transitions=(
        Transition(
            "open",
            (),
            ("open",),
            (SYSTEM,),
            "启动开放评估",
            deadline="days_assessment",
            guards=(no_assessment_open, enough_requesters),
        ),
        Transition(
            "complete", ("open",), ("completed",), (DEPARTMENT,), "完成评估", step="complete"
        ),
    ),
)

ERROR_REPORT = Machine(
    kind="error_report",
    label="纠错",
    prefix="JC",
    states={"submitted": "已受理，待核实", "answered": "已答复"},
    final=frozenset({"answered"}),
    transitions=(
        Transition(
            "submit", (), ("submitted",), (ANYONE,), "报告错误", deadline="days_error_report"
        ),
        Transition("answer", ("submitted",), ("answered",), (DEPARTMENT,), "答复", step="reply"),
    ),
)

RIGHTS_OBJECTION = Machine(
    kind="rights_objection",
    label="权益异议",
    prefix="QY",
    states={"suspended": "已暂停开放，待处理", "decided": "已处理"},
    final=frozenset({"decided"}),
    transitions=(
        Transition(
            "submit", (), ("suspended",), (ANYONE,), "提出权益异议", deadline="days_rights_decision"
        ),
        Transition(
            "decide",
            ("suspended",),
            ("decided",),
            (DEPARTMENT,),
            "作出处理决定",
            step="decision",
            guards=(withdrawal_would_stand,),
        ),
    ),
)

SUGGESTION = Machine(
    kind="suggestion",
    label="意见建议",
    prefix="JY",
    states={"submitted": "已受理，待答复", "answered": "已答复"},
    final=frozenset({"answered"}),
    transitions=(
        Transition(
            "submit", (), ("submitted",), (ANYONE,), "提出意见建议", deadline="days_suggestion"
        ),
        Transition("answer", ("submitted",), ("answered",), (DEPARTMENT,), "答复", step="reply"),
    ),
)

# the processes that are cases (``models.Case``), by kind
MACHINES: dict[str, Machine] = {
    m.kind: m
    for m in (
        APPLICATION,
        OBJECTION,
        OPENING_REQUEST,
        ASSESSMENT,
        ERROR_REPORT,
        RIGHTS_OBJECTION,
        SUGGESTION,
    )
}
# every machine, for the documents that show them all
ALL_MACHINES: dict[str, Machine] = {**MACHINES, GRANT.kind: GRANT}
