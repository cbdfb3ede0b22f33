"""The state machines of the public services, written out as data: the one table of who may do
what, when, with which deadline and through which URL step.

Each process (application, objection, grant, request to open data, error report, rights-holder
objection, suggestion, opening assessment) has states and transitions; each transition names
the parties who may take it, its URL step, the ``settings.days_*`` deadline it starts and its
guards (small functions in ``guards.py``). Services call :meth:`Machine.check` before changing
anything, the page models show exactly :meth:`Machine.allowed`, and the API and the HTML forms
route their steps through :meth:`Machine.by_step`, so a transition not listed here cannot
happen.
The README and the OpenAPI document show the same tables. How a machine is asked:
``statemachine.py``.
"""

# size: the one table of who may do what in every process, read as a whole; it holds data only
# (the guards are in guards.py, how a machine is asked in statemachine.py)

from __future__ import annotations

from datasets.workflows.guards import (
    STAGES,
    appealable_grant_status,
    correction_not_used,
    extension_not_used,
    final_report_owed,
    ladder_not_finished,
    no_refusal_after_ruling,
    not_yet_objected,
    report_not_overdue,
    scope_needs_confirmation,
    within_correction_window,
    within_objection_window,
)
from datasets.workflows.participation_guards import (
    enough_requesters,
    no_assessment_open,
    withdrawal_would_stand,
)
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
    "STAGES",
    "SYSTEM",
    "Context",
    "Machine",
    "Transition",
]

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
        Transition(
            "final_report",
            ("expired", "revoked"),
            ("expired", "revoked"),
            (REQUESTER,),
            "报送期末使用情况报告",
            step="final-report",
            guards=(final_report_owed,),
            refusal="授权{state}，期末使用情况报告在授权到期或终止后报送",
        ),
        Transition("expire", ("active", "suspended"), ("expired",), (SYSTEM,), "授权期限届满"),
        Transition(
            "object",  # opens an objection (OBJECTION.submit); the grant keeps its state
            ("suspended", "revoked"),
            ("suspended", "revoked"),
            (REQUESTER,),
            "申请复核",
            step="objection",
            guards=(appealable_grant_status, within_objection_window, not_yet_objected),
            refusal="只有被暂停或终止的授权可以申请复核（授权{state}）",
        ),
        Transition(
            "overturn", ("suspended", "revoked"), ("active",), (SYSTEM,), "依复核决定恢复授权"
        ),
    ),
)

OPENING_REQUEST = Machine(
    kind="opening_request",
    label="开放需求",
    prefix="XQ",
    states={
        "submitted": "已受理，待答复",
        "answered": "已答复",
        "ruling": "复核撤销原答复，待部门重新答复",
    },
    final=frozenset({"answered"}),
    transitions=(
        Transition(
            "submit", (), ("submitted",), (ANYONE,), "提出开放需求", deadline="days_opening_request"
        ),
        Transition(
            "answer",
            ("submitted", "ruling"),
            ("answered",),
            (DEPARTMENT,),
            "答复",
            step="reply",
            deadline="days_objection_filing",  # an answer opens the window to object
        ),
        Transition(
            "object",  # opens an objection (OBJECTION.submit); the request stays answered
            ("answered",),
            ("answered",),
            (REQUESTER,),
            "申请复核",
            step="objection",
            guards=(within_objection_window, not_yet_objected),
            refusal="只有已答复的开放需求可以申请复核",
        ),
        Transition(
            "overturn",
            ("answered",),
            ("ruling",),
            (SYSTEM,),
            "依复核决定重新答复",
            deadline="days_opening_request",
        ),
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
    states={
        "suspended": "已暂停开放，待处理",
        "pending": "待部门决定是否暂停开放",
        "reviewing": "未暂停开放，待处理",
        "decided": "已处理",
    },
    final=frozenset({"decided"}),
    transitions=(
        # an identified rights holder suspends at once; anyone else's objection waits for the
        # department's decision on suspension (``days_rights_suspension``, see rights.py)
        Transition(
            "submit",
            (),
            ("suspended", "pending"),
            (ANYONE,),
            "提出权益异议",
            deadline="days_rights_decision",
        ),
        Transition(
            "decide",
            ("suspended", "pending", "reviewing"),
            ("decided",),
            (DEPARTMENT,),
            "作出处理决定",
            step="decision",
            guards=(withdrawal_would_stand,),
        ),
        Transition(
            "weigh",
            ("pending",),
            ("suspended", "reviewing"),
            (DEPARTMENT,),
            "决定是否暂停开放",
            step="suspension",
            deadline="days_rights_decision",
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

REVIEW = Machine(
    kind="review",
    label="定期评估审查",
    prefix="SC",
    states={"open": "待审查", "completed": "已完成审查"},
    final=frozenset({"completed"}),
    transitions=(
        Transition("open", (), ("open",), (SYSTEM,), "启动定期评估审查", deadline="days_review"),
        Transition(
            "complete", ("open",), ("completed",), (DEPARTMENT,), "作出审查结论", step="complete"
        ),
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
        REVIEW,
    )
}
# every machine, for the documents that show them all
ALL_MACHINES: dict[str, Machine] = {**MACHINES, GRANT.kind: GRANT}
