"""人工确认: a file the scanner could not read (an image, a scanned PDF page, an encrypted or
over-large file, an undecodable text) is held until its department's reviewer or an operator
confirms it holds no personal information. A confirmation names exactly that file (its
SHA-256): a changed file is held again.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.orm import Session, selectinload

from .access import Actor
from .errors import NotAuthorized, NotFound, ValidationError
from .intake import scan_report
from .models import AuditEntry, Dataset, FileConfirmation
from .runtime import Runtime

MAX_NOTE = 2000


def can_confirm_files(actor: Actor, *, organization_id: str) -> bool:
    """Operators, and the reviewers of the dataset's own department."""
    if "operator" in actor.roles:
        return True
    return "reviewer" in actor.roles and actor.organization_id == organization_id


def confirmations(session: Session, dataset_id: str | None) -> dict[str, dict[str, Any]]:
    """The confirmed files of a dataset: SHA-256 → who confirmed, when, and why it was held."""
    if dataset_id is None:
        return {}
    rows = session.scalars(
        select(FileConfirmation).where(FileConfirmation.dataset_id == dataset_id)
    ).all()
    return {
        row.sha256: {
            "by": row.confirmed_by,
            "at": row.confirmed_at.isoformat(),
            "reasons": row.reason.split("\n") if row.reason else [],
            "note": row.note,
        }
        for row in rows
    }


def effective_pii(
    pii: dict[str, Any], sha256: str, confirmed: dict[str, dict[str, Any]]
) -> dict[str, Any]:
    """A file's scan report with its confirmation applied: a confirmed file is no longer held
    (the reasons stay on record under ``confirmed``)."""
    if not pii.get("held") and not pii.get("failed"):
        return pii
    confirmation = confirmed.get(sha256)
    if confirmation is None:
        return pii
    out = {k: v for k, v in pii.items() if k not in ("held", "failed")}
    out["confirmed"] = confirmation
    return out


def held_files(dataset: Dataset) -> list[dict[str, Any]]:
    """The files of a dataset that wait for a confirmation, with the reasons."""
    return [
        {"resource_id": r.id, "name": r.name, "format": r.format, "reasons": list(held)}
        for r in dataset.resources
        if (held := scan_report(r.pii_report).held)
    ]


def _load(session: Session, name: str) -> Dataset:
    dataset = session.scalar(
        select(Dataset)
        .where(or_(Dataset.name == name, Dataset.id == name))
        .options(selectinload(Dataset.resources))
    )
    if dataset is None:
        raise NotFound(f"未找到数据集 {name}")
    return dataset


def confirm_file(
    rt: Runtime, *, name: str, resource_id: str, note: str, actor: Actor
) -> dict[str, Any]:
    """Record that a held file of a dataset holds no personal information, then publish the
    dataset again under the same rules (the file is published only if nothing else holds it).
    """
    from .curation import republish

    if actor.is_anonymous:
        raise NotAuthorized("请先登录")
    with rt.session() as session:
        dataset = _load(session, name)
        if not can_confirm_files(actor, organization_id=dataset.organization_id):
            raise NotAuthorized("仅该数据集的提供部门审核人员或平台运维人员可确认")
        note = (note or "").strip()
        if len(note) > MAX_NOTE:
            raise ValidationError(f"说明不能超过 {MAX_NOTE} 字", {"note": ["too long"]})
        resource = next((r for r in dataset.resources if r.id == resource_id), None)
        if resource is None:
            raise NotFound("该数据集没有这个文件")
        held = scan_report(resource.pii_report).held
        if not held:
            raise ValidationError("该文件已完成扫描，无需人工确认", {"resource": ["not held"]})
        session.add(
            FileConfirmation(
                dataset_id=dataset.id,
                sha256=resource.sha256,
                resource_name=resource.name,
                reason="\n".join(held),
                confirmed_by=actor.name,
                confirmed_at=datetime.now(UTC),
                note=note,
            )
        )
        session.add(
            AuditEntry(
                actor=actor.name,
                action="file.confirm",
                object_type="dataset",
                object_id=dataset.id,
                detail={"resource": resource.name, "sha256": resource.sha256, "held": list(held)},
            )
        )
        dataset_name, resource_name = dataset.name, resource.name
    reason = f"人工确认文件 {resource_name} 不含个人信息"
    return republish(rt, name=dataset_name, actor=actor, reason=reason)
