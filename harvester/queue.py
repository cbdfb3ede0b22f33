"""Harvests as RQ jobs on Redis: ``kaifang harvest --queue`` enqueues one job per source and
returns, ``kaifang worker`` (an RQ worker) runs them, as many workers on as many hosts as needed.

RQ forks a work horse per job; the horse runs ``perform`` → ``run_harvest`` for one source, so
the horse's pid is what the source's lock names as owner (``locks.owner_id``). The lock, in the
database, keeps one job per source across all workers: a job dequeued while another live job
holds its source fails at once, visibly (its row in harvest_jobs, RQ's failed registry), and is
not re-enqueued — the running job is already harvesting that source, and a retry loop would only
keep a worker spinning on it. How a job ends when its process is stopped:

- SIGTERM to the horse (systemd stops the whole unit so) → ``Interrupted``: the job is failed
  with the reason and its lock released at once; RQ records the failure.
- SIGTERM or Ctrl+C to the worker → RQ's warm shutdown: the current job finishes, then the
  worker exits. A second one → cold shutdown: the horse gets SIGTERM (as above) and
  ``stop_grace`` seconds, then SIGKILL.
- SIGKILL of the horse (the OOM killer) → the worker marks its job failed when it sees it die.
- SIGKILL of worker and horse → the next worker on this host (at start and every ten minutes)
  marks the job failed in the database and moves it to RQ's failed registry, since its horse no
  longer exists; elsewhere the lock goes stale after ``harvest_stale_minutes``.
"""

from __future__ import annotations

import logging
import os
import signal
import time
from dataclasses import dataclass
from types import FrameType
from typing import Any

from redis import Redis
from redis.exceptions import RedisError
from rq import Queue, Worker, get_current_job
from rq.timeouts import JobTimeoutException, UnixSignalDeathPenalty

from datasets.errors import ConfigError, KaifangError
from datasets.runtime import Runtime
from datasets.settings import Settings, load_settings
from harvester import interrupts, locks, spread
from harvester.base import SourceConfig
from harvester.interrupts import Interrupted, interruptible
from harvester.jobs import run_harvest
from harvester.sources import get_sources

log = logging.getLogger(__name__)

REDIS_SCHEMES = ("redis://", "rediss://", "unix://")
RESULT_TTL = 7 * 86400  # seconds RQ keeps a finished job's result
FAILURE_TTL = 30 * 86400


class HarvestFailed(KaifangError):
    """A queued harvest ended failed (its summary says why); RQ lists it as failed."""


@dataclass(frozen=True)
class Enqueued:
    source: str
    job_id: str
    new: bool  # False: a job of this source was already waiting in the queue


def redis_url(settings: Settings) -> str:
    """The Redis of the queue: KAIFANG_REDIS_URL, else the rate limits' Redis."""
    url = settings.redis_url.strip()
    if not url and settings.ratelimit_storage_uri.startswith(("redis://", "rediss://")):
        url = settings.ratelimit_storage_uri
    if not url:
        raise ConfigError(
            "采集队列需要 Redis：请设置 KAIFANG_REDIS_URL（如 redis://127.0.0.1:6379/1）；"
            "不用队列时去掉 --queue，直接在本进程采集"
        )
    if not url.startswith(REDIS_SCHEMES):
        raise ConfigError(f"KAIFANG_REDIS_URL 须以 redis://、rediss:// 或 unix:// 开头：{url}")
    return url


def connect(settings: Settings) -> Redis:
    """A checked connection to the queue's Redis, or ``ConfigError`` saying why not."""
    url = redis_url(settings)
    shown = _without_password(url)
    try:
        connection = Redis.from_url(url, socket_connect_timeout=5)
        connection.ping()
    except (RedisError, ValueError, OSError) as exc:
        raise ConfigError(f"无法连接采集队列的 Redis（{shown}）：{exc}") from None
    return connection


def _without_password(url: str) -> str:
    scheme, sep, rest = url.partition("://")
    credentials, at, host = rest.rpartition("@")
    if not at:
        return url
    user = credentials.partition(":")[0]
    return f"{scheme}{sep}{user + ':***' if user else '***'}@{host}"


def harvest_queue(settings: Settings, connection: Redis) -> Queue:
    return Queue(settings.harvest_queue, connection=connection)


def enqueue(settings: Settings, sources: list[SourceConfig]) -> list[Enqueued]:
    """One job per source, unless a job of that source is still waiting in the queue."""
    queue = harvest_queue(settings, connect(settings))
    waiting = {job.meta.get("source"): job.id for job in queue.get_jobs() if job.meta.get("source")}
    out = []
    for source in sources:
        if source.name in waiting:
            out.append(Enqueued(source.name, waiting[source.name], new=False))
            continue
        job = queue.enqueue(
            perform,
            source.name,
            job_timeout=settings.harvest_job_timeout,
            result_ttl=RESULT_TTL,
            failure_ttl=FAILURE_TTL,
            description=f"采集来源 {source.name}",
            meta={"source": source.name},
        )
        waiting[source.name] = job.id
        out.append(Enqueued(source.name, job.id, new=True))
    return out


def perform(source_name: str) -> dict[str, Any]:
    """The job, run in the work horse: harvest one source."""
    job = get_current_job()
    if job is not None:  # who runs it, for a worker that finds it abandoned (fail_abandoned)
        job.meta["owner"] = locks.owner_id()
        job.save_meta()
    rt = Runtime(load_settings())
    try:
        with interruptible((signal.SIGTERM,)):
            [result] = run_harvest(rt, get_sources(rt, [source_name]))
    finally:
        rt.close()
    log.info("采集 %s", result.summary())
    if result.status != "finished":
        raise HarvestFailed(result.summary())
    return {
        "source": result.source,
        "job_id": result.job_id,
        "status": result.status,
        "counts": dict(result.counts),
        "message": result.message,
    }


