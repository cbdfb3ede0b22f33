"""Fuzzing the readers of harvested catalog JSON: CKAN package_search answers, data.json,
datapackage.json and a department export's 目录.json, seeded with real documents and damaged
at every level (wrong types, deep nesting, lone surrogates, NUL, other encodings, cut short).

Each source is read as the harvest loop reads it: ``gather`` may fail the whole source only with
``SourceError``; every item it lists is then fetched on its own and may fail only with a
per-object error; whatever is read is text a database can store.
"""

from __future__ import annotations

import json
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from hypothesis import example, given
from hypothesis import strategies as st

from datasets.runtime import Runtime
from harvester.base import GatherResult, SourceConfig, SourceKind
from harvester.ckan import CkanSource
from harvester.datajson import DataJsonSource
from harvester.datapackage import DataPackageSource
from harvester.export_read import read_catalog
from harvester.http import HttpClient
from tests.conftest import REALDATA
from tests.fuzz.support import assert_storable, fuzz, json_bytes, mutated, parsed_or_held


def _load(relative: str) -> Any:
    return json.loads((REALDATA / relative).read_text(encoding="utf-8"))


def _search(*packages: Any) -> dict[str, Any]:
    return {"success": True, "result": {"count": len(packages), "results": list(packages)}}


CKAN_SEEDS = [
    _load("ckan-api-demo-ckan-org/package_search_rows3.json"),
    _search(_load("ckan-api-datagovuk/example_responses/package_show.json")["result"]),
    _search(_load("ckan-api-hdx/package_show_result_unesco-data-for-zimbabwe.json")),
    _search(*_load("ckan-api-dadosgovbr/package_search_q_all_rows2.json")["result"]["results"]),
]
DATAJSON_SEEDS = [
    _load("project-open-data/ckanext-datajson-samples/collection-1-parent-2-children.data.json"),
    _load("project-open-data/ckanext-datajson-samples/many-resources.data.json"),
    _load("project-open-data/datagov-harvester/dcatus.json"),
]
PACKAGE_FOLDER = REALDATA / "frictionless-examples" / "donation-codes"
DATAPACKAGE_SEEDS = [
    _load("frictionless-examples/donation-codes/datapackage.json"),
    _load("frictionless-examples/countries-and-currencies/datapackage.json"),
]
EXPORT_SEEDS = [_load("cn-portal-catalogs-cnpds/anhui_luan.json")[:5]]


@dataclass(frozen=True)
class Canned(HttpClient):
    """A client answering every request with ``body`` (a later package_search page with an
    empty one), as a portal would send it; nothing leaves the process."""

    body: bytes = b""

    def get_bytes(
        self, url: str, *, params: dict[str, Any] | None = None, max_bytes: int | None = None
    ) -> tuple[bytes, str]:
        if int((params or {}).get("start") or 0) > 0:
            return json.dumps(_search()).encode(), "application/json"
        return self.body, "application/json"


def _read_all(kind: SourceKind) -> None:
    """gather, then fetch every listed item, as the harvest loop does."""
    gathered: GatherResult | None = parsed_or_held(kind.gather)
    if gathered is None:
        return
    assert_storable(gathered.errors, "errors")
    for item in gathered.items:
        assert_storable((item.identifier, item.title), "item")
        assert len(item.identifier) <= 300
        record = parsed_or_held(lambda item=item: kind.fetch(item))  # type: ignore[misc]
        if record is not None:
            assert_storable(record)


def _source(kind: str, location: str, **config: str) -> SourceConfig:
    return SourceConfig(id="fuzz", name="fuzz", kind=kind, location=location, config=config)


def _ckan(rt: Runtime, body: bytes) -> CkanSource:
    kind = CkanSource(_source("ckan", "http://127.0.0.1:9", rows="100"), rt)
    kind.__dict__["http"] = Canned(kind.http.guard, body=body)
    return kind


def seeded(seeds: list[Any]) -> st.SearchStrategy[bytes]:
    """A seed, mutated, written as (maybe damaged) JSON bytes."""
    return st.sampled_from(seeds).flatmap(lambda seed: mutated(seed).flatmap(json_bytes))


