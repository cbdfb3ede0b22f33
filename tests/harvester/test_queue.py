"""``kaifang harvest --queue`` and ``kaifang worker``: harvests as RQ jobs on a real Redis."""

from __future__ import annotations

import pytest
from click.testing import CliRunner
from redis import Redis
from rq import Queue
from rq.job import Job, JobStatus

from datasets.errors import ConfigError
from datasets.settings import load_settings
from harvester import locks
from harvester.queue import enqueue, redis_url
from harvester.sources import add_source, get_sources
from portal.cli import main
from tests.factories import make_runtime, write_package
from tests.harvester.test_jobs import _hold
from tests.harvester.workers import jobs_of, kaifang, queue_env


@pytest.fixture
def instance(tmp_path):
    rt = make_runtime(tmp_path / "instance")
    for name, title in (("jt", "公交线路信息"), ("zj", "住房保障信息")):
        folder = tmp_path / name
        write_package(folder, f"{name}-data", title=title)
        add_source(rt, name=name, kind="datapackage", location=str(folder), frequency="daily")
    yield rt
    rt.close()


def _cli(*args: str, **env: str):  # type: ignore[no-untyped-def]
    return CliRunner().invoke(main, list(args), env=env, catch_exceptions=False)


def test_the_queue_needs_redis_and_says_so(instance):
    where = {"KAIFANG_INSTANCE": str(instance.paths.root)}
    for args in (("harvest", "--queue"), ("worker", "--burst")):
        result = _cli(*args, **where)
        assert result.exit_code == 1
        assert result.output.startswith("错误：采集队列需要 Redis：请设置 KAIFANG_REDIS_URL")
        assert len(result.output.strip().splitlines()) == 1
    down = _cli("harvest", "--queue", **where, KAIFANG_REDIS_URL="redis://:pw@127.0.0.1:1/0")
    assert down.exit_code == 1
    assert down.output.startswith("错误：无法连接采集队列的 Redis（redis://***@127.0.0.1:1/0）")
    wrong = _cli("harvest", "--queue", **where, KAIFANG_REDIS_URL="http://127.0.0.1:6379")
    assert wrong.exit_code == 1 and "须以 redis://" in wrong.output
    dry = _cli("harvest", "--queue", "--dry-run", **where)
    assert dry.exit_code == 1 and "--dry-run 不能与 --queue 同时使用" in dry.output


def test_the_rate_limits_redis_serves_when_no_queue_redis_is_set():
    shared = "redis://127.0.0.1:6379/3"
    assert redis_url(load_settings({"ratelimit_storage_uri": shared}, environ={})) == shared
    own = {"ratelimit_storage_uri": shared, "redis_url": "redis://queue.internal:6379/1"}
    assert redis_url(load_settings(own, environ={})) == "redis://queue.internal:6379/1"
    with pytest.raises(ConfigError, match="采集队列需要 Redis"):
        redis_url(load_settings({"ratelimit_storage_uri": "memory://"}, environ={}))


def test_queue_prints_the_job_ids_and_enqueues_a_waiting_source_once(
    instance, redis_url, harvest_queue
):
    where = {
        "KAIFANG_INSTANCE": str(instance.paths.root),
        "KAIFANG_REDIS_URL": redis_url,
        "KAIFANG_HARVEST_QUEUE": harvest_queue,
    }
    first = _cli("harvest", "--queue", "jt", **where)
    assert first.exit_code == 0, first.output
    [line] = first.output.splitlines()
    assert line.startswith(f"jt：已加入队列 {harvest_queue}，任务 ")
    job_id = line.rpartition(" ")[2]
    queue = Queue(harvest_queue, connection=Redis.from_url(redis_url))
    assert queue.job_ids == [job_id]
    job = queue.fetch_job(job_id)
    assert job is not None and job.func_name == "harvester.queue.perform" and job.args == ("jt",)
    assert job.timeout == 6 * 3600
    due = _cli("harvest", "--queue", "--due", **where)  # both daily sources are due
    assert due.exit_code == 0, due.output
    assert due.output.splitlines() == [
        f"jt：已在队列中等待，任务 {job_id}（未重复加入）",
        f"zj：已加入队列 {harvest_queue}，任务 {queue.job_ids[1]}",
    ]
    assert len(queue.job_ids) == 2
    assert jobs_of(instance, "jt") == []  # nothing ran: --queue returns at once


def test_a_worker_runs_the_queued_harvests(instance, redis_url, harvest_queue):
    settings = load_settings(
        {
            "instance": str(instance.paths.root),
            "redis_url": redis_url,
            "harvest_queue": harvest_queue,
        },
        environ={},
    )
    queued = enqueue(settings, get_sources(instance))
    env = queue_env(instance.paths.root, redis_url, harvest_queue)
    worked = kaifang("worker", "--burst", env=env)
    assert worked.returncode == 0, worked.stdout + worked.stderr
    assert f"队列 {harvest_queue}（队列清空后退出）" in worked.stdout
    assert "采集 jt：完成，新增 1" in worked.stdout
    connection = Redis.from_url(redis_url)
    for entry in queued:
        [job] = jobs_of(instance, entry.source)
        assert job.status == "finished"
        rq_job = Job.fetch(entry.job_id, connection=connection)
        assert rq_job.get_status() == JobStatus.FINISHED
        assert rq_job.return_value() == {
            "source": entry.source,
            "job_id": job.id,
            "status": "finished",
            "counts": {"added": 1},
            "message": "",
        }
        assert rq_job.meta["owner"].startswith(locks.owner_id().rpartition(":")[0] + ":")


def test_a_job_of_a_busy_source_fails_visibly_and_is_not_put_back(
    instance, redis_url, harvest_queue
):
    [jt] = get_sources(instance, ["jt"])
    holder = _hold(instance, jt.id, locks.owner_id())  # a live job of this (test) process
    settings = load_settings(
        {
            "instance": str(instance.paths.root),
            "redis_url": redis_url,
            "harvest_queue": harvest_queue,
        },
        environ={},
    )
    [entry] = enqueue(settings, [jt])
    worked = kaifang(
        "worker", "--burst", env=queue_env(instance.paths.root, redis_url, harvest_queue)
    )
    assert worked.returncode == 0, worked.stdout + worked.stderr
    assert "Traceback" not in worked.stdout + worked.stderr
    held, busy = jobs_of(instance, "jt")
    assert held.id == holder and held.status == "running"  # untouched
    assert busy.status == "failed" and busy.finished_at is not None
    assert busy.message.startswith("来源 jt 正在采集中（任务 ")
    connection = Redis.from_url(redis_url)
    rq_job = Job.fetch(entry.job_id, connection=connection)
    assert rq_job.get_status() == JobStatus.FAILED
    result = rq_job.latest_result()
    assert result is not None and "HarvestFailed: jt：失败" in (result.exc_string or "")
    assert "正在采集中" in (result.exc_string or "")
    queue = Queue(harvest_queue, connection=connection)
    assert queue.job_ids == [] and queue.failed_job_registry.get_job_ids() == [entry.job_id]
