"""Job bookkeeping: one job per source, dead jobs never stay running, due sources, history."""

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select, update

from datasets.accounts.permissions import Actor
from datasets.errors import NotAuthorized, SourceError
from datasets.models import HarvestJob, HarvestSource
from harvester import locks
from harvester.history import harvest_history, job_detail
from harvester.jobs import run_harvest, run_source
from harvester.sources import add_source, due_sources, get_sources
from tests.factories import write_package

OPERATOR = Actor(name="ops", user_id="u1", roles=frozenset({"operator"}))


@pytest.fixture
def source(rt, tmp_path):
    write_package(tmp_path / "src", "bus-lines")
    add_source(rt, name="jt", kind="datapackage", location=str(tmp_path / "src"), frequency="daily")
    return get_sources(rt, ["jt"])[0]


def _hold(rt, source_id, owner, at=None):
    with rt.session() as session:
        job = HarvestJob(source_id=source_id, status="running")
        session.add(job)
        session.flush()
        session.execute(
            update(HarvestSource)
            .where(HarvestSource.id == source_id)
            .values(lock_job_id=job.id, lock_owner=owner, lock_at=at or datetime.now(UTC))
        )
        return job.id


def test_a_source_held_by_a_live_job_is_not_harvested_twice(rt, source):
    _hold(rt, source.id, locks.owner_id())  # this very process: alive
    with pytest.raises(SourceError, match="正在采集中"):
        run_source(rt, source)
    [result] = run_harvest(rt, [source])  # the command reports it and goes on
    assert result.status == "failed" and "正在采集中" in result.message


def test_a_lock_of_a_dead_process_is_taken_over_and_its_job_failed(rt, source):
    old = _hold(rt, source.id, "some-other-name:1")  # another host: only staleness counts
    with rt.session() as session:
        session.execute(
            update(HarvestSource).values(lock_owner=f"{locks.owner_id().rpartition(':')[0]}:999999")
        )  # no such pid here
    assert run_source(rt, source).status == "finished"
    with rt.reader() as session:
        assert session.get(HarvestJob, old).status == "failed"
        assert session.get(HarvestJob, old).message == locks.INTERRUPTED
        assert session.get(HarvestSource, source.id).lock_job_id is None


def test_a_silent_lock_goes_stale(rt, source):
    old = _hold(rt, source.id, "elsewhere:1", at=datetime.now(UTC) - timedelta(hours=2))
    assert run_source(rt, source).status == "finished"
    with rt.reader() as session:
        assert session.get(HarvestJob, old).status == "failed"


def test_reap_fails_running_jobs_without_a_live_lock(rt, source):
    with rt.session() as session:
        orphan = HarvestJob(
            source_id=source.id,
            status="running",
            heartbeat_at=datetime.now(UTC) - timedelta(days=1),
        )
        session.add(orphan)
        session.flush()
        orphan_id = orphan.id
    assert locks.reap(rt) == 1
    with rt.reader() as session:
        assert session.get(HarvestJob, orphan_id).status == "failed"


def test_due_sources_follow_their_frequency(rt, source, tmp_path):
    write_package(tmp_path / "other", "x")
    add_source(rt, name="manual", kind="datapackage", location=str(tmp_path / "other"))
    assert [s.name for s in due_sources(rt)] == ["jt"]  # never harvested; manual never due
    run_source(rt, source)
    assert due_sources(rt) == []
    later = datetime.now(UTC) + timedelta(days=1, minutes=1)
    assert [s.name for s in due_sources(rt, now=later)] == ["jt"]
    run_source(rt, source, dry_run=True)  # a dry run does not count
    assert [s.name for s in due_sources(rt, now=later)] == ["jt"]


def test_history_shows_jobs_counts_and_top_errors(rt, source, tmp_path):
    broken = tmp_path / "src" / "broken"
    broken.mkdir()
    (broken / "datapackage.json").write_text("{", encoding="utf-8")
    result = run_source(rt, source)
    history = harvest_history(rt, actor=OPERATOR)
    [job] = history["jobs"]
    assert job["stats"] == {"added": 1, "errored": 1} and job["status"] == "finished"
    assert "无法解析" in history["top_errors"][0]["message"]
    detail = job_detail(rt, actor=OPERATOR, job_id=result.job_id)
    assert detail["objects"][0]["outcome"] == "errored"  # errors first
    with pytest.raises(NotAuthorized):
        harvest_history(rt, actor=Actor(name="x", user_id="2", roles=frozenset({"citizen"})))


def test_outcomes_are_written_even_when_the_job_ends_early(rt, source):
    result = run_source(rt, source)
    with rt.reader() as session:
        job = session.scalar(select(HarvestJob).where(HarvestJob.id == result.job_id))
        assert job.stats == {"added": 1} and job.finished_at is not None
