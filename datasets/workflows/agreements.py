"""The data-use agreement an applicant signs before a grant exists (数据使用协议): the newest
template under ``config/agreements/<version>.md``, with its SHA-256 recorded on the grant.

It can be read before applying (the template), is shown at signing as a document naming the
parties, the dataset, the fields and the period, and once signed is kept with the grant: the
version signed, read back from its file and checked against the recorded SHA-256."""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import select

from datasets.accounts.permissions import Actor
from datasets.errors import NotFound
from datasets.models import Dataset, Grant, Organization, User
from datasets.runtime import Runtime
from datasets.text import render_markdown
from datasets.workdays import SHANGHAI

AGREEMENTS = Path(__file__).resolve().parents[2] / "config" / "agreements"
_VERSION = re.compile(r"[0-9A-Za-z][0-9A-Za-z._-]{0,40}")


@dataclass(frozen=True)
class Agreement:
    version: str
    text: str
    sha256: str

    @property
    def title(self) -> str:
        """The template's first heading (``# …``)."""
        first = self.text.lstrip().splitlines()[0] if self.text.strip() else ""
        return first.lstrip("#").strip() or "数据使用协议"

    @property
    def body_html(self) -> str:
        """The clauses below the title as sanitised HTML (never the raw Markdown)."""
        lines = self.text.lstrip().splitlines()
        body = "\n".join(lines[1:] if lines and lines[0].startswith("#") else lines)
        return render_markdown(body)


def _agreement(path: Path) -> Agreement:
    text = path.read_text(encoding="utf-8")
    return Agreement(path.stem, text, hashlib.sha256(text.encode("utf-8")).hexdigest())


def current_agreement() -> Agreement:
    """The newest data-use agreement template (``config/agreements/<version>.md``)."""
    files = sorted(AGREEMENTS.glob("*.md"))
    if not files:
        raise NotFound("未配置数据使用协议模板")
    return _agreement(files[-1])


def agreement_version(version: str) -> Agreement | None:
    """The template of ``version``, if its file is still there."""
    if not _VERSION.fullmatch(version or ""):
        return None
    path = AGREEMENTS / f"{version}.md"
    return _agreement(path) if path.is_file() else None


def party_name(user: User | None) -> dict[str, Any]:
    """乙方 as the agreement names it: a company with its 统一社会信用代码 and 法定代表人, or a
    person by name."""
    if user is None:
        return {"name": "—", "credit_code": None, "legal_representative": None}
    return {
        "name": user.company_name or user.display_name or user.name,
        "credit_code": user.credit_code,
        "legal_representative": user.legal_representative,
    }


def signed_agreement(rt: Runtime, actor: Actor, grant_id: str) -> dict[str, Any]:
    """The agreement a grant was signed under, for the holder, the department and the bureau
    (as ``grants.get_grant`` allows): the parties, the dataset, the fields, the period and the
    text of the version signed (``intact``: its file still has the recorded SHA-256)."""
    from datasets.workflows.grants import get_grant

    grant = get_grant(rt, actor, grant_id)  # who may see it, or NotFound
    with rt.reader() as session:
        row = session.scalar(select(Grant).where(Grant.id == grant["id"]))
        assert row is not None  # get_grant found it
        dataset = session.get(Dataset, row.dataset_id)
        org = session.get(Organization, dataset.organization_id) if dataset else None
        holder = party_name(session.get(User, row.user_id))
    template = agreement_version(grant["agreement_version"])
    intact = template is not None and template.sha256 == grant["agreement_sha256"]
    signed_at = datetime.fromisoformat(grant["signed_at"])
    if signed_at.tzinfo is None:
        signed_at = signed_at.replace(tzinfo=UTC)
    return {
        "grant": grant,
        "department": org.title if org else "—",
        "holder": holder,
        "dataset": grant["dataset"],
        "fields": grant["fields"],
        "scope": grant["scope"],
        "starts_on": grant["starts_on"],
        "expires_on": grant["expires_on"],
        "signed_at": signed_at.astimezone(SHANGHAI).strftime("%Y-%m-%d %H:%M"),
        "version": grant["agreement_version"],
        "sha256": grant["agreement_sha256"],
        "intact": intact,
        "title": template.title if template else "数据使用协议",
        "body_html": template.body_html if intact and template else "",
        "text": template.text if intact and template else "",
    }


def agreement_text(document: dict[str, Any]) -> str:
    """The signed agreement as a plain-text file: the parties and terms, then the clauses."""
    holder = document["holder"]
    labels = {"credit_code": "统一社会信用代码", "legal_representative": "法定代表人"}
    company = "".join(f"，{label} {holder[k]}" for k, label in labels.items() if holder.get(k))
    dataset = document["dataset"] or {}
    fields = "全部字段" if document["scope"] == "all" else "、".join(document["fields"])
    head = [
        document["title"],
        "",
        f"甲方（数据提供部门）：{document['department']}",
        f"乙方（数据使用方）：{holder['name']}{company}",
        f"数据集：{dataset.get('title', '—')}",
        f"授权字段：{fields}",
        f"授权期限：{document['starts_on']} 至 {document['expires_on']}",
        f"授权编号：{document['grant']['reference']}",
        f"协议版本：{document['version']}（SHA-256 {document['sha256']}）",
        f"签署时间：{document['signed_at']}（北京时间）",
        "",
    ]
    body = document["text"] or "（该版本协议文本已不在本平台，以签署时记录的校验值为准。）"
    return "\n".join(head) + "\n" + body
