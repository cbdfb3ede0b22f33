"""A queued harvest's validation spread over the queue's workers (``harvester.spread``): two real
``kaifang worker`` processes on this machine's Redis; one harvests, both validate; what is
published is whole and in order. And the pieces alone: claims are taken once, a worker that
cannot read the files leaves them to the harvest."""

from __future__ import annotations

from pathlib import Path

import pytest
from redis import Redis
from rq import Queue, SimpleWorker, Worker
from rq.job import Job, JobStatus
from rq.registry import FinishedJobRegistry

from datasets.intake.publishing import prepare_options
from datasets.intake.records import FileRecord
from harvester import spread
from harvester.jobs import job_objects
from harvester.sources import add_source
from tests.factories import make_runtime
from tests.harvester.slow_source import check_consistent, write_slow_source
from tests.harvester.workers import jobs_of, kaifang, queue_env, wait_for

PACKAGES = 24


@pytest.mark.slow
def test_two_workers_validate_one_queued_harvest(tmp_path, redis_url, harvest_queue, workers):
    instance = tmp_path / "instance"
    rt = make_runtime(instance)
    folder = write_slow_source(tmp_path / "air", PACKAGES, rows=2500, tag="V")
    add_source(rt, name="air", kind="datapackage", location=str(folder))
    # one process of its own per harvest: the other worker's help is what makes it faster
    env = queue_env(instance, redis_url, harvest_queue, harvest_workers="1")
    connection = Redis.from_url(redis_url)
    validation = Queue(spread.queue_name(harvest_queue), connection=connection)
    for _ in range(2):
        workers.start(env)
    wait_for(lambda: Worker.count(queue=validation) == 2, "two workers on the validation queue")

    queued = kaifang("harvest", "--queue", "air", env=env)
    assert queued.returncode == 0, queued.stderr
    harvest = Job.fetch(queued.stdout.split()[-1], connection=connection)
    ended = (JobStatus.FINISHED, JobStatus.FAILED)
    wait_for(lambda: harvest.get_status() in ended, "the harvest", 240)
    assert harvest.get_status() == JobStatus.FINISHED, harvest.exc_info

    [job] = jobs_of(rt, "air")
    errors = [o["message"] for o in job_objects(rt, job.id) if o["outcome"] == "errored"]
    assert job.stats == {"added": PACKAGES}, errors
    assert check_consistent(rt, rows=2500) == PACKAGES
    validated = [
        Job.fetch(i, connection=connection)
        for i in FinishedJobRegistry(queue=validation).get_job_ids()
    ]
    by_worker = [j for j in validated if j.return_value() is not None]
    harvest.refresh()
    helpers = {j.worker_name for j in by_worker} - {harvest.worker_name}
    assert helpers, "the other worker validated none of the files"
    print(f"{len(by_worker)} of {PACKAGES} validated by a worker, the rest by the harvest")
    rt.close()


def _files(folder: Path, count: int) -> list[FileRecord]:
    out = []
    for n in range(count):
        path = folder / f"t{n}.csv"
        path.write_text("序号,名称\n1,公交线路\n2,地铁线路\n", encoding="utf-8")
        out.append(FileRecord(path=path, name=path.name, format="CSV"))
    return out


def test_a_hand_over_is_claimed_once(tmp_path, redis_url, harvest_queue):
    rt = make_runtime(tmp_path / "instance")
    connection = Redis.from_url(redis_url)
    queue = Queue(spread.queue_name(harvest_queue), connection=connection)
    options = prepare_options(rt)
    taken, worked, unreadable = (
        spread.hand_over(queue, _files(tmp_path, 1), options) for _ in range(3)
    )
    assert spread.take_back(taken)  # the harvest's: no worker will prepare it
    missing = FileRecord(path=tmp_path / "gone.csv", name="gone.csv", format="CSV")
    unreadable.job.args = (unreadable.claim, [missing], options)
    unreadable.job.save()
    SimpleWorker([queue], connection=connection).work(burst=True)

    assert taken.job.get_status(refresh=True) == JobStatus.CANCELED
    assert not spread.take_back(worked)  # the worker holds it
    assert spread.finished(worked)
    [prepared] = spread.result(worked) or []
    assert prepared.path.is_file() and prepared.path.is_relative_to(rt.paths.staging)
    spread.abandon(worked)  # not published: the worker's copy goes
    assert not prepared.path.exists()
    # a worker that could not read the files left them unclaimed: the harvest takes them
    assert unreadable.job.latest_result().return_value is None
    assert spread.take_back(unreadable)
    rt.close()
