"""Shared fixtures: runtimes on temporary instances, the harvested demo catalog, the web app."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from datasets.runtime import Runtime
from tests.factories import make_runtime

REPO = Path(__file__).resolve().parent.parent
REALDATA = REPO.parent / "shared" / "realdata"
DEMO_SOURCES = REPO / "demo" / "sources"


@pytest.fixture(autouse=True)
def _no_kaifang_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """Tests never read the developer's own KAIFANG_* settings."""
    for key in list(os.environ):
        if key.startswith("KAIFANG_") and key != "KAIFANG_REQUIRE_SERVICES":
            monkeypatch.delenv(key)


@pytest.fixture
def rt(tmp_path: Path) -> Runtime:
    runtime = make_runtime(tmp_path / "instance")
    yield runtime
    runtime.close()


@pytest.fixture(scope="session")
def realdata() -> Path:
    if not REALDATA.is_dir():
        pytest.fail(
            f"shared real-data fixtures are missing (expected {REALDATA.name} beside "
            "the repository)"
        )
    return REALDATA


def harvest_demo(rt: Runtime) -> None:
    from demo.register import register_demo_sources
    from harvester.jobs import run_harvest
    from harvester.sources import get_sources

    register_demo_sources(rt)
    results = run_harvest(rt, get_sources(rt))
    failed = [r.summary() for r in results if r.status != "finished"]
    assert not failed, failed


@pytest.fixture(scope="session")
def demo_rt(tmp_path_factory: pytest.TempPathFactory) -> Runtime:
    """The bundled demo sources harvested once into a SQLite instance (read-only for tests)."""
    runtime = make_runtime(tmp_path_factory.mktemp("demo") / "instance")
    harvest_demo(runtime)
    yield runtime
    runtime.close()


@pytest.fixture(scope="session")
def demo_app(demo_rt: Runtime):  # type: ignore[no-untyped-def]
    from portal.app import create_app

    app = create_app({"instance": str(demo_rt.paths.root), "ratelimit_enabled": False})
    app.config.update(TESTING=True)
    return app


@pytest.fixture
def client(demo_app):  # type: ignore[no-untyped-def]
    return demo_app.test_client()
