"""Fixtures of the fuzz tests: no outside host is ever contacted, the process's peak memory
grows by at most ``MAX_GROWTH_MB`` over a test, one quick instance for the whole module."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from datasets.runtime import Runtime
from tests.factories import make_runtime
from tests.fuzz.support import MAX_GROWTH_MB, peak_mb
from tests.harvester.fileserver import block_outside_hosts, quick_folder


@pytest.fixture(autouse=True)
def outside(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[str]]:
    tried = block_outside_hosts(monkeypatch)
    yield tried
    assert tried == [], f"tried to reach outside hosts: {tried}"


@pytest.fixture(autouse=True)
def bounded_memory() -> Iterator[None]:
    before = peak_mb()
    yield
    grown = peak_mb() - before
    assert grown <= MAX_GROWTH_MB, f"peak memory grew by {grown:.0f} MB"


@pytest.fixture(scope="module")
def fuzz_rt(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Runtime]:
    with quick_folder(tmp_path_factory.mktemp("fuzz")) as folder:
        runtime = make_runtime(
            Path(folder) / "instance", harvest_retries=0, harvest_timeout=0.5, harvest_workers=1
        )
        yield runtime
        runtime.close()
