"""The production stack on this machine, for ``bench.load`` and its CI variant: a catalog on
PostgreSQL (the demo sources harvested, plus N realistic datasets published through the path
``bench.search_scale`` uses), its static tree written by ``kaifang build-static``, gunicorn as the
README's production section runs it, nginx with config/nginx-static.conf.template in front, and
Redis as the rate limits' storage; what the load reads (``Targets``) and each process's memory.

Rate limits stay on. Every virtual user comes from one address (and the app sees nginx's), so
the operator's setting for a load test is a default limit above the whole test's rate
(``LOAD_RATELIMIT``); the per-route limits (sign-in, registration, codes) are as shipped.
"""

from __future__ import annotations

import json
import os
import pwd
import secrets
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import quote

from sqlalchemy import create_engine, select, text

from bench import search_corpus as corpus
from bench.applications_concurrent import companies
from bench.search_scale import publish_all
from datasets.database import upgrade
from datasets.models import Dataset, Organization, Resource, RowTable
from datasets.openness.rules import CONDITIONAL, UNCONDITIONAL
from datasets.runtime import Runtime
from datasets.settings import load_settings

ROOT = Path(__file__).resolve().parent.parent
REDIS_URL = os.environ.get("KAIFANG_BENCH_REDIS_URL", "redis://127.0.0.1:6379/12")
LOAD_RATELIMIT = "100000 per minute"  # one address for every virtual user: see the docstring
NGINX_CONNECTIONS = 4096


@dataclass
class Targets:
    """What the virtual users read and file: names, paths and keys found in the catalog."""

    datasets: list[str]
    departments: list[str]
    topics: list[str]
    conditional: list[str]
    files: list[str]  # download paths of public files
    tables: list[str]  # resource ids with public rows
    keys: list[str]  # company API keys
    entries: list[corpus.Entry] = field(default_factory=list)


def prepare(instance: Path, url: str, count: int, keys: int) -> Targets:
    """The catalog: the demo sources harvested, ``count`` corpus datasets published, ``keys``
    companies with an API key each."""
    from demo.register import register_demo_sources
    from harvester.jobs import run_harvest
    from harvester.sources import get_sources

    rt = Runtime(load_settings({"instance": str(instance), "database_url": url}, environ={}))
    try:
        upgrade(rt)
        register_demo_sources(rt)
        failed = [r.summary() for r in run_harvest(rt, get_sources(rt)) if r.status != "finished"]
        if failed:
            raise SystemExit(f"demo harvest failed: {failed}")
        entries = corpus.records(count) if count else []
        if entries:
            publish_all(rt, entries)
        made = companies(rt, keys)
        return _targets(rt, made, entries)
    finally:
        rt.close()


def _targets(rt: Runtime, keys: list[str], entries: list[corpus.Entry]) -> Targets:
    with rt.reader() as session:
        active = Dataset.state == "active"
        public = session.scalars(
            select(Dataset.name).where(active, Dataset.openness.in_([UNCONDITIONAL, CONDITIONAL]))
        )
        conditional = session.scalars(
            select(Dataset.name).where(active, Dataset.openness == CONDITIONAL)
        )
        files = session.execute(
            select(Dataset.name, Resource.id, Resource.filename)
            .join(Resource)
            .where(active, Dataset.openness == UNCONDITIONAL, Resource.public_key.is_not(None))
        )
        tables = session.scalars(
            select(RowTable.resource_id)
            .join(Dataset, Dataset.id == RowTable.dataset_id)
            .where(active, Dataset.openness == UNCONDITIONAL, RowTable.kind == "public")
        )
        departments = session.scalars(select(Organization.name))
        topics = session.scalars(select(Dataset.topic).where(active).distinct())
        return Targets(
            datasets=sorted(public),
            departments=sorted(departments),
            topics=sorted(t for t in topics if t),
            conditional=sorted(conditional),
            files=[quote(f"/dataset/{n}/resource/{r}/download/{f}") for n, r, f in files],
            tables=sorted(tables),
            keys=keys,
            entries=entries,
        )


