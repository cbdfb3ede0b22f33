"""The guards of the participation processes' transitions (the tables are in ``machine.py``):
each returns why the step is refused now, or None. What a guard cannot look up itself, the
process passes in ``Context.facts``."""

from __future__ import annotations

from datasets.workflows.statemachine import Context


def no_assessment_open(ctx: Context) -> str | None:
    """One opening assessment of a dataset at a time (``facts["open_assessment"]``: the
    reference of one still open)."""
    found = ctx.facts.get("open_assessment")
    return f"该数据集的开放评估 {found} 尚未完成" if found else None


def enough_requesters(ctx: Context) -> str | None:
    """An assessment is due once ``assessment_requesters`` distinct verified requesters asked
    for the dataset within 12 months (``facts["requesters"]``: how many did)."""
    needed = ctx.settings.assessment_requesters
    if int(ctx.facts.get("requesters", 0)) < needed:
        return f"12 个月内提出开放需求、联系方式经验证的不同申请人不足 {needed} 位"
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
