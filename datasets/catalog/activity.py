"""The activity stream's write side: what changed in a dataset, recorded in the transaction
that changes it.

The services that change a dataset take a ``snapshot`` before and call ``record_change`` after
(or ``record`` for a change they name themselves: suspension, restoration, withdrawal). What is
stored is only what the public could see at the time: the package summary, the *names* of the
changed fields and files and the class before and after; never a field's value, a reason an
operator wrote, or a person's name. A 不予开放 entry shows no file names and only the fields
its public listing shows; a change the public never saw (before and after not public) is stored
with ``public`` false and never served.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sqlalchemy.orm import Session

from datasets.models import Activity, Dataset
from datasets.openness import rules as op

PUBLISHED, UPDATED, WITHDRAWN = "published", "updated", "withdrawn"
RECLASSIFIED, SUSPENDED, RESTORED = "reclassified", "suspended", "restored"
KINDS: dict[str, tuple[str, str]] = {  # kind → (CKAN activity type, 中文)
    PUBLISHED: ("new package", "发布"),
    UPDATED: ("changed package", "更新"),
    WITHDRAWN: ("deleted package", "撤回"),
    RECLASSIFIED: ("changed package", "调整开放属性"),
    SUSPENDED: ("changed package", "暂停开放"),
    RESTORED: ("changed package", "恢复开放"),
}
# the 目录 fields whose changes are named, with their titles
FIELDS: dict[str, str] = {
    "title": "名称",
    "code": "代码",
    "topic": "分类",
    "organization": "提供方",
    "notes": "摘要",
    "conditions": "开放条件",
    "exclusion_basis": "不予开放依据",
    "share_type": "共享属性",
    "update_cycle": "更新周期",
    "issued": "发布日期",
    "modified": "最近更新日期",
    "temporal": "数据时间范围",
    "record_count": "记录数",
    "columns": "信息项",
    "license": "许可协议",
    "source_url": "来源地址",
    "related": "关联资源",
    "tags": "标签",
}
# what a 不予开放 entry's public listing shows
CLOSED_FIELDS = frozenset({"title", "topic", "organization", "exclusion_basis"})


@dataclass(frozen=True)
class Snapshot:
    """A dataset's public face at one moment, to compare with another."""

    state: str | None
    openness: str | None
    rule: str | None
    deidentified: bool
    fields: dict[str, Any] = field(default_factory=dict)
    files: dict[str, str] = field(default_factory=dict)

    @property
    def public(self) -> bool:
        return self.state == "active"


def snapshot(dataset: Dataset) -> Snapshot:
    fields = {
        "title": dataset.title,
        "code": dataset.code,
        "topic": dataset.topic,
        "organization": dataset.organization_id,
        "notes": dataset.notes,
        "conditions": dataset.conditions,
        "exclusion_basis": dataset.exclusion_basis,
        "share_type": dataset.share_type,
        "update_cycle": dataset.update_cycle,
        "issued": dataset.issued,
        "modified": dataset.modified,
        "temporal": (dataset.temporal_start, dataset.temporal_end),
        "record_count": dataset.record_count,
        "columns": [(c.get("name"), c.get("type")) for c in dataset.columns or []],
        "license": (dataset.license_id, dataset.license_title, dataset.license_url),
        "source_url": dataset.source_url,
        "related": list(dataset.related or []),
        "tags": sorted(t.name for t in dataset.tags),
    }
    files = {r.name: r.sha256 for r in dataset.resources}
    return Snapshot(
        dataset.state, dataset.openness, dataset.exclusion_rule, dataset.deidentified, fields, files
    )


def summary(dataset: Dataset) -> dict[str, Any]:
    """The package as an activity carries it: what any public listing of it shows."""
    org = dataset.organization
    return {
        "id": dataset.id,
        "name": dataset.name,
        "title": dataset.title,
        "type": "dataset",
        "owner_org": dataset.organization_id,
        "organization": {"id": org.id, "name": org.name, "title": org.title} if org else None,
        "openness": dataset.openness,
        "exclusion_rule": dataset.exclusion_rule,
        "topic": dataset.topic,
        "metadata_modified": dataset.metadata_modified.replace(tzinfo=None).isoformat(),
    }


def _file_changes(before: Snapshot, after: Snapshot) -> dict[str, list[str]]:
    old, new = before.files, after.files
    changes = {
        "added": sorted(set(new) - set(old)),
        "removed": sorted(set(old) - set(new)),
        "changed": sorted(n for n in set(old) & set(new) if old[n] != new[n]),
    }
    return {k: v for k, v in changes.items() if v}


def _kind(before: Snapshot, after: Snapshot, changed: bool) -> str | None:
    if after.public and not before.public:
        return PUBLISHED
    if before.public and not after.public:
        return WITHDRAWN
    if (before.openness, before.rule, before.deidentified) != (
        after.openness,
        after.rule,
        after.deidentified,
    ):
        return RECLASSIFIED
    return UPDATED if changed else None


def record_change(
    session: Session, dataset: Dataset, before: Snapshot | None, *, now: datetime
) -> None:
    """Record what changed since ``before`` (``None``: the dataset is new)."""
    after = snapshot(dataset)
    if before is None:
        before = Snapshot(None, None, None, False)
        kind: str | None = PUBLISHED
        fields: list[str] = []
        files: dict[str, list[str]] = {}
    else:
        fields = [k for k in FIELDS if before.fields.get(k) != after.fields.get(k)]
        files = _file_changes(before, after)
        kind = _kind(before, after, bool(fields or files))
    if kind is None:
        return
    shown_closed = after.openness == op.CLOSED or not after.public
    if shown_closed:  # no file names, only the fields its public listing shows
        fields = [f for f in fields if f in CLOSED_FIELDS]
        files = {}
    data: dict[str, Any] = {}
    if kind != PUBLISHED:
        data["fields"] = [{"name": f, "title": FIELDS[f]} for f in fields]
        data["files"] = files
    if kind in (RECLASSIFIED, PUBLISHED, WITHDRAWN):
        data["openness"] = {
            "old": before.openness if before.public else None,
            "new": after.openness if after.public else None,
        }
    _add(session, dataset, kind, public=before.public or after.public, now=now, **data)


def record(session: Session, dataset: Dataset, kind: str, *, now: datetime | None = None) -> None:
    """Record a change the caller names (suspension, restoration); served if the dataset is
    public."""
    public = dataset.state == "active"
    _add(session, dataset, kind, public=public, now=now or datetime.now(UTC))


def _add(
    session: Session, dataset: Dataset, kind: str, *, public: bool, now: datetime, **data: Any
) -> None:
    activity_type, title = KINDS[kind]
    session.add(
        Activity(
            timestamp=now,
            dataset_id=dataset.id,
            organization_id=dataset.organization_id,
            kind=kind,
            activity_type=activity_type,
            public=public,
            data={"package": summary(dataset), "kind": kind, "kind_title": title, **data},
        )
    )