def save_targets(path: Path, targets: Targets, port: int) -> None:
    """What a kept catalog's next run needs: its targets (the corpus is drawn again, the same)
    and the port its static tree was built for."""
    kept = {k: v for k, v in asdict(targets).items() if k != "entries"}
    kept |= {"corpus": len(targets.entries), "port": port}
    path.write_text(json.dumps(kept, ensure_ascii=False), encoding="utf-8")


def load_targets(path: Path) -> tuple[Targets, int]:
    kept = json.loads(path.read_text(encoding="utf-8"))
    count, port = kept.pop("corpus"), kept.pop("port")
    return Targets(**kept, entries=corpus.records(count) if count else []), port


def environment(
    instance: Path, url: str, port: int, static: Path, redis_url: str = REDIS_URL
) -> dict[str, str]:
    """The settings of every process of the stack, as an operator sets them for a load test."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("KAIFANG_")}
    return env | {
        "KAIFANG_INSTANCE": str(instance),
        "KAIFANG_DATABASE_URL": url,
        "KAIFANG_SECRET_KEY": secrets.token_hex(32),
        "KAIFANG_BASE_URL": f"http://127.0.0.1:{port}",
        "KAIFANG_STATIC_DIR": str(static),
        "KAIFANG_ACCEL_REDIRECT": "/_kaifang_files/",
        "KAIFANG_RATELIMIT_STORAGE_URI": redis_url,
        "KAIFANG_RATELIMIT_DEFAULT": LOAD_RATELIMIT,
        "KAIFANG_RATELIMIT_PAGES": LOAD_RATELIMIT,
        "KAIFANG_RATELIMIT_SEARCH": LOAD_RATELIMIT,
        "KAIFANG_RATELIMIT_EXPORTS": LOAD_RATELIMIT,
        "KAIFANG_LOG_LEVEL": "WARNING",
    }


def build_static(env: dict[str, str]) -> None:
    """``kaifang build-static`` as the operator runs it (after every harvest)."""
    kaifang = Path(sys.executable).with_name("kaifang")
    subprocess.run([str(kaifang), "build-static"], env=env, check=True, stdout=subprocess.DEVNULL)


@dataclass
class Stack:
    """The running processes: gunicorn's master, nginx's master, the database's name."""

    gunicorn: subprocess.Popen[bytes]
    nginx: subprocess.Popen[bytes]
    database: str
    url: str
    port: int
    log: Path
    redis_url: str


@contextmanager
def running(
    folder: Path, env: dict[str, str], port: int, workers: int, database: str
) -> Iterator[Stack]:
    """gunicorn (``--preload -w N -k gthread --threads 4``) and nginx on ``port`` in front."""
    app_port = corpus.free_port()
    gunicorn = Path(sys.executable).with_name("gunicorn")
    command = [str(gunicorn), "--preload", "-w", str(workers), "-k", "gthread", "--threads", "4"]
    command += ["--keep-alive", "5"]  # longer than nginx's upstream keepalive_timeout
    command += ["-b", f"127.0.0.1:{app_port}", "--log-level", "warning", "portal.wsgi:app"]
    log = folder / "stack.log"
    with log.open("ab") as out:
        app = subprocess.Popen(command, env=env, stdout=out, stderr=out, cwd=ROOT)
        web = None
        try:
            corpus._wait_up(app, app_port, "/api/3/action/status_show")
            web = _start_nginx(folder / "nginx", port, env, app_port, out)
            corpus._wait_up(web, port, "/api/3/action/status_show")
            yield Stack(
                app,
                web,
                database,
                env["KAIFANG_DATABASE_URL"],
                port,
                log,
                env["KAIFANG_RATELIMIT_STORAGE_URI"],
            )
        finally:
            for process in (web, app):
                if process is not None:
                    process.terminate()
                    try:
                        process.wait(timeout=60)
                    except subprocess.TimeoutExpired:
                        process.kill()
                        process.wait()


