"""What the scanner's findings make of a dataset's declared class: personal columns, masking
rules, files held for a person's confirmation (人工确认).

A harvest classifies a record's declaration once (``planning``) and completes that class here
with its files' scans (``classify_scanned``); an operator's change classifies a stored dataset
from its declaration and stored scans (``classify_files``).
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from datasets.intake.prepare import PreparedFile, scan_report
from datasets.models import MaskingRule
from datasets.openness import rules as op
from datasets.openness.confirmations import confirmations, effective_pii
from datasets.runtime import Runtime


def masking_rules(session: Session, dataset_id: str | None) -> dict[str, str]:
    if dataset_id is None:
        return {}
    rows = session.execute(
        select(MaskingRule.column, MaskingRule.policy).where(MaskingRule.dataset_id == dataset_id)
    ).all()
    return {column: policy for column, policy in rows}


def held_column(name: str) -> str:
    """The uncovered column that stands for a held file (one the scanner could not read)."""
    return f"{name}（无法扫描，待人工确认）"


def personal_columns(pii_reports: list[dict[str, Any]], names: list[str]) -> list[str]:
    """Personal columns over all files, in order; a file the scanner could not read (wholly or
    in part) counts as an uncovered column so that it is never published unchecked."""
    columns: list[str] = []
    for pii, name in zip(pii_reports, names, strict=True):
        report = scan_report(pii)
        if report.held:
            columns.append(held_column(name))
        for column in report.personal_columns:
            if column not in columns:
                columns.append(column)
    return columns


def classify_files(
    declared: dict[str, Any],
    files: list[tuple[str, str, dict[str, Any]]],
    rules: dict[str, str],
) -> op.Classification:
    """The class of a dataset from its declaration (``declared``, ``rule``, ``basis``), its
    files' scans ((name, format, scan report) each) and its masking rules."""
    return classify_scanned(op.classify(**declared), files, rules)


def classify_scanned(
    declared: op.Classification,
    files: list[tuple[str, str, dict[str, Any]]],
    rules: dict[str, str],
) -> op.Classification:
    """The class its declaration gives a dataset (``declared``, classified before any scan),
    completed with its files' scans ((name, format, scan report) each) and its masking rules.
    Personal values outside a table (another sheet, a comment, a title row) need a rule too: a
    person decides, even though a masked copy never carries them as they are."""
    personal = personal_columns([pii for _, _, pii in files], [name for name, _, _ in files])
    classification = op.with_findings(declared, personal, rules)
    held = [name for name, _, pii in files if scan_report(pii).held]
    if classification.state != "quarantined" or not held:
        return classification
    # say which files wait for a person rather than calling them personal information
    marks = {held_column(name) for name in held}
    found = [c for c in classification.uncovered if c not in marks]
    reasons = [f"有 {len(held)} 个文件无法扫描，须人工确认不含个人信息：" + "、".join(held)]
    if found:
        reasons.insert(0, "部门声明无条件开放，但扫描发现个人信息：" + "、".join(found))
    reasons.append(
        "暂停发布，待提供部门审核人员或运维人员人工确认文件"
        + ("，并由运维人员设置脱敏规则或重新分类" if found else "")
    )
    return replace(classification, reasons=tuple(reasons))


def with_confirmations(
    rt: Runtime, dataset_id: str | None, prepared: list[PreparedFile]
) -> list[PreparedFile]:
    """The prepared files with the department's confirmations (人工确认) applied."""
    if dataset_id is None or not any(scan_report(p.pii).held for p in prepared):
        return prepared
    with rt.reader() as session:
        confirmed = confirmations(session, dataset_id)
    return [replace(p, pii=effective_pii(p.pii, p.sha256, confirmed)) for p in prepared]
