"""Shared fixtures: runtimes on temporary instances, the harvested demo catalog, the web app."""

from __future__ import annotations

import atexit
import os
import shutil
import tempfile
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from datasets.runtime import Runtime
from tests.factories import make_runtime

REPO = Path(__file__).resolve().parent.parent
REALDATA = REPO.parent / "shared" / "realdata"
DEMO_SOURCES = REPO / "demo" / "sources"
DEFAULT_REDIS_URL = "redis://127.0.0.1:6379/0"

# the files whose tests measure time or load the machine on their own: ``make test`` runs them
# after the rest, alone (marked ``serial``), while the rest runs in two processes by file
SERIAL = (
    "faults/",
    "postgres/test_stack_soak.py",
    "postgres/test_queue_workers.py",
    "cli/test_serve_slow_clients.py",
    "cli/test_serve_shared_limits.py",
    "web/test_sign_in_web.py",
    "harvester/test_unreachable_files.py",
    "harvester/test_queue_kill.py",
    "harvester/test_sigkill.py",
    "harvester/test_interrupts.py",
)


# the files that take longest (a minute or more of one process): handed out first (``make test``
# keeps this order: --no-loadscope-reorder), so that the two processes end together rather than
# one finishing a long file alone; pytest-xdist would otherwise hand out the files with the
# most tests first, and these have few
LONGEST = (
    "web/test_leak_mutations.py",
    "web/test_leak_invariant.py",
    "web/test_chinese_pages.py",
    "harvester/test_export_variants.py",
    "postgres/test_backup_pg.py",
    "web/test_static_build.py",
    "web/test_static_nginx.py",
    "unit/test_export_formats.py",
)


@pytest.hookimpl(tryfirst=True)  # before ``-m`` chooses by marker
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    tests = Path(__file__).parent
    for item in items:
        where = item.path.relative_to(tests).as_posix()
        if where.startswith(SERIAL):
            item.add_marker(pytest.mark.serial)
    rank = {where: n for n, where in enumerate(LONGEST)}
    items.sort(key=lambda item: rank.get(item.path.relative_to(tests).as_posix(), len(rank)))


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


def harvest_demo(rt: Runtime, *, copy: bool = True) -> None:
    """The bundled demo sources harvested into ``rt``'s new instance: on SQLite a copy of the
    instance this process harvested once (database, files, masking key), unless ``copy`` is
    false (a test that changes how harvesting works harvests itself) or sources are registered
    already (they are harvested with the demo's)."""
    from harvester.sources import get_sources

    if not copy or rt.engine.dialect.name != "sqlite" or get_sources(rt):
        _harvest_demo(rt)  # also what was registered before (bench.slow_clients' big table)
        return
    rt.engine.dispose()
    for name in ("kaifang.db", "kaifang.db-wal", "kaifang.db-shm"):
        (rt.paths.root / name).unlink(missing_ok=True)
    shutil.copytree(_harvested_demo(), rt.paths.root, dirs_exist_ok=True)


def _harvest_demo(rt: Runtime) -> None:
    from demo.register import register_demo_sources
    from harvester.jobs import run_harvest
    from harvester.sources import get_sources

    register_demo_sources(rt)
    results = run_harvest(rt, get_sources(rt))
    failed = [r.summary() for r in results if r.status != "finished"]
    assert not failed, failed


_HARVESTED: list[Path] = []


def _harvested_demo() -> Path:
    """An instance folder with the demo harvested, made once per process."""
    if not _HARVESTED:
        folder = Path(tempfile.mkdtemp(prefix="kaifang-demo-"))
        atexit.register(shutil.rmtree, folder, ignore_errors=True)
        runtime = make_runtime(folder / "instance")
        _harvest_demo(runtime)
        runtime.close()  # the last connection's close folds the write-ahead log into the file
        _HARVESTED.append(folder / "instance")
    return _HARVESTED[0]


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


@pytest.fixture(scope="session")
def live(demo_app) -> Iterator[str]:  # type: ignore[no-untyped-def]
    """The demo app served over HTTP for the whole session (read only)."""
    from tests.factories import serving

    with serving(demo_app) as url:
        yield url


@pytest.fixture
def client(demo_app):  # type: ignore[no-untyped-def]
    return demo_app.test_client()


@pytest.fixture(scope="session")
def redis_url() -> str:
    """The Redis named by KAIFANG_TEST_REDIS_URL (default: the local server). Unreachable, the
    tests skip with the reason, or fail with KAIFANG_REQUIRE_SERVICES=1 (as CI sets it)."""
    import redis

    url = os.environ.get("KAIFANG_TEST_REDIS_URL", DEFAULT_REDIS_URL)
    try:
        redis.Redis.from_url(url, socket_connect_timeout=3).ping()
    except (redis.RedisError, OSError) as exc:
        reason = f"Redis at {url} unreachable: {exc}"
        if os.environ.get("KAIFANG_REQUIRE_SERVICES") == "1":
            pytest.fail(reason)
        pytest.skip(reason)
    return url


@pytest.fixture
def harvest_queue(redis_url: str):  # type: ignore[no-untyped-def]
    """A queue name of this test alone; every key of it (jobs, registries, workers) is removed
    afterwards."""
    name = f"kaifang-test-{uuid.uuid4().hex[:12]}"
    yield name
    flush_queue(redis_url, name)


def flush_queue(url: str, name: str) -> int:
    """Delete what RQ stored for queue ``name``: its lists and registries, its jobs (with their
    results and executions) and the workers that served it. Returns how many keys went."""
    import redis

    r = redis.Redis.from_url(url, decode_responses=True)
    jobs = {
        key.split(":")[2]
        for key in r.scan_iter("rq:job:*", count=1000)
        if key.count(":") == 2
        and r.type(key) == "hash"
        and (r.hget(key, "origin") or "").startswith(name)
    }
    workers = set(r.smembers(f"rq:workers:{name}")) | {
        key
        for key in r.scan_iter("rq:worker:*", count=1000)
        if key.count(":") == 2 and r.type(key) == "hash" and name in (r.hget(key, "queues") or "")
    }
    names = {w.rpartition(":")[2] for w in workers}
    doomed = [
        key
        for key in r.scan_iter("rq:*", count=1000)
        if name in key or any(j in key for j in jobs) or any(w in key for w in names)
    ]
    if workers:
        r.srem("rq:workers", *workers)
    r.srem("rq:queues", f"rq:queue:{name}", f"rq:queue:{name}-validate")
    if doomed:
        r.delete(*doomed)
    return len(doomed)


@pytest.fixture
def workers(tmp_path: Path):  # type: ignore[no-untyped-def]
    """Starts real ``kaifang worker`` processes; whatever is left of them is killed at the end."""
    from tests.harvester.workers import Workers

    started = Workers(tmp_path)
    yield started
    started.close()
