"""Topics (主题) as CKAN groups, tags and licences: the read services behind CKAN's
``group_*``, ``tag_*`` and ``license_list``.

A topic has no table of its own: its group id is a uuid5 of its name, so it is the same on every
run and every portal built from the same catalog. Only public datasets (state active) count, and
the tags of 不予开放 entries are not shown (their package dicts show none either).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

from datasets.catalog.packages import PACKAGE_LOADS, package_dict
from datasets.catalog.vocabulary import TOPICS, group_ref, tag_id, topic_group_id
from datasets.errors import NotFound
from datasets.models import Dataset, Tag
from datasets.openness import rules as op
from datasets.runtime import Runtime

ACTIVE = Dataset.state == "active"
MAX_GROUP_DATASETS = 1000


def group_dict(topic: str, *, package_count: int) -> dict[str, Any]:
    return {
        **group_ref(topic),
        "type": "group",
        "state": "active",
        "is_organization": False,
        "approval_status": "approved",
        "image_url": "",
        "created": None,
        "package_count": package_count,
    }


def _topic_counts(session: Session) -> dict[str, int]:
    query = (
        select(Dataset.topic, func.count(Dataset.id))
        .where(ACTIVE, Dataset.topic.is_not(None))
        .group_by(Dataset.topic)
    )
    counts: dict[str, int] = {t: 0 for t in TOPICS}
    counts.update({topic: n for topic, n in session.execute(query) if topic})
    return counts


def group_list(rt: Runtime, *, sort: str = "name") -> list[dict[str, Any]]:
    """Every topic as a group, sorted by ``name`` or ``package_count`` (each asc or desc)."""
    with rt.reader() as session:
        counts = _topic_counts(session)
    groups = [group_dict(t, package_count=n) for t, n in counts.items()]
    key, _, direction = (sort or "name").strip().partition(" ")
    if key == "package_count":
        groups.sort(key=lambda g: (g["package_count"], g["name"]))
    else:
        groups.sort(key=lambda g: g["name"])
    descending = direction.lower() == "desc" or (key == "package_count" and direction == "")
    return groups[::-1] if descending else groups


def group_show(
    rt: Runtime, *, id_or_name: str, base_url: str, include_datasets: bool = False
) -> dict[str, Any]:
    """One topic as a group; with ``include_datasets`` its public datasets (up to 1,000)."""
    with rt.reader() as session:
        counts = _topic_counts(session)
        topic = next((t for t in counts if id_or_name in (t, topic_group_id(t))), None)
        if topic is None:
            raise NotFound("未找到该主题")
        out = group_dict(topic, package_count=counts[topic])
        if include_datasets:
            chosen = select(Dataset).where(ACTIVE, Dataset.topic == topic)
            out["packages"] = _packages(session, chosen, base_url)
        return out


def _packages(session: Session, chosen: Select[Any], base_url: str) -> list[dict[str, Any]]:
    """The package dicts of the first ``MAX_GROUP_DATASETS`` datasets ``chosen``, by name."""
    rows = session.scalars(
        chosen.order_by(Dataset.name).limit(MAX_GROUP_DATASETS).options(*PACKAGE_LOADS)
    ).all()
    return [package_dict(d, base_url=base_url) for d in rows]


def _visible_tags(session: Session, query: str = "") -> list[tuple[str, int]]:
    statement = (
        select(Tag.name, func.count(Tag.dataset_id))
        .join(Dataset, Dataset.id == Tag.dataset_id)
        .where(ACTIVE, Dataset.openness != op.CLOSED)
        .group_by(Tag.name)
        .order_by(Tag.name)
    )
    if query:
        statement = statement.where(Tag.name.contains(query, autoescape=True))
    return [(name, count) for name, count in session.execute(statement)]


def tag_dict(name: str) -> dict[str, Any]:
    return {"id": tag_id(name), "name": name, "display_name": name, "vocabulary_id": None}


def tag_list(rt: Runtime, *, query: str = "", all_fields: bool = False) -> list[Any]:
    """Keywords of public datasets (names, or dicts with ``all_fields``)."""
    with rt.reader() as session:
        tags = _visible_tags(session, query)
    return [tag_dict(n) for n, _ in tags] if all_fields else [n for n, _ in tags]


def tag_show(
    rt: Runtime, *, id_or_name: str, base_url: str, include_datasets: bool = False
) -> dict[str, Any]:
    with rt.reader() as session:
        names = [n for n, _ in _visible_tags(session)]
        name = next((n for n in names if id_or_name in (n, tag_id(n))), None)
        if name is None:
            raise NotFound("未找到该标签")
        out = tag_dict(name)
        if include_datasets:
            chosen = (
                select(Dataset)
                .join(Tag, Tag.dataset_id == Dataset.id)
                .where(ACTIVE, Dataset.openness != op.CLOSED, Tag.name == name)
            )
            out["packages"] = _packages(session, chosen, base_url)
        return out


def license_list(rt: Runtime) -> list[dict[str, Any]]:
    """The licences public datasets carry, in CKAN's licence shape."""
    with rt.reader() as session:
        rows = session.execute(
            select(Dataset.license_id, Dataset.license_title, Dataset.license_url)
            .where(ACTIVE, Dataset.license_id.is_not(None), Dataset.license_id != "")
            .distinct()
        ).all()
    by_id: dict[str, dict[str, Any]] = {}
    for license_id, title, url in sorted(rows, key=lambda r: (r[0] or "", r[1] or "", r[2] or "")):
        if not license_id:
            continue
        by_id.setdefault(
            license_id,
            {
                "id": license_id,
                "title": title or license_id,
                "url": url or "",
                "status": "active",
                "maintainer": "",
                "family": "",
                "od_conformance": "not reviewed",
                "osd_conformance": "not reviewed",
                "domain_content": True,
                "domain_data": True,
                "domain_software": False,
                "is_generic": False,
            },
        )
    return list(by_id.values())
