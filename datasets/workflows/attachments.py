"""Supporting documents of an application (证明材料): PDF, PNG or JPEG, recognised by their first
bytes (never by their name or the type the browser claims), no larger than
``attachment_max_bytes``, at most ``MAX_PER_CASE`` per application.

They are kept outside the file store (``<instance>/attachments/<case id>/``: no web server
location and no garbage collection reaches them), listed on the case (``body["attachments"]``)
and shown only to the applicant who attached them and to the case's handlers: the reviewers of
its department and the bureau. The public record of a case never mentions them.
"""

from __future__ import annotations

import hashlib
import os
import re
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from datasets.accounts import permissions as may
from datasets.accounts.permissions import Actor
from datasets.errors import Conflict, NotAuthorized, NotFound, ValidationError
from datasets.models import Case, new_id
from datasets.runtime import Runtime
from datasets.workflows import cases as c
from datasets.workflows.machine import APPLICATION

MAX_PER_CASE = 10
# the states in which the applicant may still add documents (before the decision)
OPEN_STATES = ("submitted", "correction")
# the first bytes of each accepted kind → (extension, media type, label)
KINDS: tuple[tuple[bytes, str, str, str], ...] = (
    (b"%PDF-", "pdf", "application/pdf", "PDF"),
    (b"\x89PNG\r\n\x1a\n", "png", "image/png", "PNG 图片"),
    (b"\xff\xd8\xff", "jpg", "image/jpeg", "JPEG 图片"),
)
_UNSAFE_NAME = re.compile(r"[\x00-\x1f\x7f/\\<>:\"|?*]+")


@dataclass(frozen=True)
class Upload:
    """One uploaded document as the web layer received it."""

    filename: str
    content: bytes


def kind_of(content: bytes) -> tuple[str, str, str] | None:
    """(extension, media type, label) of a PDF, PNG or JPEG by its first bytes; None else."""
    for magic, extension, media_type, label in KINDS:
        if content.startswith(magic):
            return extension, media_type, label
    return None


def clean_name(filename: str, extension: str) -> str:
    """A display name: the uploaded name without path or control characters, ending in the
    extension its content has."""
    base = _UNSAFE_NAME.sub("_", Path(filename or "").name).strip(" ._")[:100] or "证明材料"
    stem = base.rsplit(".", 1)[0] if "." in base else base
    return f"{stem}.{extension}"


def check(upload: Upload, max_bytes: int) -> tuple[str, str, str]:
    """Refuse an empty, oversized or unrecognised document (400); its kind otherwise."""
    if not upload.content:
        raise ValidationError("请选择要上传的证明材料", {"attachment": ["文件为空"]})
    if len(upload.content) > max_bytes:
        limit = f"{max_bytes / 1024 / 1024:.1f} MB"
        raise ValidationError(
            f"证明材料不能超过 {limit}", {"attachment": [f"文件大小超过 {limit}"]}
        )
    kind = kind_of(upload.content)
    if kind is None:
        raise ValidationError(
            "证明材料须为 PDF、PNG 或 JPEG 文件（按文件内容识别）",
            {"attachment": ["文件内容不是 PDF、PNG 或 JPEG"]},
        )
    return kind


def folder(rt: Runtime, case_id: str) -> Path:
    return rt.paths.root / "attachments" / case_id


def _write(target: Path, content: bytes) -> None:
    """Write ``content`` to ``target`` atomically (a temporary file renamed into place)."""
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=target.parent, suffix=".part")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(content)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, target)
    except BaseException:  # a full disk: no partial file stays behind
        Path(tmp).unlink(missing_ok=True)
        raise


def may_read(actor: Actor, case: Case) -> bool:
    """The applicant who attached them and the case's handlers (department and bureau)."""
    return (
        may.is_requester(actor, case.requester_id)
        or may.can_act_for_department(actor, case.organization_id)
        or may.can_supervise(actor)
    )


def attach(rt: Runtime, actor: Actor, application_id: str, upload: Upload) -> dict[str, Any]:
    """The applicant adds a supporting document to their application before its decision.
    The file is written before the row that lists it commits, and removed again when that
    commit fails (the database went away): no file stays that no row lists."""
    c.require_signed_in(actor)
    written: list[Path] = []
    try:
        return _attach(rt, actor, application_id, upload, written)
    except BaseException:
        for path in written:
            path.unlink(missing_ok=True)
        raise


def _attach(
    rt: Runtime, actor: Actor, application_id: str, upload: Upload, written: list[Path]
) -> dict[str, Any]:
    with rt.session() as session:
        case = c.load_case(session, application_id, APPLICATION.kind, lock=True)
        if not c.can_view(actor, case):
            raise NotFound(f"未找到{APPLICATION.label} {application_id}")
        if not may.is_requester(actor, case.requester_id):
            raise NotAuthorized("只有申请人可以上传证明材料")
        if case.status not in OPEN_STATES:
            raise Conflict("申请已作出决定，不能再上传证明材料")
        listed = list((case.body or {}).get("attachments") or [])
        if len(listed) >= MAX_PER_CASE:
            raise Conflict(f"每件申请最多上传 {MAX_PER_CASE} 份证明材料")
        extension, media_type, label = check(upload, rt.settings.attachment_max_bytes)
        item: dict[str, Any] = {
            "id": new_id(),
            "name": clean_name(upload.filename, extension),
            "extension": extension,
            "media_type": media_type,
            "kind_label": label,
            "size": len(upload.content),
            "sha256": hashlib.sha256(upload.content).hexdigest(),
            "at": c.now_utc().isoformat(),
        }
        target = folder(rt, case.id) / f"{item['id']}.{extension}"
        written.append(target)
        _write(target, upload.content)
        case.body = {**case.body, "attachments": [*listed, item]}
        c.audit(session, actor, "application.attach", case, attachment=item["name"])
        return item


def listed(case: Case) -> list[dict[str, Any]]:
    """The documents of a case, oldest first, with their links (for a page already limited to
    those who may read them)."""
    return [
        {**item, "link": f"/services/application/{case.id}/attachments/{item['id']}"}
        for item in (case.body or {}).get("attachments") or []
    ]


@dataclass(frozen=True)
class StoredAttachment:
    path: Path
    name: str
    media_type: str


def open_attachment(
    rt: Runtime, actor: Actor, application_id: str, attachment_id: str
) -> StoredAttachment:
    """One document for the applicant or a handler of the case; NotFound for anyone else."""
    c.require_signed_in(actor)
    with rt.reader() as session:
        case = c.load_case(session, application_id, APPLICATION.kind)
        if not may_read(actor, case):
            raise NotFound("未找到该证明材料")
        item = next(
            (a for a in (case.body or {}).get("attachments") or [] if a["id"] == attachment_id),
            None,
        )
        if item is None:
            raise NotFound("未找到该证明材料")
        path = folder(rt, case.id) / f"{item['id']}.{item['extension']}"
    if not path.is_file():
        raise NotFound("该证明材料的文件已不在本平台")
    return StoredAttachment(path, item["name"], item["media_type"])
