"""Fixtures of the catalog-kind tests (dcat, datajson): no outside host is ever contacted, a
quick instance, a loopback file server."""

from __future__ import annotations

import pytest

from tests.factories import make_runtime
from tests.harvester.fileserver import FileServer, block_outside_hosts, quick_folder


@pytest.fixture(autouse=True)
def outside(monkeypatch):  # type: ignore[no-untyped-def]
    tried = block_outside_hosts(monkeypatch)
    yield tried
    assert tried == [], f"tried to reach outside hosts: {tried}"


@pytest.fixture
def rt(tmp_path):  # type: ignore[no-untyped-def]
    with quick_folder(tmp_path) as folder:
        runtime = make_runtime(
            folder / "instance", harvest_retries=0, harvest_timeout=0.5, harvest_workers=1
        )
        yield runtime
        runtime.close()


@pytest.fixture
def server(tmp_path):  # type: ignore[no-untyped-def]
    with FileServer(tmp_path / "www") as srv:
        yield srv
