"""The activity stream's read side: CKAN's activity lists of a dataset, a department and the
whole catalog, newest first.

Only activities marked public are served (changes of datasets the public saw before or after);
a dataset's own list is served only while the dataset is public, as its page is.
"""

from __future__ import annotations

from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Select, bindparam, func, or_, select
from sqlalchemy.orm import Session, aliased

from datasets.errors import NotFound, ValidationError
from datasets.models import Activity, Dataset, Organization
from datasets.openness import rules as op
from datasets.runtime import Runtime

SHANGHAI = ZoneInfo("Asia/Shanghai")
MAX_LIMIT = 100


def activity_dict(row: Activity) -> dict[str, Any]:
    """CKAN's activity dict; ``timestamp`` in UTC as CKAN writes it, ``local_time`` the
    Asia/Shanghai time the pages show."""
    return {
        "id": row.id,
        "timestamp": row.timestamp.replace(tzinfo=None).isoformat(timespec="microseconds"),
        "local_time": row.timestamp.astimezone(SHANGHAI).strftime("%Y-%m-%d %H:%M"),
        "user_id": None,
        "object_id": row.dataset_id,
        "activity_type": row.activity_type,
        "data": row.data,
    }


def _check_page(limit: int, offset: int) -> None:
    if limit > MAX_LIMIT:
        raise ValidationError(f"limit 不能大于 {MAX_LIMIT}", {"limit": ["too large"]})
    if limit < 0 or offset < 0:
        raise ValidationError("limit 和 offset 须为非负整数", {"limit": ["negative"]})


def _public_activities(where: Any) -> Select[Activity]:
    """The public changes ``where`` selects, newest first."""
    return (
        select(Activity)
        .where(Activity.public.is_(True), where)
        .order_by(Activity.timestamp.desc(), Activity.id)
    )


def _list(rt: Runtime, where: Any, limit: int, offset: int) -> list[dict[str, Any]]:
    _check_page(limit, offset)
    with rt.reader() as session:
        rows = session.scalars(_public_activities(where).limit(limit).offset(offset)).all()
        return [activity_dict(r) for r in rows]


def package_activity_list(
    rt: Runtime, *, id_or_name: str, limit: int = 31, offset: int = 0
) -> list[dict[str, Any]]:
    """The public changes of one public dataset."""
    with rt.reader() as session:
        dataset_id = session.scalar(
            select(Dataset.id).where(
                or_(Dataset.id == id_or_name, Dataset.name == id_or_name),
                Dataset.state == "active",
            )
        )
    if dataset_id is None:
        raise NotFound("未找到该数据集")
    return _list(rt, Activity.dataset_id == dataset_id, limit, offset)


def organization_activity_list(
    rt: Runtime, *, id_or_name: str, limit: int = 31, offset: int = 0
) -> list[dict[str, Any]]:
    """The public changes of one department's datasets."""
    with rt.reader() as session:
        org_id = session.scalar(
            select(Organization.id).where(
                or_(Organization.id == id_or_name, Organization.name == id_or_name)
            )
        )
    if org_id is None:
        raise NotFound("未找到该部门")
    return _list(rt, Activity.organization_id == org_id, limit, offset)


def recently_changed(rt: Runtime, *, limit: int = 31, offset: int = 0) -> list[dict[str, Any]]:
    """The public changes of the whole catalog."""
    return _list(rt, Activity.public.is_(True), limit, offset)


def describe(activity: dict[str, Any]) -> str:
    """One line in Chinese for the pages' 更新记录."""
    data = activity["data"]
    text = data.get("kind_title", "")
    fields = [f["title"] for f in data.get("fields", [])]
    if fields:
        text += "：" + "、".join(fields)
    files = data.get("files") or {}
    parts = [
        f"{label}文件 " + "、".join(files[key])
        for key, label in (("added", "新增"), ("changed", "更新"), ("removed", "删除"))
        if files.get(key)
    ]
    if parts:
        text += ("；" if fields else "：") + "；".join(parts)
    openness = data.get("openness") or {}
    if data.get("kind") == "reclassified" and openness.get("new"):
        old = op.OPENNESS_TITLES.get(openness.get("old") or "", "")
        new = op.OPENNESS_TITLES.get(openness["new"], "")
        text += f"（{old} → {new}）" if old else f"（{new}）"
    return text


HISTORY = 20  # changes a page's 更新记录 shows
# the 更新记录 of every department page: built once
_OF_ORGANIZATION = _public_activities(Activity.organization_id == bindparam("owner")).limit(HISTORY)
_RANKED = (  # of many dataset pages (one for a request, a chunk of a static build): built once
    select(
        Activity,
        func.row_number()
        .over(
            partition_by=Activity.dataset_id,
            order_by=(Activity.timestamp.desc(), Activity.id),
        )
        .label("rank"),
    )
    .where(Activity.public.is_(True), Activity.dataset_id.in_(bindparam("ids", expanding=True)))
    .subquery()
)
_RANKED_ACTIVITY = aliased(Activity, _RANKED)
_OF_DATASETS = (
    select(_RANKED_ACTIVITY)
    .where(_RANKED.c.rank <= HISTORY)
    .order_by(_RANKED.c.timestamp.desc(), _RANKED.c.id)
)


def page_history(rt: Runtime, *, organization_id: str) -> list[dict[str, Any]]:
    """The 更新记录 a department page shows: the latest 20 public changes of its datasets, each
    as its time, dataset and one line of text (a dataset page's: ``histories``)."""
    with rt.reader() as session:
        found = session.scalars(_OF_ORGANIZATION, {"owner": organization_id})
        return [_history_line(r) for r in found]


def histories(session: Session, dataset_ids: list[str]) -> dict[str, list[dict[str, Any]]]:
    """Dataset id → the 更新记录 its page shows (the page has checked access), like a
    department's (``page_history``), for many datasets in one query."""
    found: dict[str, list[dict[str, Any]]] = {i: [] for i in dataset_ids}
    for row in session.scalars(_OF_DATASETS, {"ids": dataset_ids}):
        found[row.dataset_id].append(_history_line(row))
    return found


def _history_line(row: Activity) -> dict[str, Any]:
    a = activity_dict(row)
    return {
        "time": a["local_time"],
        "kind": a["data"].get("kind", ""),
        "name": a["data"]["package"]["name"],
        "title": a["data"]["package"]["title"],
        "text": describe(a),
    }
