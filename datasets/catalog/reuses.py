"""应用成果 (reuses, as udata has them): apps, reports, visualisations and news that use datasets
of the catalog. Anyone signed in submits one; an operator approves it (then it is listed, on
its own page, on the page of every dataset it uses and in the statistics) or rejects it with a
reason the submitter reads. What the public sees of a reuse is what the submitter wrote for it,
with the author name they chose; never the account that submitted it.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from sqlalchemy import bindparam, func, or_, select
from sqlalchemy.orm import Session

from datasets.accounts.permissions import Actor, can_operate
from datasets.errors import (
    Conflict,
    LoginRequired,
    NotAuthorized,
    NotFound,
    ValidationError,
    raise_problems,
)
from datasets.models import AuditEntry, Dataset, Organization, Reuse, ReuseDataset
from datasets.notify.notices import notify_users
from datasets.runtime import Runtime
from datasets.text import render_markdown, safe_url

log = logging.getLogger(__name__)

KINDS = {"app": "应用", "report": "研究报告", "visualization": "可视化", "news": "新闻报道"}
STATUSES = {"pending": "待审核", "approved": "已发布", "rejected": "未通过"}
MAX_TITLE = 200
MAX_URL = 1000
MAX_DESCRIPTION = 5000
MAX_AUTHOR = 100
MAX_DATASETS = 20
MAX_REASON = 1000
PER_PAGE = 20


def _text(body: Mapping[str, Any], name: str) -> str:
    value = body.get(name, "")
    if value is None:
        return ""
    return value.strip() if isinstance(value, str) else "\x00"  # refused below as not text


def _dataset_refs(value: Any) -> list[str]:
    """A list of names or ids, or one text of them separated by commas, spaces or lines."""
    if isinstance(value, str):
        value = value.replace("，", ",").replace(",", " ").split()
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        return ["\x00"]
    return list(dict.fromkeys(v.strip() for v in value if v.strip()))


@dataclass(frozen=True)
class ReuseInput:
    """What a submitter gives for a reuse."""

    title: str
    kind: str
    url: str
    description: str
    author_name: str
    datasets: tuple[str, ...]  # names or ids, checked against the catalog on submission

    @classmethod
    def parse(cls, body: Mapping[str, Any]) -> ReuseInput:
        problems: dict[str, list[str]] = {}
        title, kind, url = _text(body, "title"), _text(body, "type"), _text(body, "url")
        description, author = _text(body, "description"), _text(body, "author_name")
        refs = _dataset_refs(body.get("datasets", []))
        if not title or "\x00" in title:
            problems["title"] = ["请填写名称"]
        elif len(title) > MAX_TITLE:
            problems["title"] = [f"名称最多 {MAX_TITLE} 个字"]
        if kind not in KINDS:
            problems["type"] = [f"类型须为：{'、'.join(f'{k}（{v}）' for k, v in KINDS.items())}"]
        if not _web_url(url):
            problems["url"] = ["访问地址须为以 http:// 或 https:// 开头的完整网址"]
        if "\x00" in description or len(description) > MAX_DESCRIPTION:
            problems["description"] = [f"简介须为文字，最多 {MAX_DESCRIPTION} 个字"]
        if "\x00" in author or len(author) > MAX_AUTHOR:
            problems["author_name"] = [f"作者署名须为文字，最多 {MAX_AUTHOR} 个字"]
        if not refs or "\x00" in refs:
            problems["datasets"] = ["请至少填写一个所使用的数据集（名称）"]
        elif len(refs) > MAX_DATASETS:
            problems["datasets"] = [f"最多填写 {MAX_DATASETS} 个数据集"]
        raise_problems(problems)
        return cls(title, kind, url, description, author, tuple(refs))


def _web_url(url: str) -> bool:
    if not url or len(url) > MAX_URL or safe_url(url) != url:
        return False
    parts = urlsplit(url)
    return parts.scheme.lower() in ("http", "https") and bool(parts.hostname)


@dataclass(frozen=True)
class ReuseDecision:
    """An operator's decision: approve, or reject with a reason."""

    decision: str
    reason: str

    @classmethod
    def parse(cls, body: Mapping[str, Any]) -> ReuseDecision:
        decision, reason = _text(body, "decision"), _text(body, "reason")
        problems: dict[str, list[str]] = {}
        if decision not in ("approve", "reject"):
            problems["decision"] = ["决定须为 approve（通过）或 reject（不通过）"]
        if "\x00" in reason or len(reason) > MAX_REASON:
            problems["reason"] = [f"理由须为文字，最多 {MAX_REASON} 个字"]
        elif decision == "reject" and not reason:
            problems["reason"] = ["不通过时须写明理由"]
        raise_problems(problems)
        return cls(decision, reason)


# -- who may -----------------------------------------------------------------------------------


def authorize_submit(actor: Actor) -> None:
    """Any signed-in account may submit a reuse."""
    if actor.is_anonymous:
        raise LoginRequired("请先登录再提交应用成果")


def authorize_review(actor: Actor) -> None:
    if actor.is_anonymous:
        raise LoginRequired("请先登录")
    if not can_operate(actor):
        raise NotAuthorized("只有平台运维人员可以审核应用成果")


