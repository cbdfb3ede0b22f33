"""The file store fills up while a harvest publishes: the instance lives on a small tmpfs of its
own (mounted for the test, so the tests must run as root), the database on the tests' own
PostgreSQL server, gunicorn serving the catalog meanwhile.

A dataset's new version and a new dataset whose files do not fit fail cleanly: each harvest
object says so in Chinese (no machine path, no errno), the previous version is still served
byte for byte, the new dataset is neither shown nor found, no dataset points at a missing or
partial file, no temporary copy is left, and search lists what the catalog lists. With space
again, the next harvest publishes both."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from datasets.intake.storage import STORAGE_FULL, file_sha256
from datasets.models import Dataset, HarvestObject, Resource
from harvester.jobs import JobResult, run_harvest
from harvester.sources import add_source, get_sources
from tests.factories import make_runtime, write_package
from tests.faults.stack import Gunicorn, get

pytestmark = pytest.mark.slow

DISK = 4 * 1024 * 1024
LEFT_FREE = 128 * 1024  # what the filler leaves: less than either new file
TRANSPORT = {"name": "江州市交通运输局", "code": "11361000MB0000001P"}


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Path]:
    if os.geteuid() != 0:
        pytest.skip("the disk-full test mounts a small tmpfs for the instance: it needs root")
    mount = tmp_path / "instance"
    mount.mkdir()
    done = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", f"size={DISK},mode=0700", "kaifang-full", str(mount)],
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        pytest.skip(f"a tmpfs cannot be mounted here: {done.stderr.strip()}")
    try:
        yield mount
    finally:
        subprocess.run(["umount", "-l", str(mount)], check=False)


def _table(tag: str, rows: int) -> list[list[Any]]:
    header = [["线路编号", "线路名称", "起点站", "终点站", "站点数"]]
    return header + [
        [f"{tag}{i:06d}", f"{tag}线{i}", "火车站", "湖心岛", 10 + i % 30] for i in range(rows)
    ]


def _source(folder: Path, *, big: bool) -> None:
    """Two packages (a third, new, when ``big``): ``bus`` small, or large enough not to fit."""
    write_package(
        folder,
        "bus",
        title="公交线路信息",
        rows=_table("V2" if big else "V1", 12000 if big else 50),
        provider=TRANSPORT,
    )
    write_package(folder, "parks", title="公园名录", rows=_table("P", 20), provider=TRANSPORT)
    if big:
        write_package(
            folder, "ferries", title="轮渡航线信息", rows=_table("F", 12000), provider=TRANSPORT
        )


def _harvest(rt: Any) -> JobResult:
    [result] = run_harvest(rt, get_sources(rt, ["full"]))
    return result


def _fill(disk: Path) -> Path:
    """A file taking all but ``LEFT_FREE`` bytes of the disk."""
    stat = os.statvfs(disk)
    free = stat.f_bavail * stat.f_frsize
    filler = disk / "filler.bin"
    with filler.open("wb") as out:
        out.write(b"\0" * max(0, free - LEFT_FREE))
    return filler


def _download(port: int, name: str) -> bytes:
    shown = json.loads(get(port, f"/api/3/action/package_show?id={name}").body)["result"]
    url = shown["resources"][0]["url"]
    path = "/" + url.split("://", 1)[1].split("/", 1)[1]
    answer = get(port, path)
    assert answer.status == 200, answer.status
    assert shown["resources"][0]["hash"] == "sha256:" + hashlib.sha256(answer.body).hexdigest()
    return answer.body


def _check_store(rt: Any, instance: Path) -> set[str]:
    """Every file a resource names is whole; every stored file is whole; staging is empty.
    Returns the names of the active datasets."""
    with rt.reader() as session:
        for resource in session.scalars(select(Resource)):
            for root, key, sha in (
                (resource.storage_root, resource.storage_key, resource.sha256),
                ("public", resource.public_key, resource.public_sha256),
            ):
                if key:
                    path = rt.store.path(root, key)
                    assert path.is_file() and file_sha256(path)[0] == sha, (resource.name, key)
        active = set(session.scalars(select(Dataset.name).where(Dataset.state == "active")))
    for path in (instance / "files").rglob("*"):
        if path.is_file():  # content-addressed: a file's name is its hash
            assert path.name.split(".")[0] == file_sha256(path)[0], f"partial file {path.name}"
    leftovers = [p.name for p in instance.rglob("*") if p.is_file() and p.suffix == ".part"]
    staging = [p.name for p in (instance / "tmp").iterdir()] if (instance / "tmp").exists() else []
    assert not leftovers and not staging, (leftovers, staging)
    return active


def _searched(port: int) -> set[str]:
    body = json.loads(get(port, "/api/3/action/package_search?rows=100").body)
    return {p["name"] for p in body["result"]["results"]}


def test_a_publish_that_does_not_fit_fails_cleanly_and_keeps_the_catalog_whole(
    tmp_path: Path, small_disk: Path, own_database: str
) -> None:
    source = tmp_path / "source"
    _source(source, big=False)
    rt = make_runtime(small_disk, database_url=own_database)
    add_source(rt, name="full", kind="datapackage", location=str(source))
    env = {
        "KAIFANG_INSTANCE": str(small_disk),
        "KAIFANG_DATABASE_URL": own_database,
        "KAIFANG_RATELIMIT_ENABLED": "0",
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
    }
    first = _harvest(rt)
    assert first.status == "finished" and first.counts["added"] == 2, first.summary()
    server = Gunicorn(tmp_path, env)
    server.start()
    try:
        before = _download(server.port, "bus")
        assert b"V1000049" in before
        _source(source, big=True)
        filler = _fill(small_disk)

        full = _harvest(rt)
        errored = {i: m for outcome, i, m in full.changes if outcome == "errored"}
        assert errored == {"bus": STORAGE_FULL, "ferries": STORAGE_FULL}, full.summary()
        with rt.reader() as session:
            recorded = dict(
                session.execute(
                    select(HarvestObject.identifier, HarvestObject.message).where(
                        HarvestObject.job_id == full.job_id, HarvestObject.outcome == "errored"
                    )
                ).all()
            )
        assert recorded == errored  # on the job's objects, as the harvest pages show them
        # the previous version is still served, whole; the new dataset is nowhere
        assert _download(server.port, "bus") == before
        assert get(server.port, "/api/3/action/package_show?id=ferries").status == 404
        assert get(server.port, "/dataset/ferries").status == 404
        active = _check_store(rt, small_disk)
        assert active == {"bus", "parks"}
        assert _searched(server.port) == active

        # space again: the next harvest publishes both
        filler.unlink()
        again = _harvest(rt)
        assert again.counts["updated"] == again.counts["added"] == 1, again.summary()
        assert b"V2011999" in _download(server.port, "bus")
        assert b"F011999" in _download(server.port, "ferries")
        active = _check_store(rt, small_disk)
        assert active == {"bus", "parks", "ferries"} == _searched(server.port)
    finally:
        server.stop()
        rt.close()