def _start_nginx(
    workdir: Path, port: int, env: dict[str, str], app_port: int, out: Any
) -> subprocess.Popen[bytes]:
    """Debian's nginx, unprivileged, with the shipped site and room for every connection."""
    from tests.nginx import TEMPLATE, fill, nginx_binary

    workdir.mkdir(parents=True, exist_ok=True)
    site = fill(
        TEMPLATE.read_text(encoding="utf-8"),
        {
            "LISTEN": f"127.0.0.1:{port}",
            "STATIC_ROOT": str(Path(env["KAIFANG_STATIC_DIR"]) / "current"),
            "APP_UPSTREAM": f"127.0.0.1:{app_port}",
            "FILES_DIR": str(Path(env["KAIFANG_INSTANCE"]) / "files"),
        },
    )
    (workdir / "kaifang.conf").write_text(site, encoding="utf-8")
    # the README's production setting: nginx's workers run as the portal's user
    user = f"user {pwd.getpwuid(os.geteuid()).pw_name};\n" if os.geteuid() == 0 else ""
    temps = "\n".join(
        f"    {kind}_temp_path {workdir / kind};"
        for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")
    )
    (workdir / "nginx.conf").write_text(
        f"{user}worker_rlimit_nofile {NGINX_CONNECTIONS * 2};\n"
        f"events {{ worker_connections {NGINX_CONNECTIONS}; }}\nhttp {{\n{temps}\n"
        f"    access_log off;\n    include {workdir / 'kaifang.conf'};\n}}\n",
        encoding="utf-8",
    )
    command = [nginx_binary(), "-p", str(workdir), "-c", str(workdir / "nginx.conf"), "-g"]
    pid = workdir / "nginx.pid"
    command.append(f"daemon off; pid {pid}; error_log stderr; worker_processes 2;")
    return subprocess.Popen(command, stdout=out, stderr=out)


# -- each process's memory and CPU ------------------------------------------------------------


def _children(pid: int) -> list[int]:
    try:
        return [int(c) for c in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    except OSError:
        return []


def _redis_pid(url: str) -> int | None:
    import redis

    try:
        client = redis.Redis.from_url(url, socket_timeout=2)
        pid = int(client.info("server")["process_id"])
        client.close()
    except (redis.RedisError, KeyError, ValueError):
        return None
    return pid if Path(f"/proc/{pid}").exists() else None


def _postgres_pids(url: str, database: str) -> list[int]:
    engine = create_engine(url)
    try:
        with engine.connect() as connection:
            own = connection.execute(text("SELECT pg_backend_pid()")).scalar()
            pids = connection.execute(
                text("SELECT pid FROM pg_stat_activity WHERE datname = :d"), {"d": database}
            ).scalars()
            return [int(p) for p in pids if p != own and Path(f"/proc/{p}").exists()]
    finally:
        engine.dispose()


def processes(stack: Stack) -> dict[str, list[int]]:
    """The stack's processes by role (the database's backends of this database only)."""
    found = {
        "gunicorn master": [stack.gunicorn.pid],
        "gunicorn workers": _children(stack.gunicorn.pid),
        "nginx": [stack.nginx.pid, *_children(stack.nginx.pid)],
        "postgres backends": _postgres_pids(stack.url, stack.database),
    }
    pid = _redis_pid(stack.redis_url)
    found["redis (shared server)"] = [pid] if pid else []
    return found


def rss_mb(pid: int) -> float:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


def cpu_seconds(pid: int) -> float:
    """User and system CPU a process has used (its own, not its children's)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def sample(stack: Stack) -> dict[str, dict[int, float]]:
    """Each role's processes and their resident memory (MB)."""
    return {role: {p: rss_mb(p) for p in pids} for role, pids in processes(stack).items()}
