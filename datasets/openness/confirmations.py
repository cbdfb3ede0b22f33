"""人工确认: a file the scanner could not read (an image, a scanned PDF page, an encrypted or
over-large file, an undecodable text) is held until its department's reviewer or an operator
confirms it holds no personal information. A confirmation names exactly that file (its
SHA-256): a changed file is held again.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, selectinload

from datasets.accounts.permissions import (
    Actor,
    can_confirm_files,
    can_confirm_files_of_every_department,
    can_confirm_held_files,
    can_see_dataset,
)
from datasets.catalog.services import load_dataset
from datasets.errors import Conflict, LoginRequired, NotAuthorized, NotFound, ValidationError
from datasets.intake.prepare import scan_report
from datasets.models import AuditEntry, Dataset, FileConfirmation, Resource
from datasets.runtime import Runtime

MAX_NOTE = 2000


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


def confirmation_history(session: Session, dataset_id: str) -> list[dict[str, Any]]:
    """Every confirmation of a dataset's files, oldest first: which file, who, when, the note
    and the reasons the file had been held for."""
    rows = session.scalars(
        select(FileConfirmation)
        .where(FileConfirmation.dataset_id == dataset_id)
        .order_by(FileConfirmation.confirmed_at, FileConfirmation.id)
    ).all()
    return [
        {
            "resource": row.resource_name,
            "by": row.confirmed_by,
            "at": row.confirmed_at.isoformat(),
            "note": row.note,
            "reasons": row.reason.split("\n") if row.reason else [],
        }
        for row in rows
    ]


def _signed_in_confirmer(actor: Actor) -> None:
    """401 for the anonymous, 403 for accounts that can confirm no file at all."""
    if can_confirm_held_files(actor):  # also the command line (an operator, no user)
        return
    if actor.is_anonymous:
        raise LoginRequired("请先登录")
    raise NotAuthorized("仅数据提供部门的审核人员或平台运维人员可确认文件")


def _authorize(actor: Actor, dataset: Dataset, name: str) -> None:
    """The caller may confirm this dataset's files. A dataset the caller may not even see (one
    of another department that is not public) answers as one that does not exist."""
    _signed_in_confirmer(actor)
    if not can_confirm_files(actor, organization_id=dataset.organization_id):
        if not can_see_dataset(actor, state=dataset.state):
            raise NotFound(f"未找到数据集 {name}")
        raise NotAuthorized("仅该数据集的提供部门审核人员或平台运维人员可确认")


def authorize_confirmation(rt: Runtime, *, name: str, actor: Actor) -> None:
    """The checks ``confirm_file`` makes before it reads its input (401, 404, 403), for a
    caller that must parse a request body only once the caller is known to be allowed."""
    _signed_in_confirmer(actor)
    with rt.reader() as session:
        _authorize(actor, load_dataset(session, name), name)


def _item(dataset: Dataset, actor: Actor) -> dict[str, Any]:
    return {
        "name": dataset.name,
        "title": dataset.title,
        "organization": {"name": dataset.organization.name, "title": dataset.organization.title},
        "state": dataset.state,
        "since": dataset.metadata_modified.isoformat(),
        "reasons": list((dataset.quarantine or {}).get("reasons", [])),
        "held": held_files(dataset),
        "gates": list((dataset.quarantine or {}).get("gates", [])),
        "can_confirm": can_confirm_files(actor, organization_id=dataset.organization_id),
    }


def held_list(rt: Runtime, *, actor: Actor) -> list[dict[str, Any]]:
    """The quarantined datasets with files waiting for a confirmation that the caller may
    confirm: every one for an operator, those of the reviewer's own department for a
    reviewer. Newest first."""
    _signed_in_confirmer(actor)
    query = (
        select(Dataset)
        .where(Dataset.state == "quarantined")
        .options(selectinload(Dataset.resources), selectinload(Dataset.organization))
        .order_by(Dataset.metadata_modified.desc(), Dataset.name)
    )
    if not can_confirm_files_of_every_department(actor):
        if not actor.organization_id:
            return []
        query = query.where(Dataset.organization_id == actor.organization_id)
    with rt.reader() as session:
        items = [_item(d, actor) for d in session.scalars(query)]
    return [i for i in items if i["held"] and i["can_confirm"]]


def _check_note(note: object) -> str:
    if note is not None and not isinstance(note, str):
        raise ValidationError("说明须为文字", {"note": ["须为文字"]})
    text = (note or "").strip()
    if len(text) > MAX_NOTE:
        raise ValidationError(f"说明不能超过 {MAX_NOTE} 字", {"note": ["too long"]})
    return text


def _held_resource(dataset: Dataset, resource_id: str) -> tuple[Resource, list[str]]:
    """The file to confirm and why it is held (404 no such file, 409 withdrawn or not held)."""
    resource = next((r for r in dataset.resources if r.id == resource_id), None)
    if resource is None:
        raise NotFound("该数据集没有这个文件")
    if dataset.state == "withdrawn":
        raise Conflict(f"数据集 {dataset.name} 已撤回，不能确认其文件")
    held = scan_report(resource.pii_report).held
    if not held:
        raise Conflict("该文件已完成扫描或已确认，无需人工确认")
    return resource, list(held)


def _record(
    session: Session, dataset: Dataset, resource: Resource, held: list[str], note: str, actor: Actor
) -> None:
    """The confirmation (once per file content) and its audit row."""
    recorded = session.scalar(
        select(FileConfirmation.id).where(
            FileConfirmation.dataset_id == dataset.id,
            FileConfirmation.sha256 == resource.sha256,
        )
    )
    if recorded is None:  # else: recorded, but the dataset was not republished since
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
            detail={"resource": resource.name, "sha256": resource.sha256, "held": held},
        )
    )


def confirm_file(
    rt: Runtime, *, name: str, resource_id: str, note: object, actor: Actor
) -> dict[str, Any]:
    """Record that a held file of a dataset holds no personal information, then publish the
    dataset again under the same rules (the file is published only if nothing else holds it).

    Refuses: 401 anonymous; 404 unknown dataset (or one the caller may not see) or file; 403
    another department's reviewer; 400 a note that is not text or too long; 409 a withdrawn
    dataset, or a file that is not (or no longer) held. The answer says what became of the
    dataset: ``published``, and what still holds it (``held`` files, ``uncovered`` personal
    columns without a masking rule), with ``message`` saying so in a sentence.
    """
    from datasets.openness.curation import republish

    _signed_in_confirmer(actor)
    try:
        with rt.session() as session:
            dataset = load_dataset(session, name)
            _authorize(actor, dataset, name)
            text = _check_note(note)
            resource, held = _held_resource(dataset, resource_id)
            _record(session, dataset, resource, held, text, actor)
            dataset_name, resource_name = dataset.name, resource.name
    except IntegrityError:  # the same file confirmed by someone else at this moment
        raise Conflict("该文件刚刚已由他人确认，请刷新后查看") from None
    reason = f"人工确认文件 {resource_name} 不含个人信息"
    result = republish(rt, name=dataset_name, actor=actor, reason=reason)
    return _outcome(rt, result, resource={"id": resource_id, "name": resource_name})


def _outcome(rt: Runtime, result: dict[str, Any], *, resource: dict[str, str]) -> dict[str, Any]:
    """What became of the dataset after a confirmation, in values and in a sentence."""
    from datasets.intake.findings import held_column
    from datasets.openness.rules import OPENNESS_TITLES, UNCONDITIONAL

    with rt.reader() as session:
        dataset = load_dataset(session, result["name"])
        still_held = held_files(dataset)
        uncovered = list((dataset.quarantine or {}).get("uncovered", []))
        gates = list((dataset.quarantine or {}).get("gates", []))
        title = dataset.title
    marks = {held_column(f["name"]) for f in still_held}
    personal = [c for c in uncovered if c not in marks]
    published = result["state"] == "active"
    done = f"已确认文件 {resource['name']} 不含个人信息"
    if published:
        kind = "（个人信息字段已脱敏）" if result["deidentified"] else ""
        if result["openness"] != UNCONDITIONAL:
            kind = f"（{OPENNESS_TITLES.get(result['openness'], result['openness'])}）"
        message = f"{done}，数据集 {title} 已发布{kind}。"
    else:
        waits = []
        if still_held:
            names = "、".join(f["name"] for f in still_held)
            waits.append(f"还有 {len(still_held)} 个文件待人工确认（{names}）")
        if personal:
            waits.append(f"个人信息字段尚无脱敏规则（{'、'.join(personal)}），待运维人员设置")
        if gates:
            failed = "、".join(g["title"] for g in gates)
            waits.append(f"未通过发布检查（{failed}），待提供部门修正后重新报送")
        why = "；".join(waits) or "、".join(uncovered)
        message = f"{done}。数据集 {title} 仍在隔离中：{why}。"
    return {
        **result,
        "title": title,
        "resource": resource,
        "published": published,
        "held": still_held,
        "uncovered": personal,
        "gates": gates,
        "message": message,
    }
