from datetime import datetime

import pytest

from datasets.search.index import SearchIndex, chinese_analyzer, index_document


def _doc(id_, title, notes="", **kw):
    values = dict(
        id=id_,
        name=id_,
        revision=1,
        title=title,
        notes=notes,
        keywords=[],
        organization=kw.pop("organization", "jtysj"),
        topic=kw.pop("topic", "交通运输"),
        openness=kw.pop("openness", "unconditional"),
        update_cycle="每月",
        formats=kw.pop("formats", ["csv"]),
        tags=kw.pop("tags", []),
        modified=kw.pop("modified", datetime(2026, 1, 1)),
    )
    values.update(kw)
    return index_document(**values)


@pytest.fixture
def index(tmp_path):
    ix = SearchIndex(tmp_path / "index")
    ix.apply(
        [
            _doc("bus", "公交线路信息", "全市公交线路的起讫站点与票价"),
            _doc(
                "stops",
                "公交站点信息",
                "公交站点位置",
                formats=["xlsx"],
                modified=datetime(2026, 3, 1),
            ),
            _doc("elderly", "养老机构名录", "养老服务机构", organization="mzj", topic="社会救助"),
            _doc(
                "air",
                "空气质量监测日报",
                "PM2.5 与 AQI",
                organization="sthjj",
                topic="生态环境",
                openness="conditional",
                tags=["空气", "监测"],
            ),
        ],
        [],
    )
    return ix


def test_jieba_search_mode_yields_the_short_words_inside_long_ones():
    words = [t.text for t in chinese_analyzer()("公交线路信息")]
    assert "公交" in words and "线路" in words


@pytest.mark.parametrize(
    ("q", "names"),
    [
        ("公交", {"bus", "stops"}),
        ("养老", {"elderly"}),
        ("公交线路", {"bus"}),
        ("空气质量", {"air"}),
        ("pm2.5", {"air"}),
        ("火星", set()),
    ],
)
def test_two_character_words_match(index, q, names):
    result = index.search(q, rows=10)
    assert {h.name for h in result.hits} == names
    assert result.count == len(names)


def test_all_words_of_a_query_must_match(index):
    assert {h.name for h in index.search("公交 票价").hits} == {"bus"}


def test_filters_and_facets(index):
    result = index.search("", filters={"formats": ["XLSX"]})
    assert [h.name for h in result.hits] == ["stops"]
    facets = index.search("").facets
    assert dict(facets["organization"]) == {"jtysj": 2, "mzj": 1, "sthjj": 1}
    assert dict(facets["tags"]) == {"空气": 1, "监测": 1}
    with pytest.raises(ValueError):
        index.search("", filters={"secret_field": ["x"]})


def test_empty_query_lists_newest_first_and_pages(index):
    first = index.search("", rows=2)
    second = index.search("", rows=2, start=2)
    assert first.count == 4
    assert first.hits[0].name == "stops"
    assert {h.name for h in first.hits} | {h.name for h in second.hits} == {
        "bus",
        "stops",
        "elderly",
        "air",
    }


def test_highlights_mark_the_matched_word_and_escape_the_rest(tmp_path):
    ix = SearchIndex(tmp_path / "ix")
    ix.apply([_doc("x", "公交<b>线路</b>", "说明 <script>公交</script>")], [])
    hit = ix.search("公交").hits[0]
    assert '<mark class="hl t0">公交</mark>' in hit.title_html
    assert "<b>" not in hit.title_html and "&lt;b&gt;" in hit.title_html
    assert "<script>" not in hit.notes_html


def test_query_syntax_from_users_is_treated_as_text(index):
    # field syntax, wildcards and operators must not reach the engine
    assert index.search("openness:conditional").count == 0
    assert index.search("公交 OR 养老").count == 0
    assert index.search("*").count == 4


def test_revisions_and_deletes(index):
    assert index.revisions()["bus"] == 1
    index.apply([], ["bus"])
    assert "bus" not in index.revisions()
    assert index.search("公交线路").count == 0
