"""Read services of the harvest history: jobs with their statistics and their top errors."""

from __future__ import annotations

from collections import Counter
from typing import Any

from sqlalchemy import func, select

from datasets.accounts.permissions import Actor, require_operator
from datasets.errors import KaifangError, NotFound
from datasets.intake.storage import STORAGE_FULL, storage_full
from datasets.models import HarvestJob, HarvestObject, HarvestSource
from datasets.runtime import Runtime

# a harvest object's outcome, as pages name it
OUTCOME_TITLES = {
    "added": "新增",
    "updated": "更新",
    "unchanged": "未变",
    "unmirrored": "未镜像",
    "withdrawn": "撤回",
    "errored": "出错",
}
# a job's status, a stage of an object, a source's kind and frequency, as pages name them
STATUS_TITLES = {"finished": "完成", "failed": "失败", "running": "进行中"}
STAGE_TITLES = {"gather": "收集", "fetch": "下载", "import": "导入"}
KIND_TITLES = {
    "datapackage": "数据包",
    "ckan": "CKAN 接口",
    "export": "目录导出文件",
    "sql": "数据库",
    "dcat": "DCAT 目录",
    "datajson": "data.json 目录",
}
FREQUENCY_TITLES = {
    "manual": "手动",
    "hourly": "每小时",
    "daily": "每天",
    "weekly": "每周",
    "monthly": "每月",
}
UNMIRRORED_HOSTS = "unmirrored_hosts"  # in a job's stats: host → files not mirrored from it


def _job_dict(job: HarvestJob, source: HarvestSource) -> dict[str, Any]:
    seconds = None
    if job.finished_at is not None:
        seconds = round((job.finished_at - job.started_at).total_seconds(), 1)
    return {
        "id": job.id,
        "source": source.name,
        "source_title": source.title,
        "kind": source.kind,
        "status": job.status,
        "dry_run": job.dry_run,
        "started": job.started_at.isoformat(),
        "finished": job.finished_at.isoformat() if job.finished_at else None,
        "seconds": seconds,
        "stats": {k: v for k, v in job.stats.items() if k != UNMIRRORED_HOSTS},
        # files not mirrored in this job, per host, most first
        "unmirrored_hosts": sorted(
            (job.stats.get(UNMIRRORED_HOSTS) or {}).items(), key=lambda kv: (-kv[1], kv[0])
        ),
        "message": job.message,
    }


def harvest_history(
    rt: Runtime, *, actor: Actor, source: str | None = None, limit: int = 50
) -> dict[str, Any]:
    """Recent jobs (newest first), per-source summaries and the most frequent errors."""
    require_operator(actor)
    with rt.reader() as session:
        query = (
            select(HarvestJob, HarvestSource)
            .join(HarvestSource, HarvestJob.source_id == HarvestSource.id)
            .order_by(HarvestJob.started_at.desc())
            .limit(max(1, min(limit, 500)))
        )
        if source:
            query = query.where(HarvestSource.name == source)
        jobs = [_job_dict(job, src) for job, src in session.execute(query).all()]
        errors = session.execute(
            select(HarvestObject.message, HarvestObject.stage, func.count())
            .join(HarvestJob, HarvestObject.job_id == HarvestJob.id)
            .where(HarvestObject.outcome == "errored", HarvestJob.id.in_([j["id"] for j in jobs]))
            .group_by(HarvestObject.message, HarvestObject.stage)
            .order_by(func.count().desc())
            .limit(10)
        ).all()
    return {
        "jobs": jobs,
        "top_errors": [{"message": m, "stage": s, "count": n} for m, s, n in errors],
    }


def job_detail(rt: Runtime, *, actor: Actor, job_id: str) -> dict[str, Any]:
    """One job with every object's outcome, errors first."""
    require_operator(actor)
    with rt.reader() as session:
        row = session.execute(
            select(HarvestJob, HarvestSource)
            .join(HarvestSource, HarvestJob.source_id == HarvestSource.id)
            .where(HarvestJob.id == job_id)
        ).first()
        if row is None:
            raise NotFound("未找到该采集任务")
        objects = session.scalars(
            select(HarvestObject).where(HarvestObject.job_id == job_id).order_by(HarvestObject.id)
        ).all()
        items = [
            {
                "identifier": o.identifier,
                "stage": o.stage,
                "outcome": o.outcome,
                "message": o.message,
                "dataset_id": o.dataset_id,
            }
            for o in objects
        ]
    order = {"errored": 0, "unmirrored": 1}
    items.sort(key=lambda o: (order.get(str(o["outcome"]), 2), o["outcome"] == "unchanged"))
    detail = _job_dict(*row)
    detail["objects"] = items
    detail["outcomes"] = dict(Counter(o["outcome"] for o in items))
    return detail


def job_objects(rt: Runtime, job_id: str) -> list[dict[str, Any]]:
    """Every object of a job with its outcome, in the order they were recorded."""
    with rt.reader() as session:
        rows = session.scalars(
            select(HarvestObject).where(HarvestObject.job_id == job_id).order_by(HarvestObject.id)
        )
        return [
            {
                "identifier": o.identifier,
                "stage": o.stage,
                "outcome": o.outcome,
                "message": o.message,
                "dataset_id": o.dataset_id,
            }
            for o in rows
        ]


def failure_message(error: BaseException) -> str:
    """What an object's failure is called on its harvest object: the service's own message, a
    full file store in words, anything else by its type."""
    if isinstance(error, KaifangError):
        return error.message
    if storage_full(error):
        return STORAGE_FULL
    return f"{type(error).__name__}: {error}"
