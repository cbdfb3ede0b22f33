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
from sqlalchemy import select

from datasets.models import Dataset, HarvestJob
from datasets.runtime import Runtime
from datasets.settings import load_settings
from tests.factories import search, search_revisions
from tests.harvester.slow_source import check_consistent, published, write_slow_source

pytestmark = pytest.mark.slow
PACKAGES = 24
# kill when this many datasets are published (plus a jitter), i.e. at different stages
KILL_AT = ((0, 0.5), (3, 0.0), (7, 0.13), (11, 0.05), (15, 0.21))


def _kaifang(*args: str, env: dict[str, str], **kwargs):  # type: ignore[no-untyped-def]
    command = [str(Path(sys.executable).with_name("kaifang")), *args]
    return subprocess.run(command, env=env, capture_output=True, text=True, timeout=300, **kwargs)


def test_sigkill_at_any_moment_leaves_a_consistent_catalog(tmp_path):
    write_slow_source(tmp_path / "src", PACKAGES)
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
    counts = []
    for target, jitter in KILL_AT:
        process = subprocess.Popen(
            [str(Path(sys.executable).with_name("kaifang")), "harvest", "air"],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
        deadline = time.monotonic() + 120
        while process.poll() is None and published(rt) < target and time.monotonic() < deadline:
            time.sleep(0.02)
        time.sleep(jitter)
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=30)
        counts.append(check_consistent(rt))
    mid_harvest = [n for n in counts if n < PACKAGES]
    assert len(mid_harvest) >= 3, f"most kills must come mid-harvest: {counts}"
    assert counts == sorted(counts) and counts[0] < counts[-1], counts
    final = _kaifang("harvest", "air", env=env)
    assert final.returncode == 0, final.stdout + final.stderr
    assert "出错 0" in final.stdout
    assert check_consistent(rt) == PACKAGES
    with rt.reader() as session:
        revisions = dict(session.execute(select(Dataset.id, Dataset.revision)).all())
        statuses = [j.status for j in session.scalars(select(HarvestJob))]
    assert search_revisions(rt) == revisions  # written with their datasets, kill or not
    assert "running" not in statuses  # killed jobs were marked failed, none left running
    assert statuses.count("failed") >= 1
    assert search(rt, q="空气质量", rows=0)["count"] == PACKAGES
    rt.close()
