"""Round trip: the portal's own ``datajson`` source kind harvests ``/data.json`` from a running
portal (the demo catalog, served by a werkzeug server on the loopback) into a fresh instance,
and every public dataset comes back with its metadata and its public files."""

from __future__ import annotations

import json
import re

import pytest

from datasets.catalog import services as catalog
from harvester.remote import html_to_text
from harvester.remote_formats import license_id_for
from tests.factories import make_runtime
from tests.harvester.fileserver import errored, harvest_catalog, quick_folder


@pytest.fixture
def fresh(tmp_path):  # type: ignore[no-untyped-def]
    with quick_folder(tmp_path) as folder:
        runtime = make_runtime(folder / "instance", harvest_retries=0, harvest_workers=1)
        yield runtime
        runtime.close()


def _by_title(rt) -> dict[str, dict]:  # type: ignore[no-untyped-def]
    from datasets.search.query import search_request

    wanted = search_request({"rows": 1000}, now=_now(), max_rows=1000, default_rows=1000)
    return {p["title"]: p for p in catalog.package_search(rt, wanted, base_url="")["results"]}


def _now():  # type: ignore[no-untyped-def]
    from datetime import UTC, datetime

    return datetime.now(UTC)


KEPT = (
    "notes",
    "topic",
    "update_cycle",
    "openness",
    "conditions",
    "exclusion_rule",
    "exclusion_basis",
    "issued",
    "modified",
    "temporal_start",
    "temporal_end",
    "license_id",
    "license_url",
)


def _metadata(pkg: dict) -> dict:  # type: ignore[type-arg]
    """What must survive the trip. Three rules of the harvester show here and are kept: HTML
    in a description is read as text (a hostile ``<script>`` in a 摘要 is dropped); a licence
    travels as its URL, so only the well-known ones get their short id back; two files of one
    dataset with the same title are told apart by their file name (``名录（x.csv）``)."""
    out = {k: pkg.get(k) for k in KEPT}
    out["notes"] = html_to_text(pkg["notes"])
    out["license_id"] = license_id_for(pkg["license_url"]) and pkg["license_id"]
    out["publisher"] = pkg["organization"]["title"]
    out["tags"] = sorted(t["name"] for t in pkg["tags"])
    out["files"] = sorted(
        (re.sub(r"（[^（）]*）$", "", r["name"]), r["format"])
        for r in pkg["resources"]
        if r["access"] == "public"
    )
    return out


def test_harvesting_our_own_data_json_reproduces_the_public_catalog(demo_rt, live, fresh):
    result = harvest_catalog(
        fresh, "datajson", "portal", f"{live}/data.json", {"download_hosts": "127.0.0.1"}
    )
    assert result.status == "finished", (result.summary(), errored(fresh, result))
    source, copy = _by_title(demo_rt), _by_title(fresh)
    assert errored(fresh, result) == {}
    lost = {
        title: {
            k: (v, _metadata(copy[title])[k])
            for k, v in _metadata(pkg).items()
            if v != _metadata(copy[title])[k]
        }
        for title, pkg in source.items()
        if title in copy
    }
    lost = {t: d for t, d in lost.items() if d}
    assert not lost, json.dumps(lost, ensure_ascii=False, indent=1)
    assert sorted(source) == sorted(copy)
