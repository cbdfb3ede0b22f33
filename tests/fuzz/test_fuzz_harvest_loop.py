"""The real harvest loop over sources with fuzzed objects among real ones: a CKAN portal on the
loopback serving real packages beside hostile ones (lone surrogates and NUL in ids and titles,
wrong types, a page nested too deep, files that are corrupted workbooks, ragged GBK CSV with
NUL bytes, a zip bomb), and a data.json with the same mix. Each bad object ends as that
object's outcome, with a reason in words; every other object of the source is published.
"""

from __future__ import annotations

import copy
import io
import json
import re
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from datasets.models import Dataset
from datasets.runtime import Runtime
from harvester.jobs import JobResult, job_objects, run_source
from harvester.sources import add_source, get_sources
from tests.factories import make_runtime, write_xlsx
from tests.fuzz.support import within
from tests.harvester.ckan_server import CkanServer, _Handler, real_packages
from tests.harvester.fileserver import FileServer, quick_folder

GOOD = 4  # real packages served beside the hostile ones
# an exception that escaped a reader shows in an outcome as "TypeError: …"
ESCAPED = re.compile(r"\b[A-Za-z]*(Error|Exception|Exit)\b\s*:")


class _AsciiHandler(_Handler):
    """Writes API answers with ASCII escapes, so lone surrogates travel as a portal sends
    them (``\\ud800``)."""

    def _api(self, action: str, params: dict[str, str]) -> None:
        handlers = {
            "package_search": self.ckan.package_search,
            "package_show": self.ckan.package_show,
        }
        status, body = handlers[action](params) if action in handlers else (400, {})
        self._send(status, json.dumps(body).encode(), "application/json")


@pytest.fixture
def portal() -> Iterator[CkanServer]:
    server = CkanServer()
    server.httpd.RequestHandlerClass = type("Handler", (_AsciiHandler,), {"ckan": server})
    server.start()
    for package in real_packages()[:GOOD]:
        server.add(package)
    yield server
    server.stop()


@pytest.fixture
def rt(tmp_path: Path) -> Iterator[Runtime]:
    with quick_folder(tmp_path) as folder:
        runtime = make_runtime(
            Path(folder) / "instance",
            harvest_retries=0,
            harvest_timeout=5,
            harvest_workers=1,
            table_max_unpacked_bytes=16 * 1024 * 1024,
        )
        yield runtime
        runtime.close()


