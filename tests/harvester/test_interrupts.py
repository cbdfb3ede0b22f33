"""A harvest stopped by SIGTERM or SIGINT is marked interrupted at once — failed, with the
reason and its end time, its source's lock released — not left "running" for the next run to
notice; what it published is whole, and the next run completes the work."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from sqlalchemy import select

from datasets.models import HarvestJob, HarvestSource
from harvester.interrupts import Interrupted, check, interruptible, request
from harvester.jobs import run_harvest
from harvester.sources import add_source, get_sources
from tests.factories import make_runtime, write_package
from tests.harvester.slow_source import check_consistent, published, write_slow_source
from tests.harvester.workers import jobs_of, lock_owner_pid

PACKAGES = 24


def test_a_signal_becomes_interrupted_and_the_handlers_come_back():
    before = signal.getsignal(signal.SIGTERM)
    with pytest.raises(Interrupted) as raised, interruptible():
        os.kill(os.getpid(), signal.SIGTERM)
        time.sleep(5)  # the handler raises before this ends
    assert raised.value.message == "任务中断：收到终止信号（SIGTERM）"
    assert raised.value.exit_status == 143
    assert signal.getsignal(signal.SIGTERM) is before


def test_a_stop_python_could_not_raise_reaches_the_job_at_its_next_object(rt, tmp_path):
    """A signal handled inside a weakref callback or ``__del__`` loses its exception ("Exception
    ignored in …"); the stop stays pending and the job still ends interrupted."""
    with interruptible():
        try:
            os.kill(os.getpid(), signal.SIGTERM)
            time.sleep(5)
        except Interrupted:
            pass  # swallowed, as Python does where an exception cannot propagate
        write_package(tmp_path / "src", "bus-lines")
        add_source(rt, name="jt", kind="datapackage", location=str(tmp_path / "src"))
        with pytest.raises(Interrupted):
            run_harvest(rt, get_sources(rt, ["jt"]))
        check()  # delivered: nothing pending any more
    [job] = jobs_of(rt, "jt")
    assert job.status == "failed" and job.message == "任务中断：收到终止信号（SIGTERM）"
    assert lock_owner_pid(rt, "jt") is None
    assert job.stats == {}  # stopped at the first outcome it went to record


@pytest.mark.slow
@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "SIGINT"])
def test_a_harvest_stopped_by_a_signal_is_marked_interrupted_at_once(tmp_path, sig):
    rt = make_runtime(tmp_path / "instance")
    add_source(
        rt,
        name="air",
        kind="datapackage",
        location=str(write_slow_source(tmp_path / "src", PACKAGES)),
    )
    env = {
        "KAIFANG_INSTANCE": str(tmp_path / "instance"),
        "KAIFANG_HARVEST_WORKERS": "2",
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
    }
    process = subprocess.Popen(
        [str(Path(sys.executable).with_name("kaifang")), "harvest", "air"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    deadline = time.monotonic() + 120
    while process.poll() is None and published(rt) < 3 and time.monotonic() < deadline:
        time.sleep(0.02)
    assert process.poll() is None, "the harvest ended before it could be stopped"
    os.kill(process.pid, sig)  # the command's process alone, as `kill` or Ctrl+C does
    stopped = time.monotonic()
    _out, err = process.communicate(timeout=60)
    took = time.monotonic() - stopped
    name = signal.Signals(sig).name
    assert process.returncode == 128 + sig, err
    assert err.strip() == f"错误：任务中断：收到终止信号（{name}）；该来源的任务已标记为失败"
    with rt.reader() as session:  # as the process left it: nothing reaped it since
        [job] = session.scalars(select(HarvestJob)).all()
        source = session.scalars(select(HarvestSource)).one()
    assert job.status == "failed" and job.message == f"任务中断：收到终止信号（{name}）"
    assert job.finished_at is not None and source.lock_job_id is None
    assert 3 <= check_consistent(rt) < PACKAGES
    assert took < 10, f"stopping took {took:.1f} s"
    print(f"stopped {took:.2f} s after {name}")
    [again] = run_harvest(rt, get_sources(rt, ["air"]))
    assert again.status == "finished" and again.counts["errored"] == 0
    assert check_consistent(rt) == PACKAGES
    rt.close()


@pytest.mark.parametrize("where", ["harvester.jobs.publish_plan", "harvester.jobs.plan_import"])
def test_an_error_a_stop_caused_is_the_stop(rt, tmp_path, monkeypatch, caplog, where):
    """A signal that lands inside the database driver's own book-keeping can come out as that
    library's error ("This transaction is closed"), the stop's exception only its context: the
    job still ends with the stop, and no object is logged as failed for it."""

    def cut_short(*_args, **_kwargs):
        try:
            raise request(Interrupted.by_signal(signal.SIGTERM))
        except Interrupted:
            raise RuntimeError("This transaction is closed") from None

    monkeypatch.setattr(where, cut_short)
    write_package(tmp_path / "src", "bus-lines")
    add_source(rt, name="jt", kind="datapackage", location=str(tmp_path / "src"))
    with pytest.raises(Interrupted), interruptible():
        run_harvest(rt, get_sources(rt, ["jt"]))
    [job] = jobs_of(rt, "jt")
    assert job.status == "failed" and job.message == "任务中断：收到终止信号（SIGTERM）"
    assert lock_owner_pid(rt, "jt") is None
    assert not [r for r in caplog.records if r.levelname == "ERROR"], caplog.text
