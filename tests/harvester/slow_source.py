"""A source slow enough to stop mid-harvest, and the check that what was published is whole."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from datasets.models import Dataset
from datasets.runtime import Runtime
from tests.factories import search_revisions, write_package

ROWS = 3000


def write_slow_source(folder: Path, packages: int, *, rows: int = ROWS, tag: str = "") -> Path:
    """``packages`` data packages of ``rows`` rows each, one CSV apiece."""
    for n in range(packages):
        table = [["序号", "站点名称", "所在区县", "日期", "数值"]]
        table += [
            [i, f"监测点{tag}{n}-{i}", "江南区", f"2026-10-{1 + i % 28:02d}", i * 1.5]
            for i in range(rows)
        ]
        write_package(
            folder,
            f"pkg{tag}-{n:02d}",
            title=f"空气质量监测站点数据{tag}第{n}批",
            rows=table,
            topic="生态环境",
        )
    return folder


def published(rt: Runtime) -> int:
    with rt.reader() as session:
        return session.scalar(select(func.count(Dataset.id)))


def check_consistent(rt: Runtime, rows: int | None = ROWS) -> int:
    """Every row points at stored files, every dataset is whole (with ``rows`` rows, unless
    None), search rows match the public datasets exactly. Returns how many datasets there are."""
    with rt.reader() as session:
        datasets = session.scalars(select(Dataset).options(selectinload(Dataset.resources))).all()
        for dataset in datasets:
            assert len(dataset.resources) == 1, dataset.name  # never half-written
            resource = dataset.resources[0]
            assert rt.store.path(resource.storage_root, resource.storage_key).is_file()
            assert resource.public_key and rt.store.exists("public", resource.public_key)
            assert resource.validation_report
            assert rows is None or dataset.record_count == rows
        public = {d.id: d.revision for d in datasets if d.state == "active"}
    assert search_revisions(rt) == public  # search rows are written with their datasets
    return len(datasets)