def _bomb() -> bytes:
    """A workbook whose sheet unpacks to 40 MB of rows from a few hundred KB."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as book:
        book.writestr("[Content_Types].xml", "<Types/>")
        book.writestr("xl/workbook.xml", "<workbook/>")
        book.writestr("xl/worksheets/sheet1.xml", b"<row><c><v>1</v></c></row>" * 1_500_000)
    return out.getvalue()


def _corrupted_xlsx(tmp_path: Path) -> bytes:
    body = write_xlsx(
        tmp_path / "ok.xlsx", [["名称", "数值"], *[[f"行{n}", n] for n in range(200)]]
    )
    data = body.read_bytes()
    return data[: len(data) // 2] + bytes(b ^ 0x33 for b in data[len(data) // 2 :])


def _hostile(server: CkanServer, tmp_path: Path) -> dict[str, str]:
    """Hostile packages served after the real ones; identifier as recorded → what it is."""
    template = copy.deepcopy(real_packages()[GOOD])
    files = {
        "broken.xlsx": _corrupted_xlsx(tmp_path),
        "bomb.xlsx": _bomb(),
        "ragged.csv": "名称,数值\n甲,1,多余\n乙\x00\r\n丙,3\r".encode("gbk"),
        "nul.csv": b"a,b\n1,\x00\x00\n" * 10,
    }
    entries: dict[str, str] = {}
    for n, (name, data) in enumerate(files.items()):
        server.files[name] = data
        fmt = name.rsplit(".", 1)[1].upper()
        pkg = {
            **template,
            "id": f"hostile-{n}",
            "name": f"hostile-{n}",
            "title": f"有问题的文件 {name}",
            "resources": [
                {"id": f"r{n}", "name": name, "format": fmt, "url": f"{server.url}/files/{name}"}
            ],
        }
        server.broken.append(pkg)
        entries[pkg["id"]] = name
    weird = {
        **template,
        "id": "坏\ud800\x00id",
        "name": "weird",
        "title": "标题\x00\udfff",
        "resources": [],
    }
    server.broken.append(weird)
    entries["坏\ufffdid"] = "lone surrogate and NUL"
    server.broken.append(
        {**template, "id": "typed", "name": "typed", "title": ["列表"], "resources": {}}
    )
    entries["typed"] = "title is a list"
    server.broken.append({"id": 7, "title": {"a": 1}})
    server.broken.append(None)
    return entries


def _harvest(rt: Runtime, url: str) -> JobResult:
    add_source(rt, name="portal", kind="ckan", location=url, config={"rows": "3"}, exist_ok=True)
    with within(300):
        return run_source(rt, get_sources(rt, ["portal"])[0])


def _published(rt: Runtime) -> set[str]:
    with rt.reader() as session:
        return set(session.scalars(select(Dataset.source_identifier)))


def _assert_reasons_in_words(objects: list[dict[str, Any]]) -> None:
    for o in objects:
        if o["outcome"] == "errored":
            assert o["message"].strip() and not ESCAPED.search(o["message"]), o


def test_hostile_packages_are_their_own_outcomes_and_the_real_ones_publish(
    rt: Runtime, portal: CkanServer, tmp_path: Path
) -> None:
    hostile = _hostile(portal, tmp_path)
    result = _harvest(rt, portal.url)

    assert result.status == "finished", result.message
    objects = job_objects(rt, result.job_id)
    outcomes = {o["identifier"]: o for o in objects}
    real = [p["id"] for p in list(portal.packages.values())[:GOOD]]
    assert all(outcomes[i]["outcome"] == "added" for i in real), result.changes
    assert set(real) <= _published(rt)
    for identifier in hostile:
        assert identifier in outcomes, (identifier, sorted(outcomes))
    assert outcomes["typed"]["outcome"] == "errored"
    with rt.reader() as session:  # the corrupted workbook and the bomb: held, not published
        states = dict(session.execute(select(Dataset.source_identifier, Dataset.state)).all())
    assert states["hostile-0"] == states["hostile-1"] == "quarantined", states
    assert states["坏\ufffdid"] == "active"  # NUL dropped, the lone surrogate made U+FFFD
    _assert_reasons_in_words(objects)
    errored = [o for o in objects if o["outcome"] == "errored"]
    assert len(errored) >= 3  # typed, the entry with id 7 and the null entry


def test_a_page_nested_too_deep_is_one_errored_page_and_the_others_publish(
    rt: Runtime, portal: CkanServer
) -> None:
    deep: Any = "底"
    for _ in range(300):
        deep = {"a": deep}
    # pages of 3: three real packages; the fourth and two null entries; the deep one alone
    portal.broken = [None, None, {"id": "deep", "title": "深", "extras": deep}]

    result = _harvest(rt, portal.url)

    objects = job_objects(rt, result.job_id)
    assert result.status == "finished"
    errored = [o for o in objects if o["outcome"] == "errored"]
    assert [o["identifier"] for o in errored if "嵌套超过" in o["message"]] == [
        "package_search start=6"
    ], errored
    assert set(portal.packages) <= _published(rt)
    _assert_reasons_in_words(objects)


def test_a_data_json_with_hostile_entries_publishes_its_good_ones(
    rt: Runtime, tmp_path: Path
) -> None:
    with FileServer(tmp_path / "www") as server:
        good = server.write("good.csv", "名称,数值\n甲,1\n乙,2\n".encode())
        broken = server.write("broken.xlsx", _corrupted_xlsx(tmp_path))
        entries: list[Any] = [
            {
                "identifier": "good",
                "title": "好的",
                "publisher": {"name": "某局"},
                "distribution": [{"downloadURL": good, "mediaType": "text/csv"}],
            },
            {
                "identifier": "broken-file",
                "title": "坏文件",
                "publisher": {"name": "某局"},
                "distribution": [{"downloadURL": broken, "format": "XLSX"}],
            },
            {"identifier": "\ud800\x00", "title": "\x00"},
            {"identifier": ["x"], "title": 5},
            {
                "identifier": "typed",
                "title": "类型",
                "publisher": 5,
                "keyword": {"a": [1]},
                "distribution": "none",
                "temporal": ["x"],
                "modified": {"x": 1},
            },
            [],
            5,
            None,
        ]
        # served by the same origin as its files: a source may read its own origin
        location = server.write("data.json", json.dumps({"dataset": entries}))
        add_source(rt, name="dj", kind="datajson", location=location, config={"provider": "某局"})
        with within(300):
            result = run_source(rt, get_sources(rt, ["dj"])[0])

    assert result.status == "finished", result.message
    objects = job_objects(rt, result.job_id)
    outcomes = {o["identifier"]: o["outcome"] for o in objects}
    assert outcomes["good"] == "added" and "good" in _published(rt)
    assert "broken-file" in outcomes and "typed" in outcomes
    assert sum(1 for o in objects if o["outcome"] == "errored") >= 4
    _assert_reasons_in_words(objects)
