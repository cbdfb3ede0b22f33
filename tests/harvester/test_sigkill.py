"""Publishing is atomic: a harvester killed with SIGKILL at any moment leaves the database, the
files and the search index consistent, and the next run completes the work."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from datasets.models import Dataset, HarvestJob
from datasets.runtime import Runtime
from datasets.settings import load_settings
from tests.factories import write_package

pytestmark = pytest.mark.slow
PACKAGES = 24
# kill when this many datasets are published (plus a jitter), i.e. at different stages
KILL_AT = ((0, 0.5), (3, 0.0), (7, 0.13), (11, 0.05), (15, 0.21))


def _kaifang(*args: str, env: dict[str, str], **kwargs):  # type: ignore[no-untyped-def]
    command = [str(Path(sys.executable).with_name("kaifang")), *args]
    return subprocess.run(command, env=env, capture_output=True, text=True, timeout=300, **kwargs)


def _source(folder: Path) -> None:
    for n in range(PACKAGES):
        rows = [["序号", "站点名称", "所在区县", "日期", "数值"]]
        rows += [
            [i, f"监测点{n}-{i}", "江南区", f"2026-10-{1 + i % 28:02d}", i * 1.5]
            for i in range(3000)
        ]
        write_package(
            folder,
            f"pkg-{n:02d}",
            title=f"空气质量监测站点数据第{n}批",
            rows=rows,
            topic="生态环境",
        )


def _published(rt: Runtime) -> int:
    with rt.reader() as session:
        return session.scalar(select(func.count(Dataset.id)))


def _check_consistent(rt: Runtime) -> int:
    """Every row points at stored files, every dataset is whole, the index never runs ahead."""
    with rt.reader() as session:
        datasets = session.scalars(select(Dataset).options(selectinload(Dataset.resources))).all()
        for dataset in datasets:
            assert len(dataset.resources) == 1, dataset.name  # never half-written
            resource = dataset.resources[0]
            assert rt.store.path(resource.storage_root, resource.storage_key).is_file()
            assert resource.public_key and rt.store.exists("public", resource.public_key)
            assert dataset.record_count == 3000 and resource.validation_report
        revisions = {d.id: d.revision for d in datasets}
    for doc_id, revision in rt.index.revisions().items():
        assert doc_id in revisions and revision <= revisions[doc_id]
    return len(datasets)


def test_sigkill_at_any_moment_leaves_a_consistent_catalog(tmp_path):
    _source(tmp_path / "src")
    instance = tmp_path / "instance"
    env = {
        "KAIFANG_INSTANCE": str(instance),
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "KAIFANG_HARVEST_WORKERS": "2",
    }
    assert _kaifang("init", env=env).returncode == 0
    added = _kaifang(
        "source",
        "add",
        "air",
        "--kind",
        "datapackage",
        "--location",
        str(tmp_path / "src"),
        env=env,
    )
    assert added.returncode == 0, added.stderr
    rt = Runtime(load_settings({"instance": str(instance)}, environ={}))
    published = []
    for target, jitter in KILL_AT:
        process = subprocess.Popen(
            [str(Path(sys.executable).with_name("kaifang")), "harvest", "air"],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
        deadline = time.monotonic() + 120
        while process.poll() is None and _published(rt) < target and time.monotonic() < deadline:
            time.sleep(0.02)
        time.sleep(jitter)
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=30)
        published.append(_check_consistent(rt))
    mid_harvest = [n for n in published if n < PACKAGES]
    assert len(mid_harvest) >= 3, f"most kills must come mid-harvest: {published}"
    assert published == sorted(published) and published[0] < published[-1], published
    final = _kaifang("harvest", "air", env=env)
    assert final.returncode == 0, final.stdout + final.stderr
    assert "errored 0" in final.stdout
    assert _check_consistent(rt) == PACKAGES
    with rt.reader() as session:
        revisions = dict(session.execute(select(Dataset.id, Dataset.revision)).all())
        statuses = [j.status for j in session.scalars(select(HarvestJob))]
    assert rt.index.revisions() == revisions  # the next run repaired the index
    assert "running" not in statuses  # killed jobs were marked failed, none left running
    assert statuses.count("failed") >= 1
    search = rt.index.search("空气质量", rows=0)
    assert search.count == PACKAGES
    rt.close()