@fuzz(40)
@given(body=seeded(CKAN_SEEDS))
@example(
    body=b'{"success": true, "result": {"count": 1, "results": [{"id": "\\ud800\\u0000", '
    b'"title": "t\\u0000"}]}}'
)
@example(body=b"[" * 50_000 + b"]" * 50_000)
@example(body=b'{"success": true, "result": {"count": ' + b"9" * 5000 + b"}}")
@example(
    body=b'{"success": true, "result": {"count": 1, "results": ['
    + b'{"a":' * 900
    + b"1"
    + b"}" * 900
    + b"]}}"
)
@example(  # found: an unclosed IPv6 address in a URL, a frequency of 5000 digits
    body=json.dumps(
        _search(
            {
                "id": "p",
                "title": "t",
                "frequency": "9" * 5000,
                "record_count": 1e308 * 10,
                "resources": [{"url": "http://[::1/x.csv", "format": "CSV"}],
            }
        )
    ).encode()
)
@example(body=json.dumps(_search({"id": "长" * 5000, "title": "t"})).encode())
def test_ckan_answers_are_read_or_held_per_package(fuzz_rt: Runtime, body: bytes) -> None:
    with _closing(_ckan(fuzz_rt, body)) as kind:
        _read_all(kind)


@fuzz(30)
@given(body=seeded(DATAJSON_SEEDS))
@example(body=b'{"dataset": [{"identifier": "' + b"\\ud800" * 400 + b'", "title": "x"}]}')
@example(body=b'{"dataset": [' + b"1" * 4400 + b"]}")
@example(  # found: unclosed IPv6 addresses, a keyword list that exhausts the literal parser
    body=json.dumps(
        {
            "dataset": [
                {
                    "identifier": "a",
                    "title": "t",
                    "keyword": "[" + "-" * 9000 + "1]",
                    "landingPage": "http://[::1",
                    "license": "https://[x",
                    "accrualPeriodicity": "每" + "9" * 5000 + "日",
                    "distribution": [{"downloadURL": "http://[::1/a.csv"}],
                }
            ]
        }
    ).encode()
)
def test_data_json_is_read_or_held_per_entry(
    fuzz_rt: Runtime, tmp_path_factory: Any, body: bytes
) -> None:
    path = tmp_path_factory.mktemp("datajson") / "data.json"
    path.write_bytes(body)
    with _closing(DataJsonSource(_source("datajson", str(path), provider="某局"), fuzz_rt)) as kind:
        _read_all(kind)


@fuzz(30)
@given(body=seeded(DATAPACKAGE_SEEDS))
@example(
    body=b'{"name": "x", "resources": [{"path": "data/donation-codes.csv", "schema": "'
    b'../../../../etc/passwd"}]}'
)
@example(body=b"[" * 5000 + b"]" * 5000)
@example(body=b'{"name": "x", "licenses": {"a": 1}, "resources": 5, "record_count": 1e999}')
@example(body=b'{"name": "x", "resources": [{"path": "' + b"a" * 5000 + b'.csv"}]}')
def test_datapackage_json_is_read_or_held_per_package(
    fuzz_rt: Runtime, tmp_path_factory: Any, body: bytes
) -> None:
    folder = tmp_path_factory.mktemp("package") / "donation-codes"
    shutil.copytree(PACKAGE_FOLDER, folder)
    (folder / "datapackage.json").write_bytes(body)
    with _closing(DataPackageSource(_source("datapackage", str(folder)), fuzz_rt)) as kind:
        _read_all(kind)


@fuzz(25)
@given(body=seeded(EXPORT_SEEDS))
@example(body=b'{"data": [' + b"[" * 3000 + b"]" * 3000 + b"]}")
def test_export_catalog_json_is_read_or_refused(tmp_path_factory: Any, body: bytes) -> None:
    path = tmp_path_factory.mktemp("export") / "目录.json"
    path.write_bytes(body)
    rows = parsed_or_held(lambda: read_catalog(path))
    if rows is not None:
        assert all(isinstance(r, dict) for r in rows)
        assert_storable(rows, "rows")


class _closing:
    """``with``: close the kind (its downloads folder) whatever happened."""

    def __init__(self, kind: Any) -> None:
        self.kind = kind

    def __enter__(self) -> Any:
        return self.kind

    def __exit__(self, *exc: object) -> None:
        self.kind.close()


def test_the_seeds_themselves_are_read(fuzz_rt: Runtime, tmp_path: Path) -> None:
    """The undamaged real documents give records (the fuzz tests start from working input)."""
    for seed in CKAN_SEEDS:
        kind = _ckan(fuzz_rt, json.dumps(seed).encode())
        gathered = kind.gather()
        assert gathered.items and all(kind.fetch(i).title for i in gathered.items)
    path = tmp_path / "data.json"
    path.write_text(json.dumps(DATAJSON_SEEDS[0]), encoding="utf-8")
    kind = DataJsonSource(_source("datajson", str(path), provider="某局"), fuzz_rt)
    assert [kind.fetch(i).title for i in kind.gather().items]
