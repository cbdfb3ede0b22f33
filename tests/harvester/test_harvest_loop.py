"""``kaifang harvest A B C``: a source that fails — a bug in its kind, an unreachable or slow
server — fails alone; the next sources still run, and the command says so and exits non-zero."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import select

from datasets.models import HarvestJob, HarvestSource
from datasets.runtime import Runtime
from harvester.datapackage import DataPackageSource
from harvester.jobs import run_harvest
from harvester.sources import add_source, get_sources
from portal.cli import main
from tests.factories import make_runtime, write_package
from tests.harvester.ckan_server import CkanServer, real_packages


@pytest.fixture
def broken_kind(monkeypatch: pytest.MonkeyPatch) -> None:
    """Source ``broken`` hits a bug of its kind (not a SourceError) while gathering."""
    original = DataPackageSource.gather

    def gather(self: DataPackageSource):  # type: ignore[no-untyped-def]
        if self.source.name == "broken":
            raise RuntimeError("意外的内部错误")
        return original(self)

    monkeypatch.setattr(DataPackageSource, "gather", gather)


@pytest.fixture
def slow_portal() -> Iterator[CkanServer]:
    server = CkanServer().start()
    server.add(real_packages()[1])
    server.delay = 3.0  # every API answer, past the harvester's timeout
    yield server
    server.stop()


def _sources(rt: Runtime, tmp_path: Path, portal_url: str) -> None:
    write_package(tmp_path / "broken", "bus-lines")
    write_package(tmp_path / "good", "bus-stops", title="公交站点信息")
    add_source(rt, name="broken", kind="datapackage", location=str(tmp_path / "broken"))
    add_source(rt, name="slow", kind="ckan", location=portal_url)
    add_source(rt, name="good", kind="datapackage", location=str(tmp_path / "good"))


def _jobs(rt: Runtime) -> dict[str, tuple[str, str]]:
    with rt.reader() as session:
        rows = session.execute(
            select(HarvestSource.name, HarvestJob.status, HarvestJob.message).join(
                HarvestSource, HarvestSource.id == HarvestJob.source_id
            )
        ).all()
        locked = session.scalars(select(HarvestSource.lock_job_id)).all()
    assert locked == [None] * len(locked)  # every lock released
    return {name: (status, message) for name, status, message in rows}


def test_an_unexpected_error_or_a_timeout_fails_that_source_alone(
    tmp_path, broken_kind, slow_portal
):
    rt = make_runtime(tmp_path / "instance", harvest_timeout=0.5, harvest_retries=0)
    _sources(rt, tmp_path, slow_portal.url)
    told = []
    results = run_harvest(rt, get_sources(rt, ["broken", "slow", "good"]), report=told.append)
    assert [r.source for r in results] == ["broken", "slow", "good"] == [r.source for r in told]
    assert [r.status for r in results] == ["failed", "failed", "finished"]
    assert results[0].message == "任务意外中止：RuntimeError: 意外的内部错误"
    assert "超时" in results[1].message
    assert results[2].counts["added"] == 1
    jobs = _jobs(rt)
    assert jobs["broken"] == ("failed", results[0].message)
    assert jobs["slow"][0] == "failed" and jobs["good"] == ("finished", "")
    rt.close()


def test_the_command_prints_every_summary_and_exits_non_zero(tmp_path, broken_kind, slow_portal):
    rt = make_runtime(tmp_path / "instance")
    _sources(rt, tmp_path, slow_portal.url)
    rt.close()
    env = {
        "KAIFANG_INSTANCE": str(tmp_path / "instance"),
        "KAIFANG_HARVEST_TIMEOUT": "0.5",
        "KAIFANG_HARVEST_RETRIES": "0",
    }
    result = CliRunner().invoke(
        main, ["harvest", "broken", "slow", "good"], env=env, catch_exceptions=False
    )
    assert result.exit_code == 1
    lines = result.output.splitlines()
    assert lines[0].startswith("broken：失败") and "RuntimeError: 意外的内部错误" in lines[0]
    assert any(line.startswith("slow：失败") and "超时" in line for line in lines)
    assert any(line.startswith("good：完成，新增 1") for line in lines)
    assert "Traceback" not in result.output
