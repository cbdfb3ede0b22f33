"""Round trip: the portal's own ``dcat`` source kind harvests the portal's DCAT catalog (paged,
over HTTP from a running portal) into a fresh instance and reproduces every public dataset's
metadata and its public files."""

from __future__ import annotations

import pprint
from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import select

from datasets.catalog import dcat_catalog
from datasets.catalog import services as catalog
from datasets.intake.public_root import public_now
from datasets.models import Dataset
from harvester.normalise import clean_text
from harvester.remote import html_to_text
from tests.factories import make_runtime, serving
from tests.harvester.fileserver import errored, harvest_catalog

COMPARED = (
    "title",
    "notes",
    "tags",
    "topic",
    "update_cycle",
    "license_id",
    "license_title",
    "license_url",
    "temporal_start",
    "temporal_end",
    "openness",
    "conditions",
    "exclusion_rule",
    "exclusion_basis",
)


@pytest.fixture
def live(demo_app) -> Iterator[str]:  # type: ignore[no-untyped-def]
    with serving(demo_app) as url:  # of this test alone: it changes the app's page size
        yield url


def metadata(pkg: dict[str, Any]) -> dict[str, Any]:
    """What a harvest of the public catalog must reproduce of a package dict."""
    out = {key: pkg[key] for key in COMPARED}
    # the harvester keeps no HTML of a description (the portal escapes it when it shows it)
    out["notes"] = clean_text(html_to_text(pkg["notes"])) or ""
    out["tags"] = sorted(t["name"] for t in pkg["tags"])
    out["publisher"] = (pkg["organization"]["title"], pkg["organization"]["code"])
    out["files"] = sorted(
        (r["format"], r["size"], r["hash"]) for r in pkg["resources"] if r["access"] == "public"
    )
    return out


def test_dcat_harvest_of_the_portal_reproduces_its_public_catalog(  # type: ignore[no-untyped-def]
    live, demo_rt, tmp_path, monkeypatch
):
    monkeypatch.setattr(dcat_catalog, "PAGE_SIZE", 20)  # four pages
    fresh = make_runtime(tmp_path / "fresh")
    try:
        result = harvest_catalog(fresh, "dcat", "portal", f"{live}/catalog.ttl")
        assert result.status == "finished", result.summary()
        assert errored(fresh, result) == {}
        with demo_rt.reader() as session:
            names = sorted(session.scalars(select(Dataset.name).where(public_now())))
        with fresh.reader() as session:
            harvested = dict(
                session.execute(
                    select(Dataset.source_identifier, Dataset.name).where(public_now())
                ).all()
            )
        assert sorted(harvested) == names
        lost = {}
        for name in names:
            want = metadata(catalog.package_show(demo_rt, id_or_name=name, base_url=""))
            got = metadata(catalog.package_show(fresh, id_or_name=harvested[name], base_url=""))
            diff = {k: (want[k], got[k]) for k in want if want[k] != got[k]}
            if diff:
                lost[name] = diff
        assert not lost, pprint.pformat(lost, width=120)
    finally:
        fresh.close()


def test_our_topic_wins_over_the_eu_theme_it_maps_to() -> None:
    """信用服务 is published with the EU theme ECON, which alone would read back as 经济建设."""
    from rdflib import URIRef

    from datasets.catalog.dcat_out import DcatWriter, new_graph
    from harvester.dcat_graph import DatasetGraph

    triples = new_graph()
    pkg = catalog_package_stub(topic="信用服务")
    node = DcatWriter(triples, "https://data.jiangzhou.gov.cn").dataset(pkg)
    assert DatasetGraph(triples.graph()).topic(URIRef(node))[0] == "信用服务"


def catalog_package_stub(**fields: Any) -> dict[str, Any]:
    org = {"name": "xin-yong-ban", "title": "江州市信用办", "code": "113610000000000001"}
    return {
        "name": "credit-list",
        "title": "信用名单",
        "notes": "",
        "organization": org,
        "tags": [],
        "openness": "unconditional",
        "openness_title": "无条件开放",
        "resources": [],
        **fields,
    }