def fail_abandoned(queue: Queue) -> list[str]:
    """Jobs RQ still counts as started although their work horse, a process on this host, no
    longer exists (worker and horse killed with SIGKILL): moved to RQ's failed registry now,
    by RQ's own clean-up, rather than once their heartbeat expires. Returns their ids."""
    registry = queue.started_job_registry
    dead: dict[str, str] = {}
    for job_id, execution_id in registry.get_job_and_execution_ids(cleanup=False):
        job = queue.fetch_job(job_id)
        owner = job.meta.get("owner") if job is not None else None
        if owner and locks.owner_gone(owner):
            dead[f"{job_id}:{execution_id}"] = job_id
    if dead:
        queue.connection.zadd(registry.key, dict.fromkeys(dead, 0), xx=True)
        registry.cleanup()
    return sorted(set(dead.values()))


def reap_database(pid: int | None, message: str = locks.INTERRUPTED) -> None:
    """Mark failed the harvest jobs of exited processes of this host (of ``pid`` only, when
    given), on a runtime of their own: the worker keeps no database connection across forks."""
    rt = Runtime(load_settings())
    try:
        owner = locks.owner_id(pid) if pid else None
        reaped = locks.reap(rt, owner=owner, message=message)
        if reaped:
            log.warning("已将 %d 个中断的采集任务标记为失败：%s", reaped, message)
    except Exception:  # noqa: BLE001 — book-keeping never takes the worker down
        log.exception("marking interrupted harvest jobs failed did not work")
    finally:
        rt.close()


class _TimeLimit(UnixSignalDeathPenalty):
    """RQ's job time limit, raising ``Interrupted`` so the job records why it stopped."""

    def handle_death_penalty(self, signum: int, frame: FrameType | None) -> None:
        if self._exception is JobTimeoutException:
            raise interrupts.request(Interrupted(f"任务超时：运行超过 {self._timeout} 秒，已停止"))
        super().handle_death_penalty(signum, frame)


class HarvestWorker(Worker):
    """RQ's forking worker, plus the harvest book-keeping when a work horse dies."""

    death_penalty_class = _TimeLimit
    stop_grace = 10.0  # seconds a horse sent SIGTERM has to record its end before SIGKILL

    def kill_horse(self, sig: signal.Signals = signal.SIGKILL) -> None:
        horse = self.horse_pid
        if sig == signal.SIGKILL and horse:
            _terminate(horse, self.stop_grace)
        super().kill_horse(sig)

    def handle_exception(self, job: Any, *exc_info: Any) -> None:
        """A harvest that failed or was stopped is told in one line, not a traceback."""
        error = exc_info[1] if len(exc_info) > 1 else None
        if isinstance(error, HarvestFailed):
            return  # ``perform`` has logged its summary
        if isinstance(error, Interrupted):
            log.warning("采集 %s：%s", job.meta.get("source", job.id), error.message)
            return
        super().handle_exception(job, *exc_info)

    def handle_work_horse_killed(self, job: Any, retpid: Any, ret_val: Any, rusage: Any) -> None:
        super().handle_work_horse_killed(job, retpid, ret_val, rusage)
        reap_database(retpid or None, _death_message(retpid, ret_val))

    def request_force_stop(self, signum: int, frame: FrameType | None) -> None:
        horse = self.horse_pid
        try:
            super().request_force_stop(signum, frame)
        finally:
            if horse and locks.owner_gone(locks.owner_id(horse)):
                reap_database(horse, f"任务中断：worker 被强制停止，采集进程 {horse} 已被终止")
                for queue in self.queues:
                    fail_abandoned(queue)

    def run_maintenance_tasks(self) -> None:
        for queue in self.queues:
            failed = fail_abandoned(queue)
            if failed:
                self.log.warning("已将 %d 个无人执行的采集任务移入失败列表", len(failed))
        reap_database(None)
        super().run_maintenance_tasks()


def _death_message(pid: int | None, status: int | None) -> str:
    """Why a horse's job ended, from its wait status."""
    if status is not None and os.WIFSIGNALED(status):
        how = f"被信号 {signal.Signals(os.WTERMSIG(status)).name} 终止"
    else:
        how = f"异常退出（状态 {status}）"
    return f"任务中断：采集进程 {pid} {how}" if pid else f"任务中断：采集进程{how}"


def _terminate(pid: int, grace: float) -> None:
    """SIGTERM to the horse and up to ``grace`` seconds for it to exit (it is not reaped here:
    RQ waits for it afterwards). The worker's own alarm is held meanwhile."""
    pending = signal.alarm(0)
    started = time.monotonic()
    try:
        os.kill(pid, signal.SIGTERM)
        while time.monotonic() - started < grace:
            if os.waitid(os.P_PID, pid, os.WEXITED | os.WNOHANG | os.WNOWAIT) is not None:
                return
            time.sleep(0.05)
    except (ProcessLookupError, ChildProcessError):
        return
    finally:
        if pending:
            signal.alarm(max(1, pending - int(time.monotonic() - started)))


def make_worker(settings: Settings) -> HarvestWorker:
    """A worker serving the validation queue, then the harvest queue (``worker.work(burst=…)``
    runs it): files waiting to be validated come before the next harvest."""
    connection = connect(settings)
    validation = Queue(spread.queue_name(settings.harvest_queue), connection=connection)
    return HarvestWorker([validation, harvest_queue(settings, connection)], connection=connection)
