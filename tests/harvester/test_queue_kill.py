"""Queued harvests stopped the hard way: a work horse or a whole worker killed with SIGTERM or
SIGKILL mid-harvest. The job always ends failed with a reason (never "running" for good, never
wedged in RQ's registries), its lock is freed, the catalog holds whole datasets only, and the
source harvests again. The lock's owner is the work horse, a child of the worker."""

from __future__ import annotations

import os
import signal
import time

import pytest
from redis import Redis
from rq import Queue
from rq.job import Job, JobStatus

from datasets.runtime import Runtime
from datasets.settings import load_settings
from harvester import locks
from harvester.queue import enqueue
from harvester.sources import add_source, get_sources
from tests.factories import make_runtime, search
from tests.harvester.slow_source import check_consistent, published, write_slow_source
from tests.harvester.workers import jobs_of, lock_owner_pid, parent_pid, queue_env, wait_for

pytestmark = pytest.mark.slow
PACKAGES = 24
BIG = 6 * PACKAGES  # a job still well under way seconds in, however fast harvests get


@pytest.fixture
def air(tmp_path):
    rt = make_runtime(tmp_path / "instance")
    add_source(
        rt,
        name="air",
        kind="datapackage",
        location=str(write_slow_source(tmp_path / "src", PACKAGES)),
    )
    yield rt
    rt.close()


@pytest.fixture
def big_air(tmp_path):
    """Six times the packages: a job that is still well under way a few seconds in."""
    rt = make_runtime(tmp_path / "instance")
    add_source(
        rt,
        name="air",
        kind="datapackage",
        location=str(write_slow_source(tmp_path / "src", BIG)),
    )
    yield rt
    rt.close()


def _enqueue(rt: Runtime, redis_url: str, queue: str, **overrides: object) -> str:
    settings = load_settings(
        {
            "instance": str(rt.paths.root),
            "redis_url": redis_url,
            "harvest_queue": queue,
            **overrides,
        },
        environ={},
    )
    [entry] = enqueue(settings, get_sources(rt, ["air"]))
    return entry.job_id


def _horse_mid_harvest(rt: Runtime, worker_pid: int, at_least: int = 3) -> int:
    """Wait until the job has published some datasets; return its work horse's pid."""
    wait_for(lambda: published(rt) >= at_least, "datasets published by the queued job")
    horse = lock_owner_pid(rt, "air")
    assert horse is not None and horse != worker_pid  # the lock names the horse …
    assert parent_pid(horse) == worker_pid  # … which the worker forked
    return horse


def _last_job_failed(rt: Runtime, message: str) -> None:
    job = jobs_of(rt, "air")[-1]
    assert job.status == "failed" and job.finished_at is not None
    assert job.message == message
    assert lock_owner_pid(rt, "air") is None


def _rq_status(redis_url: str, job_id: str) -> JobStatus:
    return Job.fetch(job_id, connection=Redis.from_url(redis_url)).get_status()


def test_sigterm_to_the_work_horse_marks_its_job_interrupted_at_once(
    air, redis_url, harvest_queue, workers
):
    env = queue_env(air.paths.root, redis_url, harvest_queue)
    worker = workers.start(env)
    job_id = _enqueue(air, redis_url, harvest_queue)
    horse = _horse_mid_harvest(air, worker.pid)
    os.kill(horse, signal.SIGTERM)  # as systemd stopping the unit does
    stopped = time.monotonic()
    message = "任务中断：收到终止信号（SIGTERM）"
    wait_for(lambda: jobs_of(air, "air")[-1].status == "failed", "the job marked failed", 20)
    took = time.monotonic() - stopped
    _last_job_failed(air, message)
    wait_for(lambda: _rq_status(redis_url, job_id) == JobStatus.FAILED, "RQ's failure", 20)
    assert worker.poll() is None  # the worker goes on serving the queue
    assert 3 <= check_consistent(air) < PACKAGES
    os.kill(worker.pid, signal.SIGTERM)  # idle: a warm shutdown exits at once
    assert worker.wait(timeout=30) == 0
    assert f"采集 air：{message}" in workers.log()
    assert "Traceback" not in workers.log()
    assert took < 10, f"marking the job took {took:.1f} s"


