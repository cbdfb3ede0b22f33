"""The guards of the public services' transitions: each a small function over a
``statemachine.Context`` that returns why the step is refused now (in Chinese), or None. The
table in ``machine.py`` names which transition each guards; a test per guard shows that the
step is refused without it.
"""

from __future__ import annotations

from datasets.workflows.statemachine import Context

# the 广州 escalation ladder of an objection, in order
STAGES = {
    "coordination": "协调",
    "joint_review": "联合会审",
    "government_ruling": "报请市人民政府裁决",
}


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
    """An objection is filed by the deadline the decision named (``days_objection_filing``):
    an application's or an answered request's ``objection_deadline``, or for a grant the one
    its suspension or revocation opened (``facts["objection_deadline"]``)."""
    body = getattr(ctx.record, "body", None) or {}
    deadline = ctx.facts.get("objection_deadline") or body.get("objection_deadline")
    if deadline and str(ctx.received) > deadline:
        return f"复核申请期限已于 {deadline} 届满"
    return None


def not_yet_objected(ctx: Context) -> str | None:
    """One objection per decision (``facts["objection"]``: the reference of one filed)."""
    filed = ctx.facts.get("objection")
    return f"该事项已提出过复核申请 {filed}" if filed else None


def appealable_grant_status(ctx: Context) -> str | None:
    """A suspension for a missing use report is lifted by filing the report, not by 复核."""
    if ctx.record.status_reason == "missing_report":
        return "因逾期未报送使用情况报告而暂停的授权，报送报告后即恢复，无需申请复核"
    return None


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


def final_report_owed(ctx: Context) -> str | None:
    """The end-of-term use report is filed once, after the grant ended."""
    if getattr(ctx.record, "final_report_due_on", None) is None:
        return "期末使用情况报告已报送或无需报送"
    return None
