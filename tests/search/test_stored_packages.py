"""The package dicts stored with the search rows: a page of hits is answered from them, so they
must be what ``package_dict`` makes of the dataset now, whatever changed it (a file, a
suspension, a quality score, its department), on both backends."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import delete, select, update

from datasets.catalog import services as catalog
from datasets.catalog.packages import package_dict
from datasets.catalog.quality import refresh_quality
from datasets.models import (
    Dataset,
    Organization,
    Resource,
    SearchEntry,
    SearchPackage,
    SearchRemoval,
)
from datasets.runtime import Runtime
from datasets.search import indexing
from datasets.search.indexing import sync_index
from datasets.search.query import search_request
from tests.search.conftest import _resource

BASE = "https://data.example.gov.cn"
NOW = datetime(2026, 12, 5, tzinfo=UTC)


def find(rt: Runtime, **params: Any) -> dict[str, Any]:
    request = search_request(params, now=NOW, max_rows=1000, default_rows=100)
    return catalog.package_search(rt, request, base_url=BASE)


def packages_now(rt: Runtime) -> dict[str, dict[str, Any]]:
    """Name → the package dict made from the dataset as it is now, of every public dataset."""
    with rt.reader() as session:
        datasets = session.scalars(select(Dataset).where(Dataset.state == "active")).all()
        return {ds.name: package_dict(ds, base_url=BASE) for ds in datasets}


def found_packages(rt: Runtime, **params: Any) -> dict[str, dict[str, Any]]:
    results = find(rt, **params)["results"]
    return {
        p["name"]: {k: v for k, v in p.items() if k not in ("highlight", "summary")}
        for p in results
    }


def facet(rt: Runtime, name: str) -> dict[str, int]:
    return find(rt, **{"facet.field": f'["{name}"]', "rows": 0})["facets"][name]


def test_hits_are_the_package_dicts_of_their_datasets(search_rt: Runtime) -> None:
    found = found_packages(search_rt)
    assert found == packages_now(search_rt)
    url = found["elderly"]["resources"][1]["url"]
    assert url.startswith(f"{BASE}/dataset/elderly/resource/") and url.endswith(".json")
    assert {"highlight", "summary"} <= set(find(search_rt, q="养老")["results"][0])


def test_a_file_added_or_removed_reaches_the_package_and_the_facets(search_rt: Runtime) -> None:
    assert facet(search_rt, "res_format").get("XLSX") == 2  # the whole catalog's, kept
    # metro is the newest entry: its row is written again with the largest entry number
    with search_rt.session() as session:
        metro = session.scalar(select(Dataset).where(Dataset.name == "metro"))
        assert metro is not None
        metro.resources.append(_resource("metro", 1, "xlsx"))
    assert facet(search_rt, "res_format")["XLSX"] == 3
    assert "metro" in found_packages(search_rt, fq="res_format:XLSX")
    assert found_packages(search_rt) == packages_now(search_rt)
    with search_rt.session() as session:  # removed through the session, as services do
        for resource in session.scalars(select(Resource).where(Resource.name.like("metro-%"))):
            session.delete(resource)
    assert facet(search_rt, "res_format") == {"CSV": 4, "XLSX": 2, "JSON": 1, "PDF": 1}
    assert found_packages(search_rt)["metro"]["resources"] == []
    assert found_packages(search_rt) == packages_now(search_rt)


def test_a_suspension_and_the_quality_refresh_reach_the_package(search_rt: Runtime) -> None:
    with search_rt.session() as session:
        session.execute(
            update(Dataset).where(Dataset.name == "bus-lines").values(suspended_by=None)
        )
        dataset = session.scalar(select(Dataset).where(Dataset.name == "bus-lines"))
        assert dataset is not None
        dataset.suspended_by = "case-1"
    hit = found_packages(search_rt, q="票价")["bus-lines"]
    assert hit["suspended"] is True
    assert hit["resources"][0]["access"] == "restricted" and hit["resources"][0]["size"] is None
    assert found_packages(search_rt)["air"]["quality"] is None
    assert refresh_quality(search_rt) == 8
    found = found_packages(search_rt)
    assert found["air"]["quality_score"] is not None
    assert found == packages_now(search_rt)


def test_a_department_renamed_reaches_its_datasets(search_rt: Runtime) -> None:
    assert find(search_rt, q="交管")["count"] == 0
    with search_rt.session() as session:
        org = session.scalar(select(Organization).where(Organization.name == "jtysj"))
        assert org is not None
        org.title = "江州市交管局"
    found = find(search_rt, q="交管")
    assert sorted(p["name"] for p in found["results"]) == [
        "bus-cars",
        "bus-lines",
        "bus-stops",
        "metro",
    ]
    assert {p["organization"]["title"] for p in found["results"]} == {"江州市交管局"}
    assert found_packages(search_rt) == packages_now(search_rt)


def test_rows_without_a_package_are_read_from_their_datasets_then_repaired(
    search_rt: Runtime,
) -> None:
    # as migration 0008 leaves a catalog: every row marked stale, no packages yet
    with search_rt.session() as session:
        session.execute(delete(SearchPackage))
        session.execute(update(SearchEntry).values(revision=-1))
    assert found_packages(search_rt) == packages_now(search_rt)
    assert sync_index(search_rt) == 8
    with search_rt.reader() as session:
        assert len(session.scalars(select(SearchPackage.doc)).all()) == 8
    assert found_packages(search_rt) == packages_now(search_rt)


def test_a_withdrawal_alone_tells_every_process_the_rows_changed(search_rt: Runtime) -> None:
    # what the whole catalog's facets and a search found are kept until the rows change; a
    # withdrawal writes no row, only removes one, and must be seen all the same
    assert facet(search_rt, "organization") == {"jtysj": 4, "mzj": 2, "sthjj": 2}
    assert find(search_rt, q="监测")["count"] == 2
    for name in ("air", "water"):
        with search_rt.session() as session:
            dataset = session.scalar(select(Dataset).where(Dataset.name == name))
            assert dataset is not None
            dataset.state = "withdrawn"
        assert find(search_rt, q="监测")["count"] == (1 if name == "air" else 0)
    assert facet(search_rt, "organization") == {"jtysj": 4, "mzj": 2}
    with search_rt.reader() as session:
        marks = session.scalars(select(SearchRemoval.id)).all()
    assert len(marks) == 2
    indexing.refresh_statistics(search_rt)  # only the latest mark is kept
    with search_rt.reader() as session:
        assert session.scalars(select(SearchRemoval.id)).all() == [max(marks)]
    assert facet(search_rt, "organization") == {"jtysj": 4, "mzj": 2}
