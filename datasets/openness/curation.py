"""Operator services of the openness engine: quarantine, masking rules, release, reclassification.

Every change re-places the dataset's stored originals through ``placement.place_file`` (the same
function a harvest uses), records the classification history and an audit row, removes from the
public root the files it no longer publishes (``public_root``) and brings the search index in
line.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.orm import Session, selectinload

from datasets.accounts.permissions import Actor, can_confirm_files, require_operator
from datasets.catalog.services import load_dataset
from datasets.errors import ValidationError
from datasets.intake import public_root
from datasets.intake.entries import apply_classification
from datasets.intake.findings import classify_files, masking_rules
from datasets.intake.gating import apply_gates, stored_files
from datasets.intake.placement import Placement, place_file
from datasets.intake.prepare import scan_report, stored_preview
from datasets.intake.storage import StoredFile
from datasets.models import AuditEntry, ClassificationEvent, Dataset, MaskingRule, Resource
from datasets.openness import rules as op
from datasets.openness.confirmations import (
    confirmation_history,
    confirmations,
    effective_pii,
    held_files,
)
from datasets.openness.masking import POLICIES, POLICIES_BY_CODE, check_rules
from datasets.runtime import Runtime


def _scanned_columns(dataset: Dataset) -> list[str]:
    return sorted({c for r in dataset.resources for c in scan_report(r.pii_report).columns})


def policy_choices() -> list[dict[str, str]]:
    return [{"code": p.code, "title": p.title, "technique": p.technique} for p in POLICIES]


def quarantined(
    session: Session, *, actor: Actor, organization_id: str | None = None
) -> list[dict[str, Any]]:
    """Quarantined datasets (of one department, or all), newest first, each with why: the
    reasons, the scanner's findings (masked examples only), the masking rules set, the
    files held for a confirmation (人工确认) with the scanner's reasons and whether ``actor``
    may confirm them, and the publish gates it failed with what the department must fix
    (``gates``: code, title, detail, fix). The caller has checked that ``actor`` may see
    these."""
    query = (
        select(Dataset)
        .where(Dataset.state == "quarantined")
        .options(selectinload(Dataset.organization), selectinload(Dataset.resources))
        .order_by(Dataset.metadata_modified.desc(), Dataset.name)
    )
    if organization_id is not None:
        query = query.where(Dataset.organization_id == organization_id)
    return [
        {
            "id": d.id,
            "name": d.name,
            "title": d.title,
            "organization": d.organization.title,
            "declared_openness": d.declared_openness,
            "since": d.metadata_modified.isoformat(),
            "reasons": d.quarantine.get("reasons", []),
            "uncovered": d.quarantine.get("uncovered", []),
            "findings": d.quarantine.get("findings", []),
            "rules": masking_rules(session, d.id),
            "held": held_files(d),
            "gates": list(d.quarantine.get("gates", [])),
            "can_confirm": can_confirm_files(actor, organization_id=d.organization_id),
        }
        for d in session.scalars(query)
    ]


def quarantine_list(rt: Runtime, *, actor: Actor) -> list[dict[str, Any]]:
    """Quarantined datasets with the scanner's findings (masked examples only) and the files
    held for a confirmation, for operators."""
    require_operator(actor)
    with rt.reader() as session:
        return quarantined(session, actor=actor)


def dataset_curation(rt: Runtime, *, name: str, actor: Actor) -> dict[str, Any]:
    """One dataset as an operator sees it: class, findings per column, rules, history."""
    require_operator(actor)
    with rt.reader() as session:
        dataset = load_dataset(session, name)
        findings = []
        for res in dataset.resources:
            for finding in scan_report(res.pii_report).findings:
                findings.append({"resource": res.name, **finding.__dict__})
        history = session.scalars(
            select(ClassificationEvent)
            .where(ClassificationEvent.dataset_id == dataset.id)
            .order_by(ClassificationEvent.id)
        ).all()
        return {
            "id": dataset.id,
            "name": dataset.name,
            "title": dataset.title,
            "organization": dataset.organization.title,
            "openness": dataset.openness,
            "state": dataset.state,
            "deidentified": dataset.deidentified,
            "declared_openness": dataset.declared_openness,
            "exclusion_rule": dataset.exclusion_rule,
            "exclusion_basis": dataset.exclusion_basis,
            "override": dict(dataset.override),
            "quarantine": dict(dataset.quarantine),
            "findings": findings,
            "held": held_files(dataset),
            "can_confirm": can_confirm_files(actor, organization_id=dataset.organization_id),
            "confirmations": confirmation_history(session, dataset.id),
            "columns": _scanned_columns(dataset),
            "rules": masking_rules(session, dataset.id),
            "history": [
                {
                    "at": e.at.isoformat(),
                    "actor": e.actor,
                    "old": e.old_openness,
                    "new": e.new_openness,
                    "old_rule": e.old_rule,
                    "new_rule": e.new_rule,
                    "reason": e.reason,
                }
                for e in history
            ],
        }


def set_masking_rules(
    rt: Runtime, *, name: str, rules: dict[str, str], actor: Actor
) -> dict[str, str]:
    """Set (or, with policy ``""``, remove) masking rules for columns of a dataset.

    Rules take effect when the dataset is next published: at release, reclassification or the
    next harvest.
    """
    require_operator(actor)
    with rt.session() as session:
        dataset = load_dataset(session, name)
        columns = _scanned_columns(dataset)
        to_set = {c: p for c, p in rules.items() if p}
        if columns:
            check_rules(to_set, columns)
        else:
            unknown = [p for p in to_set.values() if p not in POLICIES_BY_CODE]
            if unknown:
                raise ValidationError(f"未知的脱敏规则：{'、'.join(unknown)}", {"policy": unknown})
        for column, policy in rules.items():
            session.execute(
                delete(MaskingRule).where(
                    MaskingRule.dataset_id == dataset.id, MaskingRule.column == column
                )
            )
            if policy:
                session.add(
                    MaskingRule(
                        dataset_id=dataset.id, column=column, policy=policy, set_by=actor.name
                    )
                )
        session.add(
            AuditEntry(
                actor=actor.name,
                action="masking.set",
                object_type="dataset",
                object_id=dataset.id,
                detail={"rules": rules},
            )
        )
        session.flush()
        return masking_rules(session, dataset.id)


def release(rt: Runtime, *, name: str, actor: Actor, reason: str = "") -> dict[str, Any]:
    """Publish a quarantined dataset whose personal columns all have masking rules."""
    require_operator(actor)
    with rt.reader() as session:
        dataset = load_dataset(session, name)
        if dataset.state != "quarantined":
            raise ValidationError(f"数据集 {dataset.name} 不在隔离区", {"state": [dataset.state]})
    return republish(
        rt,
        name=name,
        actor=actor,
        reason=reason or "运维人员设置脱敏规则后解除隔离",
        require_release=True,
    )


def reclassify(
    rt: Runtime,
    *,
    name: str,
    openness: str,
    rule: str | None = None,
    basis: str | None = None,
    reason: str,
    actor: Actor,
) -> dict[str, Any]:
    """Give a dataset the class an operator decided; later harvests keep it."""
    require_operator(actor)
    with public_root.tracking(rt) as files, rt.session() as session:
        dataset = load_dataset(session, name)
        declaration = {"declared": openness, "rule": rule, "basis": basis}
        return reclassify_stored(rt, session, files, dataset, declaration, reason, actor=actor)


def reclassify_stored(
    rt: Runtime,
    session: Session,
    files: public_root.Tracker,
    dataset: Dataset,
    declaration: Mapping[str, str | None],
    reason: str,
    *,
    actor: Actor,
) -> dict[str, Any]:
    """``reclassify`` in the caller's transaction (a review's conclusion is recorded in the
    same one): ``declaration`` holds ``declared``, ``rule`` and ``basis``."""
    if not (reason or "").strip():
        raise ValidationError("重新分类须说明理由", {"reason": ["required"]})
    rule, basis = declaration.get("rule") or None, declaration.get("basis") or None
    op.classify(declared=declaration["declared"], rule=rule, basis=basis)  # refuse early
    dataset.override = {
        "declared": declaration["declared"],
        "rule": rule,
        "basis": basis,
        "by": actor.name,
        "reason": reason.strip(),
        "at": datetime.now(UTC).isoformat(),
    }
    files.note(session, dataset.id)
    result = republish_stored(
        rt, session, dataset, actor=actor.name, reason=f"运维人员重新分类：{reason.strip()}"
    )
    dataset.content_hash = None  # the next harvest re-imports under the new decision
    return result


def republish(
    rt: Runtime, *, name: str, actor: Actor, reason: str, require_release: bool = False
) -> dict[str, Any]:
    """Place a dataset's stored files again under its current declaration, masking rules and
    confirmations (the caller has checked who may do this)."""
    with public_root.tracking(rt) as files, rt.session() as session:
        dataset = load_dataset(session, name)
        files.note(session, dataset.id)
        result = republish_stored(
            rt, session, dataset, actor=actor.name, reason=reason, require_release=require_release
        )
        dataset.content_hash = None  # the next harvest re-imports under the new decision
    return result


def republish_stored(
    rt: Runtime,
    session: Session,
    dataset: Dataset,
    *,
    actor: str,
    reason: str,
    require_release: bool = False,
) -> dict[str, Any]:
    """Classify ``dataset`` again from its stored originals, scans and masking rules, and
    re-place its files accordingly (``placement.place_file`` moves an original between the
    roots when its class asks for it), in the caller's transaction. The caller notes the
    dataset's public files in a ``public_root.Tracker`` first and finishes it after the
    commit, so the files it no longer publishes leave the public root."""
    now = datetime.now(UTC)
    rules = masking_rules(session, dataset.id)
    declared = dataset.override or {
        "declared": dataset.declared_openness,
        "rule": dataset.exclusion_rule,
        "basis": dataset.exclusion_basis,
    }
    declared = {k: declared.get(k) for k in ("declared", "rule", "basis")}
    resources = [r for r in dataset.resources if not r.unmirrored]  # links hold no bytes
    confirmed = confirmations(session, dataset.id)
    piis = {r.id: effective_pii(r.pii_report, r.sha256, confirmed) for r in resources}
    classification = classify_files(
        declared, [(r.name, r.format, piis[r.id]) for r in resources], rules
    )
    classification = apply_gates(
        session,
        classification,
        dataset,
        stored_files(resources) if classification.stores_files else [],
        dataset_id=dataset.id,
    )
    if require_release and classification.state == "quarantined":
        _refuse_release(classification)
    files: list[tuple[Resource, Placement]] = []
    if classification.stores_files:
        withheld = dataset.suspended_by is not None
        files = [
            (res, _place_stored(rt, res, classification, piis[res.id], rules, withheld=withheld))
            for res in resources
        ]
    apply_classification(
        session, dataset, classification, files, actor=actor, now=now, reason=reason
    )
    return {
        "name": dataset.name,
        "openness": dataset.openness,
        "state": dataset.state,
        "deidentified": dataset.deidentified,
    }


def _refuse_release(classification: op.Classification) -> None:
    """Why a dataset cannot leave the quarantine: personal columns without a masking rule
    (the operator sets them), or publish gates only the department's source can fix."""
    if classification.uncovered:
        raise ValidationError(
            "以下个人信息字段尚无脱敏规则，不能解除隔离：" + "、".join(classification.uncovered),
            {"uncovered": list(classification.uncovered)},
        )
    failed = [f"{g['title']}（{g['detail']}）" for g in classification.gates]
    raise ValidationError(
        "未通过发布检查，不能解除隔离：" + "；".join(failed) + "。须由提供部门修正后重新报送",
        {"gates": [g["code"] for g in classification.gates]},
    )


def _place_stored(
    rt: Runtime,
    res: Resource,
    classification: op.Classification,
    pii: dict[str, Any],
    rules: dict[str, str],
    *,
    withheld: bool,
) -> Placement:
    """Place a resource's stored original again under ``classification``."""
    stored = StoredFile(res.storage_root, res.storage_key, res.sha256, res.size)
    path = rt.store.path(res.storage_root, res.storage_key)
    return place_file(
        rt,
        path=path,
        fmt=res.format,
        classification=classification,
        pii=pii,
        rules=rules,
        report=res.validation_report,
        raw_preview=stored_preview(path, res.format),
        stored_original=stored,
        withheld=withheld,
    )


def suggested_rules(info: dict[str, Any]) -> dict[str, str]:
    """The default masking policy of each personal column, for an operator to start from."""
    from datasets.openness.masking import default_rules

    personal = [(f["column"], f["kind"]) for f in info["findings"] if f.get("personal")]
    return {**default_rules(personal), **info["rules"]}
