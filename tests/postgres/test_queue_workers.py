"""Harvest workers that scale out: two real ``kaifang worker`` processes on PostgreSQL and Redis
share the queue; every source is harvested once, and no source ever runs twice at once — even
when it is enqueued twice and both workers take it at the same moment."""

from __future__ import annotations

import os
import signal
import time

import pytest
from redis import Redis
from rq import Queue, Worker
from rq.job import Job, JobStatus

from harvester.jobs import job_objects
from harvester.queue import perform
from harvester.sources import add_source
from tests.factories import make_runtime
from tests.harvester.slow_source import check_consistent, write_slow_source
from tests.harvester.workers import jobs_of, kaifang, queue_env, wait_for

pytestmark = [pytest.mark.postgres, pytest.mark.slow]
SOURCES = [f"dept-{n}" for n in range(1, 6)]
PACKAGES = 4  # per source


def _never_overlap(jobs) -> None:  # type: ignore[no-untyped-def]
    """Jobs that held the source's lock ran one after the other."""
    ran = sorted((j for j in jobs if "正在采集中" not in j.message), key=lambda j: j.started_at)
    for before, after in zip(ran, ran[1:], strict=False):
        assert before.finished_at <= after.started_at, (before.id, after.id)


def _most_at_once(jobs) -> int:  # type: ignore[no-untyped-def]
    edges = sorted([(j.started_at, 1) for j in jobs] + [(j.finished_at, -1) for j in jobs])
    running = most = 0
    for _moment, step in edges:
        running += step
        most = max(most, running)
    return most


def test_two_workers_share_the_queue_and_never_run_a_source_twice_at_once(
    tmp_path, fresh_postgres_url, redis_url, harvest_queue, workers
):
    instance = tmp_path / "instance"
    rt = make_runtime(instance, database_url=fresh_postgres_url)
    for n, name in enumerate(SOURCES):
        folder = write_slow_source(tmp_path / name, PACKAGES, rows=1500, tag=f"S{n}")
        add_source(rt, name=name, kind="datapackage", location=str(folder))
    busy = write_slow_source(tmp_path / "busy", 12, tag="B")
    add_source(rt, name="busy", kind="datapackage", location=str(busy))
    env = queue_env(instance, redis_url, harvest_queue, database_url=fresh_postgres_url)
    connection = Redis.from_url(redis_url)
    queue = Queue(harvest_queue, connection=connection)
    for _ in range(2):
        workers.start(env)
    wait_for(lambda: Worker.count(queue=queue) == 2, "two workers listening", 60)

    began = time.monotonic()
    queued = kaifang("harvest", "--queue", *SOURCES, env=env)
    assert queued.returncode == 0, queued.stderr
    job_ids = [line.rpartition(" ")[2] for line in queued.stdout.splitlines()]
    assert len(set(job_ids)) == len(SOURCES)
    rq_jobs = [Job.fetch(job_id, connection=connection) for job_id in job_ids]
    ended = (JobStatus.FINISHED, JobStatus.FAILED)
    wait_for(lambda: all(j.get_status() in ended for j in rq_jobs), "the five harvests")
    for job in rq_jobs:
        job.refresh()
    assert [j.get_status() for j in rq_jobs] == [JobStatus.FINISHED] * 5, [
        (j.meta.get("source"), j.exc_info) for j in rq_jobs
    ]
    took = time.monotonic() - began
    everything = []
    for name in SOURCES:
        jobs = jobs_of(rt, name)
        assert [j.status for j in jobs] == ["finished"], (name, [j.message for j in jobs])
        errors = [o["message"] for o in job_objects(rt, jobs[0].id) if o["outcome"] == "errored"]
        assert jobs[0].stats == {"added": PACKAGES}, errors
        everything += jobs
    assert len({j.worker_name for j in rq_jobs}) == 2  # both workers took jobs
    at_once = _most_at_once(everything)
    assert 1 <= at_once <= 2  # one job per worker at a time

    # the same source twice, taken by both workers at the same moment: the lock lets one run
    twice = [queue.enqueue(perform, "busy", job_timeout=600, meta={"source": "busy"}) for _ in "ab"]
    wait_for(lambda: all(j.get_status() in ("finished", "failed") for j in twice), "busy", 180)
    jobs = jobs_of(rt, "busy")
    assert sorted(j.status for j in jobs) == ["failed", "finished"], [j.message for j in jobs]
    [refused] = [j for j in jobs if j.status == "failed"]
    assert refused.message.startswith("来源 busy 正在采集中")
    assert sorted(j.get_status() for j in twice) == [JobStatus.FAILED, JobStatus.FINISHED]
    for name in [*SOURCES, "busy"]:
        _never_overlap(jobs_of(rt, name))
    assert check_consistent(rt, rows=None) == len(SOURCES) * PACKAGES + 12
    for process in workers.started:
        os.kill(process.pid, signal.SIGTERM)  # idle: warm shutdown at once
        assert process.wait(timeout=30) == 0
    print(f"5 sources × {PACKAGES} packages on 2 workers: {took:.1f} s, {at_once} jobs at once")
    rt.close()
