"""Search on both backends: Chinese that finds what people type, CKAN's filters, facets and
sorts, and search rows written in the same transaction as their datasets."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import func, select

from datasets.catalog import services as catalog
from datasets.errors import ValidationError
from datasets.models import Dataset, SearchEntry
from datasets.runtime import Runtime
from datasets.search.query import search_request

NOW = datetime(2026, 12, 5, tzinfo=UTC)


def find(rt: Runtime, **params: Any) -> dict[str, Any]:
    request = search_request(params, now=NOW, max_rows=1000, default_rows=20)
    return catalog.package_search(rt, request)


def names(result: dict[str, Any]) -> list[str]:
    return [p["name"] for p in result["results"]]


def test_two_character_words_and_several_words(search_rt: Runtime) -> None:
    # metro says 公共交通, a synonym of 公交 (config/synonyms.txt)
    assert set(names(find(search_rt, q="公交"))) == {"bus-lines", "bus-stops", "bus-cars", "metro"}
    assert names(find(search_rt, q="公交 票价")) == ["bus-lines"]
    assert find(search_rt, q="公交 养老")["count"] == 0


def test_longer_query_words_still_match_ranked_below_exact_ones(search_rt: Runtime) -> None:
    found = names(find(search_rt, q="公交车"))
    assert found[0] == "bus-cars"  # the only one holding 公交车 itself
    assert set(found) == {"bus-cars", "bus-lines", "bus-stops", "metro"}
    assert "elderly" in names(find(search_rt, q="养老院"))


def test_traditional_pinyin_and_initials(search_rt: Runtime) -> None:
    assert "elderly" in names(find(search_rt, q="養老機構"))
    assert set(names(find(search_rt, q="gongjiao"))) >= {"bus-lines", "bus-stops"}
    assert "bus-lines" in names(find(search_rt, q="gj"))


def test_synonyms_from_the_operators_table(search_rt: Runtime) -> None:
    # 公交 and 公共交通 are one group in config/synonyms.txt: metro only says 公共交通
    assert "metro" in names(find(search_rt, q="公交"))
    assert "bus-lines" in names(find(search_rt, q="公共交通"))


def test_exclusion_and_field_values_in_q(search_rt: Runtime) -> None:
    assert "bus-stops" not in names(find(search_rt, q="公交 -站点"))
    assert set(names(find(search_rt, q="监测 organization:sthjj"))) == {"air", "water"}
    assert names(find(search_rt, q="res_format:PDF")) == ["water"]


def test_did_you_mean_from_the_catalogs_own_words(search_rt: Runtime) -> None:
    result = find(search_rt, q="公教")  # a homophone typo of 公交
    assert result["count"] == 0
    assert result["suggestion"] == "公交"
    assert find(search_rt, q="公交")["suggestion"] is None


def test_facets_use_ckans_names_and_parameters(search_rt: Runtime) -> None:
    result = find(search_rt, q="公交")
    facets = result["search_facets"]
    assert set(facets) == {
        "organization",
        "groups",
        "tags",
        "res_format",
        "license_id",
        "openness",
        "update_cycle",
        "topic",
    }
    assert {i["name"]: i["count"] for i in facets["res_format"]["items"]} == {"CSV": 3, "XLSX": 1}
    org = facets["organization"]["items"][0]
    assert (org["name"], org["display_name"], org["count"]) == ("jtysj", "江州市交通运输局", 4)
    only = find(search_rt, **{"facet.field": '["tags"]', "facet.limit": "1"})
    assert list(only["search_facets"]) == ["tags"]
    assert only["search_facets"]["tags"]["items"] == [
        {"name": "公交", "display_name": "公交", "count": 2}
    ]
    several = find(search_rt, **{"facet.field": '["tags"]', "facet.mincount": "2"})
    assert {i["name"] for i in several["search_facets"]["tags"]["items"]} == {
        "公交",
        "养老",
        "监测",
    }


def test_fq_or_negation_quotes_and_ids(search_rt: Runtime) -> None:
    either = find(search_rt, fq="organization:mzj OR organization:sthjj")
    assert set(names(either)) == {"elderly", "elderly-subsidy", "air", "water"}
    assert find(search_rt, fq="-organization:jtysj")["count"] == 4
    assert set(names(find(search_rt, fq='groups:"生态环境"'))) == {"air", "water"}
    assert names(find(search_rt, fq="name:water")) == ["water"]
    water_id = find(search_rt, fq="name:water")["results"][0]["id"]
    assert names(find(search_rt, fq=f"id:{water_id}")) == ["water"]
    assert find(search_rt, fq="license_id:cc0-1.0")["count"] == 2
    assert find(search_rt, fq="dataset_type:dataset")["count"] == 8
    assert find(search_rt, fq="dataset_type:harvest")["count"] == 0
    listed = find(search_rt, fq_list=["organization:jtysj", "res_format:CSV"])
    assert set(names(listed)) == {"bus-lines", "bus-cars", "metro"}


def test_date_ranges_and_now(search_rt: Runtime) -> None:
    since = find(search_rt, fq="metadata_modified:[2026-06-01T00:00:00Z TO *]")
    assert set(names(since)) == {"air", "water", "metro"}
    created = find(search_rt, fq="metadata_created:[* TO 2026-02-01T00:00:00Z}")
    assert names(created) == ["bus-lines"]
    assert find(search_rt, fq="metadata_modified:[NOW-1YEAR TO NOW]")["count"] == 8
    assert find(search_rt, fq="metadata_modified:[NOW-1DAY TO NOW]")["count"] == 0


def test_ckan_sorts_and_rows_capped(search_rt: Runtime) -> None:
    assert names(find(search_rt, sort="metadata_created asc"))[:2] == ["bus-lines", "bus-stops"]
    assert names(find(search_rt, sort="metadata_created desc"))[0] == "metro"
    assert names(find(search_rt, sort="name asc"))[:2] == ["air", "bus-cars"]
    titles = [p["title"] for p in find(search_rt, sort="title_string asc")["results"]]
    assert titles == sorted(titles)
    assert find(search_rt, rows="5000")["count"] == 8  # capped at 1000, not refused
    with pytest.raises(ValidationError):
        find(search_rt, sort="popularity desc")
    page2 = find(search_rt, sort="name asc", rows="3", start="3")
    assert names(page2) == ["bus-stops", "elderly", "elderly-subsidy"]


def test_highlights_on_the_page_of_hits(search_rt: Runtime) -> None:
    hit = find(search_rt, q="票价")["results"][0]
    assert '<mark class="hl">票价</mark>' in hit["highlight"]["notes"]
    assert "<mark" not in hit["highlight"]["title"]


def test_search_rows_are_written_with_their_datasets(search_rt: Runtime) -> None:
    with pytest.raises(RuntimeError), search_rt.session() as session:
        dataset = session.scalar(select(Dataset).where(Dataset.name == "water"))
        assert dataset is not None
        dataset.title = "地下水水位"
        session.flush()
        raise RuntimeError("crash before the commit")
    assert names(find(search_rt, q="饮用水")) == ["water"]  # rolled back with the dataset
    assert find(search_rt, q="地下水")["count"] == 0
    with search_rt.session() as session:
        dataset = session.scalar(select(Dataset).where(Dataset.name == "water"))
        assert dataset is not None
        dataset.title = "地下水水位"
        dataset.revision += 1
    assert names(find(search_rt, q="地下水")) == ["water"]
    with search_rt.session() as session:
        dataset = session.scalar(select(Dataset).where(Dataset.name == "air"))
        assert dataset is not None
        dataset.state = "withdrawn"
    assert find(search_rt, q="空气")["count"] == 0
    with search_rt.reader() as session:
        entries = session.scalar(select(func.count()).select_from(SearchEntry))
    assert entries == 7