def test_sigkill_of_the_horse_and_then_of_the_worker_leaves_nothing_running(
    air, redis_url, harvest_queue, workers
):
    env = queue_env(air.paths.root, redis_url, harvest_queue)
    # 1. the horse killed (the OOM killer): the worker sees it die and fails the job
    worker = workers.start(env)
    first = _enqueue(air, redis_url, harvest_queue)
    horse = _horse_mid_harvest(air, worker.pid)
    os.killpg(horse, signal.SIGKILL)  # the horse and its validation workers
    wait_for(lambda: jobs_of(air, "air")[-1].status == "failed", "the killed job failed", 20)
    _last_job_failed(air, f"任务中断：采集进程 {horse} 被信号 SIGKILL 终止")
    wait_for(lambda: _rq_status(redis_url, first) == JobStatus.FAILED, "RQ's failure", 20)
    assert worker.poll() is None
    # 2. worker and horse killed together: nobody is left to notice
    second = _enqueue(air, redis_url, harvest_queue)
    before = published(air)
    horse = _horse_mid_harvest(air, worker.pid, at_least=before + 2)
    os.killpg(horse, signal.SIGKILL)
    os.killpg(worker.pid, signal.SIGKILL)
    worker.wait(timeout=30)
    assert jobs_of(air, "air")[-1].status == "running"  # as the processes left it
    assert _rq_status(redis_url, second) == JobStatus.STARTED
    count = check_consistent(air)  # whole datasets only
    assert before + 2 <= count < PACKAGES
    # 3. the next worker fails the dead job (database and RQ) and harvests the source again
    third = _enqueue(air, redis_url, harvest_queue)
    again = workers.start(env, "--burst")
    assert again.wait(timeout=300) == 0, workers.log()
    killed, rerun = jobs_of(air, "air")[-2:]
    assert killed.status == "failed" and killed.message == locks.INTERRUPTED
    assert killed.finished_at is not None
    assert _rq_status(redis_url, second) == JobStatus.FAILED
    queue = Queue(harvest_queue, connection=Redis.from_url(redis_url))
    assert second in queue.failed_job_registry.get_job_ids()
    assert queue.started_job_registry.get_job_ids() == []
    assert rerun.status == "finished" and rerun.stats.get("errored", 0) == 0
    assert _rq_status(redis_url, third) == JobStatus.FINISHED
    assert check_consistent(air) == PACKAGES
    assert search(air, q="空气质量", rows=0)["count"] == PACKAGES


def test_a_cold_shutdown_stops_the_job_and_records_why(big_air, redis_url, harvest_queue, workers):
    env = queue_env(big_air.paths.root, redis_url, harvest_queue)
    worker = workers.start(env)
    job_id = _enqueue(big_air, redis_url, harvest_queue)
    _horse_mid_harvest(big_air, worker.pid, at_least=1)
    os.kill(worker.pid, signal.SIGTERM)  # warm shutdown: the job goes on
    time.sleep(1.2)  # RQ takes a second signal within 1 s for a duplicate
    assert worker.poll() is None and jobs_of(big_air, "air")[-1].status == "running"
    os.kill(worker.pid, signal.SIGTERM)  # cold shutdown: the horse is told to stop
    assert worker.wait(timeout=30) == 0
    _last_job_failed(big_air, "任务中断：收到终止信号（SIGTERM）")
    assert _rq_status(redis_url, job_id) == JobStatus.FAILED
    assert check_consistent(big_air) < BIG


def test_a_job_past_its_time_limit_is_stopped_and_says_so(
    big_air, redis_url, harvest_queue, workers
):
    job_id = _enqueue(big_air, redis_url, harvest_queue, harvest_job_timeout=1)
    worker = workers.start(queue_env(big_air.paths.root, redis_url, harvest_queue), "--burst")
    assert worker.wait(timeout=120) == 0, workers.log()
    _last_job_failed(big_air, "任务超时：运行超过 1 秒，已停止")
    assert _rq_status(redis_url, job_id) == JobStatus.FAILED
    assert check_consistent(big_air) < BIG
    assert "采集 air：任务超时" in workers.log()
