"""Harvest sources: the kinds we know, and the services adding and listing sources."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import func, select

from datasets.errors import NotFound, ValidationError
from datasets.models import Dataset, HarvestJob, HarvestSource
from datasets.runtime import Runtime
from harvester.base import SourceConfig, SourceKind
from harvester.ckan import CkanSource
from harvester.datajson import DataJsonSource
from harvester.datapackage import DataPackageSource
from harvester.dcat import DcatSource
from harvester.export import ExportSource
from harvester.sql import SqlSource

KINDS: dict[str, type[SourceKind]] = {
    DataPackageSource.kind: DataPackageSource,
    CkanSource.kind: CkanSource,
    ExportSource.kind: ExportSource,
    SqlSource.kind: SqlSource,
    DcatSource.kind: DcatSource,
    DataJsonSource.kind: DataJsonSource,
}
FREQUENCIES = ("manual", "hourly", "daily", "weekly", "monthly")
_NAME = re.compile(r"^[a-z0-9][a-z0-9_-]{1,99}$")


def source_config(source: HarvestSource) -> SourceConfig:
    return SourceConfig(source.id, source.name, source.kind, source.location, dict(source.config))


def add_source(
    rt: Runtime,
    *,
    name: str,
    kind: str,
    location: str,
    title: str = "",
    frequency: str = "manual",
    config: dict[str, str] | None = None,
    exist_ok: bool = False,
) -> dict[str, Any]:
    """Register a source. With ``exist_ok`` an identical existing source is returned as is."""
    problems: dict[str, list[str]] = {}
    if not _NAME.fullmatch(name or ""):
        problems["name"] = ["来源名称须为 2–100 个小写字母、数字、- 或 _"]
    if kind not in KINDS:
        problems["kind"] = [f"未知的来源类型 {kind!r}，可选：{', '.join(sorted(KINDS))}"]
    if frequency not in FREQUENCIES:
        problems["frequency"] = [f"可选：{', '.join(FREQUENCIES)}"]
    if not (location or "").strip():
        problems["location"] = ["缺少来源地址"]
    if problems:
        field, messages = next(iter(problems.items()))
        raise ValidationError(f"{field}: {messages[0]}", problems)
    location = KINDS[kind].check_location(location.strip())
    config = KINDS[kind].check_config(dict(config or {}))
    with rt.session() as session:
        existing = session.scalar(select(HarvestSource).where(HarvestSource.name == name))
        if existing is not None:
            same = (existing.kind, existing.location, dict(existing.config)) == (
                kind,
                location,
                config,
            )
            if exist_ok and same:
                return source_dict(existing)
            raise ValidationError(f"来源 {name} 已存在", {"name": ["already exists"]})
        source = HarvestSource(
            name=name,
            kind=kind,
            location=location,
            title=title or name,
            frequency=frequency,
            config=config,
        )
        session.add(source)
        session.flush()
        return source_dict(source)


def source_dict(source: HarvestSource, **extra: Any) -> dict[str, Any]:
    return {
        "id": source.id,
        "name": source.name,
        "title": source.title,
        "kind": source.kind,
        "location": KINDS[source.kind].shown_location(source.location)
        if source.kind in KINDS
        else source.location,
        "frequency": source.frequency,
        "config": dict(source.config),
        "active": source.active,
        "created": source.created_at.isoformat(),
        **extra,
    }


def list_sources(rt: Runtime) -> list[dict[str, Any]]:
    """All sources with their dataset count and last job."""
    with rt.reader() as session:
        counts = dict(
            session.execute(
                select(Dataset.source_id, func.count())
                .where(Dataset.state != "withdrawn")
                .group_by(Dataset.source_id)
            ).all()
        )
        out = []
        for source in session.scalars(select(HarvestSource).order_by(HarvestSource.name)):
            last = session.scalar(
                select(HarvestJob)
                .where(HarvestJob.source_id == source.id)
                .order_by(HarvestJob.started_at.desc())
                .limit(1)
            )
            out.append(
                source_dict(
                    source,
                    datasets=counts.get(source.id, 0),
                    last_job=None
                    if last is None
                    else {
                        "id": last.id,
                        "status": last.status,
                        "started": last.started_at.isoformat(),
                        "stats": dict(last.stats),
                    },
                )
            )
        return out


def get_sources(rt: Runtime, names: list[str] | None = None) -> list[SourceConfig]:
    """The named sources (all active ones when ``names`` is empty). Unknown names raise."""
    with rt.reader() as session:
        query = select(HarvestSource).order_by(HarvestSource.name)
        if names:
            found = {s.name: s for s in session.scalars(query.where(HarvestSource.name.in_(names)))}
            missing = [n for n in names if n not in found]
            if missing:
                raise NotFound(f"没有名为 {', '.join(missing)} 的来源")
            return [source_config(found[n]) for n in names]
        return [source_config(s) for s in session.scalars(query.where(HarvestSource.active))]


FREQUENCY_PERIODS = {
    "hourly": timedelta(hours=1),
    "daily": timedelta(days=1),
    "weekly": timedelta(weeks=1),
    "monthly": timedelta(days=30),
}


def due_sources(rt: Runtime, *, now: datetime | None = None) -> list[SourceConfig]:
    """Active sources with a frequency whose last finished job is older than that frequency."""
    now = now or datetime.now(UTC)
    with rt.reader() as session:
        last = dict(
            session.execute(
                select(HarvestJob.source_id, func.max(HarvestJob.started_at))
                .where(HarvestJob.status == "finished", HarvestJob.dry_run.is_(False))
                .group_by(HarvestJob.source_id)
            ).all()
        )
        sources = session.scalars(
            select(HarvestSource)
            .where(HarvestSource.active, HarvestSource.frequency != "manual")
            .order_by(HarvestSource.name)
        ).all()
        due = []
        for source in sources:
            period = FREQUENCY_PERIODS.get(source.frequency)
            previous = last.get(source.id)
            if previous is not None and previous.tzinfo is None:
                previous = previous.replace(tzinfo=UTC)
            if period is not None and (previous is None or now - previous >= period):
                due.append(source_config(source))
        return due
