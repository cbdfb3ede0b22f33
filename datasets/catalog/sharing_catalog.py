"""The sharing catalog (共享目录) as CSV, for the government data sharing platform: every
active catalog entry with its 共享属性, 共享条件, 共享方式 and the basis of 不予共享. Only staff
read it (departments' reviewers, the bureau, the operators and the command line); each export
is recorded in the audit log."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from sqlalchemy import select

from datasets.accounts.permissions import Actor, can_read_sharing_catalog
from datasets.errors import LoginRequired, NotAuthorized
from datasets.models import AuditEntry, Dataset, Organization
from datasets.openness import rules as op
from datasets.runtime import Runtime
from datasets.workflows.transparency.csv_export import csv_lines

SHARING_HEADER = [
    "信息资源代码",
    "信息资源名称",
    "数据集标识",
    "提供方",
    "提供方代码",
    "共享属性",
    "共享条件",
    "共享方式",
    "不予共享依据",
    "开放属性",
    "更新周期",
    "最近更新日期",
    "目录地址",
]
UNDECLARED = "未填报"


def require_reader(actor: Actor) -> None:
    """Refuse before anything is read: sign in first; staff only (the command line acts as an
    operator with no account)."""
    if can_read_sharing_catalog(actor):
        return
    if actor.is_anonymous:
        raise LoginRequired("请先登录")
    raise NotAuthorized("共享目录仅供政务部门、主管部门和平台运维人员导出")


def sharing_rows(rt: Runtime, *, base_url: str) -> list[list[Any]]:
    """One row per active entry, by department and title; an entry that declared no 共享属性
    says so (未填报) rather than leaving the cell empty."""
    base = base_url.rstrip("/")
    with rt.reader() as session:
        rows = session.execute(
            select(Dataset, Organization.title, Organization.code)
            .join(Organization, Organization.id == Dataset.organization_id)
            .where(Dataset.state == "active")
            .order_by(Organization.title, Dataset.title, Dataset.name)
        ).all()
        return [
            [
                ds.code or "",
                ds.title,
                ds.name,
                org_title,
                org_code or "",
                ds.share_type or UNDECLARED,
                ds.share_conditions or "",
                ds.share_method or "",
                ds.share_basis or "",
                op.OPENNESS_TITLES.get(ds.openness, ds.openness),
                ds.update_cycle or "",
                ds.modified.isoformat() if ds.modified else "",
                f"{base}/dataset/{ds.name}",
            ]
            for ds, org_title, org_code in rows
        ]


def sharing_csv(rt: Runtime, actor: Actor, *, base_url: str) -> Iterator[bytes]:
    """The sharing catalog as UTF-8 CSV with a byte-order mark; access is checked and the
    export recorded before anything is read."""
    require_reader(actor)
    with rt.session() as session:
        session.add(
            AuditEntry(
                actor=actor.name,
                action="sharing.export",
                object_type="catalog",
                object_id="sharing",
                detail={},
            )
        )
    return csv_lines(SHARING_HEADER, sharing_rows(rt, base_url=base_url))