def _may_see(actor: Actor, reuse: Reuse) -> bool:
    if reuse.status == "approved" or can_operate(actor):
        return True
    return not actor.is_anonymous and actor.user_id == reuse.submitter_id


# -- what is shown -----------------------------------------------------------------------------


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


def reuse_dict(
    session: Session, reuse: Reuse, *, private: bool = False, base_url: str = ""
) -> dict[str, Any]:
    """A reuse as the public sees it; ``private`` adds its state and the reason of a
    rejection (for the submitter and operators)."""
    found = session.execute(
        select(Dataset.id, Dataset.name, Dataset.title, Organization.name, Organization.title)
        .join(ReuseDataset, ReuseDataset.dataset_id == Dataset.id)
        .join(Organization, Organization.id == Dataset.organization_id)
        .where(ReuseDataset.reuse_id == reuse.id, Dataset.state == "active")
        .order_by(Dataset.title)
    )
    out: dict[str, Any] = {
        "id": reuse.id,
        "title": reuse.title,
        "type": reuse.kind,
        "type_title": KINDS.get(reuse.kind, reuse.kind),
        "url": safe_url(reuse.url),
        "description": reuse.description,
        "description_html": render_markdown(reuse.description),
        "author_name": reuse.author_name,
        "published": _iso(reuse.decided_at) if reuse.status == "approved" else None,
        "page_url": f"{base_url}/reuses/{reuse.id}",
        "datasets": [
            {"id": i, "name": n, "title": t, "organization": {"name": on, "title": ot}}
            for i, n, t, on, ot in found
        ],
    }
    if private:
        out["status"] = reuse.status
        out["status_title"] = STATUSES.get(reuse.status, reuse.status)
        out["reason"] = reuse.reason
        out["submitted"] = _iso(reuse.created_at)
    return out


def _page_args(page: Any, per_page: Any) -> tuple[int, int]:
    try:
        page_, size = int(page), int(per_page)
    except (TypeError, ValueError):
        raise ValidationError("页码和每页条数须为正整数", {"page": [str(page)[:20]]}) from None
    if not 1 <= page_ <= 10_000 or not 1 <= size <= 100:
        raise ValidationError("页码须为 1–10000，每页条数须为 1–100", {"page": [str(page_)]})
    return page_, size


