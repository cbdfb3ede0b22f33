"""The 开放清单: the open datasets and the closed ones a department promised to open, as CSV."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator
from datetime import datetime
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from datasets.models import Case, Dataset, Organization, Resource
from datasets.openness import rules as op
from datasets.runtime import Runtime
from datasets.workflows.transparency.csv_export import csv_lines
from datasets.workflows.transparency.public_log import promised_date

DATASET_PATH = "/dataset/{name}"

OPEN_LIST_HEADER = [
    "数据集标识",
    "数据集名称",
    "提供部门",
    "开放属性",
    "开放状态",
    "计划开放日期",
    "更新周期",
    "数据格式",
    "开放条件",
    "访问地址",
]


def _planned(session: Session) -> dict[str, str]:
    """Closed datasets a department promised to open (开放需求 answered "will open" with a
    date): dataset id → the date, from the latest answer about each dataset."""
    latest: dict[str, tuple[datetime, Case]] = {}
    rows = session.scalars(
        select(Case)
        .join(Dataset, Dataset.id == Case.dataset_id)
        .where(
            Case.kind == "opening_request",
            Case.closed_at.is_not(None),
            Dataset.state == "active",
            Dataset.openness == op.CLOSED,
        )
    )
    for case in rows:
        when = case.decided_at or case.closed_at
        if when is None or case.dataset_id is None:  # closed cases of a dataset, as selected
            continue
        if case.dataset_id not in latest or latest[case.dataset_id][0] < when:
            latest[case.dataset_id] = (when, case)
    planned = {}
    for dataset_id, (_, case) in latest.items():
        category = case.outcome or (case.body or {}).get("category")
        if category == "will_open" and (open_by := promised_date(case)):
            planned[dataset_id] = open_by
    return planned


def open_list_rows(rt: Runtime, *, base_url: str) -> list[list[Any]]:
    """The 开放清单: every active open dataset (unconditional, then conditional, by department)
    and every closed one a department has promised to open by a date."""
    base = base_url.rstrip("/")
    with rt.reader() as session:
        formats: dict[str, set[str]] = defaultdict(set)
        for dataset_id, fmt in session.execute(
            select(Resource.dataset_id, Resource.format)
            .join(Dataset, Dataset.id == Resource.dataset_id)
            .where(Dataset.state == "active", Dataset.openness != op.CLOSED)
        ):
            if fmt:
                formats[dataset_id].add(fmt.strip().upper())
        planned = _planned(session)
        rows = list(
            session.execute(
                select(Dataset, Organization.title)
                .join(Organization, Organization.id == Dataset.organization_id)
                .where(
                    Dataset.state == "active",
                    or_(Dataset.openness != op.CLOSED, Dataset.id.in_(list(planned) or [""])),
                )
                .order_by(Organization.title, Dataset.title, Dataset.name)
            ).all()
        )
        order = {op.UNCONDITIONAL: 0, op.CONDITIONAL: 1, op.CLOSED: 2}
        rows.sort(key=lambda r: order.get(r[0].openness, 3))  # stable: department, title within
        out = []
        for ds, org_title in rows:
            if ds.openness == op.CLOSED:
                status, open_by = "计划开放", planned.get(ds.id, "")
            elif ds.suspended_by:
                status, open_by = "因权益异议暂停开放", ""
            else:
                status, open_by = "已开放", ""
            out.append(
                [
                    ds.name,
                    ds.title,
                    org_title,
                    op.OPENNESS_TITLES.get(ds.openness, ds.openness),
                    status,
                    open_by,
                    ds.update_cycle or "",
                    "、".join(sorted(formats.get(ds.id, ()))),
                    (ds.conditions or "") if ds.openness == op.CONDITIONAL else "",
                    base + DATASET_PATH.format(name=ds.name),
                ]
            )
        return out


def open_list_csv(rt: Runtime, *, base_url: str) -> Iterator[bytes]:
    """The 开放清单 as UTF-8 CSV with a byte-order mark."""
    return csv_lines(OPEN_LIST_HEADER, open_list_rows(rt, base_url=base_url))