def list_reuses(
    rt: Runtime,
    *,
    kind: str | None = None,
    dataset: str | None = None,
    page: Any = 1,
    per_page: Any = PER_PAGE,
    base_url: str = "",
) -> dict[str, Any]:
    """The approved reuses, newest first: of one type, or using one dataset (name or id)."""
    page_, size = _page_args(page, per_page)
    if kind and kind not in KINDS:
        raise_problems({"type": [f"类型须为：{'、'.join(KINDS)}"]})
    query = select(Reuse).where(Reuse.status == "approved")
    if kind:
        query = query.where(Reuse.kind == kind)
    with rt.reader() as session:
        if dataset:
            ds = session.scalar(
                select(Dataset.id).where(
                    or_(Dataset.name == dataset, Dataset.id == dataset), Dataset.state == "active"
                )
            )
            if ds is None:
                raise NotFound("未找到该数据集")
            used = select(ReuseDataset.reuse_id).where(ReuseDataset.dataset_id == ds)
            query = query.where(Reuse.id.in_(used))
        total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
        found = session.scalars(
            query.order_by(Reuse.decided_at.desc(), Reuse.id).offset((page_ - 1) * size).limit(size)
        )
        items = [reuse_dict(session, r, base_url=base_url) for r in found]
    return {
        "reuses": items,
        "count": total,
        "page": page_,
        "pages": max(1, -(-total // size)),
        "types": KINDS,
    }


def show(rt: Runtime, actor: Actor, reuse_id: str, *, base_url: str = "") -> dict[str, Any]:
    """One reuse: approved ones to anyone; pending or rejected ones only to their submitter
    and operators (404 to everyone else, as for one that does not exist)."""
    with rt.reader() as session:
        reuse = session.get(Reuse, reuse_id[:36])
        if reuse is None or not _may_see(actor, reuse):
            raise NotFound("未找到该应用成果")
        own = actor.user_id is not None and actor.user_id == reuse.submitter_id
        private = reuse.status != "approved" or can_operate(actor) or own
        return reuse_dict(session, reuse, private=private, base_url=base_url)


SHOWN = 50  # reuses a dataset page lists
_OF_DATASETS = (  # every dataset page reads it: built once
    select(ReuseDataset.dataset_id, Reuse.id, Reuse.title, Reuse.kind, Reuse.url, Reuse.author_name)
    .join(ReuseDataset, ReuseDataset.reuse_id == Reuse.id)
    .where(
        ReuseDataset.dataset_id.in_(bindparam("ids", expanding=True)), Reuse.status == "approved"
    )
    .order_by(Reuse.decided_at.desc(), Reuse.id)
)


def for_datasets(session: Session, dataset_ids: list[str]) -> dict[str, list[dict[str, Any]]]:
    """Dataset id → its approved reuses for its page, newest first (title, type, link; up to
    ``SHOWN``): many datasets in one query."""
    found: dict[str, list[dict[str, Any]]] = {i: [] for i in dataset_ids}
    for dataset_id, i, t, k, u, a in session.execute(_OF_DATASETS, {"ids": dataset_ids}):
        shown = found[dataset_id]
        if len(shown) < SHOWN:
            kind, url = KINDS.get(k, k), safe_url(u)
            shown.append({"id": i, "title": t, "type_title": kind, "url": url, "author": a})
    return found


def mine(rt: Runtime, actor: Actor) -> list[dict[str, Any]]:
    """The caller's own submissions with their state and, if rejected, the reason."""
    authorize_submit(actor)
    with rt.reader() as session:
        found = session.scalars(
            select(Reuse).where(Reuse.submitter_id == actor.user_id).order_by(Reuse.created_at)
        )
        return [reuse_dict(session, r, private=True) for r in found]


def pending(rt: Runtime, actor: Actor) -> list[dict[str, Any]]:
    """The reuses waiting for an operator, oldest first, with the submitting account."""
    authorize_review(actor)
    with rt.reader() as session:
        found = session.scalars(
            select(Reuse).where(Reuse.status == "pending").order_by(Reuse.created_at)
        )
        return [reuse_dict(session, r, private=True) for r in found]


# -- changes -----------------------------------------------------------------------------------


def _resolve(session: Session, refs: tuple[str, ...]) -> list[tuple[str, str]]:
    """(id, name) of each dataset named, all public; a problem naming those that are not."""
    found = session.execute(
        select(Dataset.id, Dataset.name).where(
            or_(Dataset.name.in_(refs), Dataset.id.in_(refs)),
            Dataset.state == "active",
            Dataset.suspended_by.is_(None),
        )
    ).all()
    known = {n for row in found for n in row}
    missing = [r for r in refs if r not in known]
    if missing:
        raise_problems({"datasets": [f"未找到这些数据集：{'、'.join(m[:100] for m in missing)}"]})
    return [(i, n) for i, n in found]


def submit(rt: Runtime, actor: Actor, wanted: ReuseInput) -> dict[str, Any]:
    """Store a reuse for an operator's review (not public until approved)."""
    authorize_submit(actor)
    with rt.session() as session:
        datasets = _resolve(session, wanted.datasets)
        reuse = Reuse(
            title=wanted.title,
            kind=wanted.kind,
            url=wanted.url,
            description=wanted.description,
            author_name=wanted.author_name,
            submitter_id=actor.user_id,
            status="pending",
        )
        session.add(reuse)
        session.flush()
        session.add_all(ReuseDataset(reuse_id=reuse.id, dataset_id=i) for i, _n in datasets)
        _audit(session, actor, "reuse.submit", reuse, {"datasets": [n for _i, n in datasets]})
        session.flush()
        return reuse_dict(session, reuse, private=True)


def decide(rt: Runtime, actor: Actor, reuse_id: str, decision: ReuseDecision) -> dict[str, Any]:
    """Approve or reject a pending reuse; the submitter is told. Once approved, the pages of
    the datasets it uses are taken out of the static tree (they list it now)."""
    authorize_review(actor)
    with rt.session() as session:
        reuse = session.get(Reuse, reuse_id[:36], with_for_update=True)
        if reuse is None:
            raise NotFound("未找到该应用成果")
        if reuse.status != "pending":
            raise Conflict(f"该应用成果已审核（{STATUSES.get(reuse.status, reuse.status)}）")
        approved = decision.decision == "approve"
        reuse.status = "approved" if approved else "rejected"
        reuse.reason = decision.reason
        reuse.decided_by = actor.name
        reuse.decided_at = datetime.now(UTC)
        _audit(session, actor, f"reuse.{reuse.status}", reuse, {"reason": decision.reason})
        if reuse.submitter_id:
            subject = f"您提交的应用成果“{reuse.title}”" + ("已发布" if approved else "未通过审核")
            body = "" if approved else f"理由：{decision.reason}"
            notify_users(
                session,
                [reuse.submitter_id],
                subject=subject,
                body=body,
                link=f"/reuses/{reuse.id}",
            )
        session.flush()
        result = reuse_dict(session, reuse, private=True)
    if approved:
        _refresh_static(rt, result["datasets"])
    return result


def _audit(
    session: Session, actor: Actor, action: str, reuse: Reuse, detail: dict[str, Any]
) -> None:
    session.add(
        AuditEntry(
            actor=actor.name,
            action=action,
            object_type="reuse",
            object_id=reuse.id,
            detail={"title": reuse.title, **detail},
        )
    )


def _refresh_static(rt: Runtime, datasets: list[dict[str, Any]]) -> None:
    """The static tree's copies of the datasets' pages go; nginx passes them to the app."""
    static_dir = rt.settings.static_dir
    if not static_dir or not datasets:
        return
    from datasets.publish.removal import remove_datasets
    from datasets.publish.tree import StaticOut

    remove_datasets(StaticOut(Path(static_dir)), {d["id"]: {d["name"]} for d in datasets})
