"""Search text analysis (datasets/search/analysis.py, highlight.py, suggest.py): folding, index
and pinyin tokens, query words with synonyms and sub-words, highlighting, "did you mean", and
that importing the module loads nothing heavy.
"""

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from datasets.search import analysis
from datasets.search.analysis import (
    QueryWord,
    excluded_tokens,
    fold,
    index_tokens,
    load_synonyms,
    query_words,
    use_synonyms,
)
from datasets.search.highlight import highlight
from datasets.search.suggest import Vocabulary, suggest, vocabulary_of
from datasets.search.titles import pinyin_tokens, title_tokens

REPO = Path(__file__).resolve().parents[2]
FTS_SYNTAX = set('"*^:(){}[]-')


@pytest.fixture
def synonym_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    path = tmp_path / "synonyms.txt"
    path.write_text("公交 公共交通\n", encoding="utf-8")
    monkeypatch.setattr(analysis, "SYNONYM_CHECK_SECONDS", 0.0)
    use_synonyms(path)
    yield path
    use_synonyms(None)


@pytest.fixture
def no_synonyms(tmp_path: Path) -> Iterator[None]:
    use_synonyms(tmp_path / "missing.txt")
    yield
    use_synonyms(None)


def only(words: list[QueryWord]) -> QueryWord:
    assert len(words) == 1, words
    return words[0]


def test_fold_traditional_full_width_and_case() -> None:
    assert fold("養老") == "养老"
    assert fold("ＡＢＣ") == "abc"
    assert fold("公車路線 GDP") == "公车路线 gdp"
    assert fold("１２３４５") == "12345"


def test_index_tokens_search_mode_sub_words() -> None:
    tokens = index_tokens("公交线路")
    assert {"公交", "线路", "公交线路"} <= set(tokens)


def test_index_tokens_drop_punctuation_and_stop_words() -> None:
    tokens = index_tokens("北京市的公交线路，和 養老院！")
    assert "的" not in tokens and "和" not in tokens
    assert "养老院" in tokens
    assert all(t.strip() and t.isalnum() for t in tokens)


def test_index_tokens_have_no_fts_syntax() -> None:
    tokens = index_tokens('a"b*(c) -d:e [f]{g}^h')
    assert tokens
    assert {"b", "c", "d", "e", "f", "g", "h"} <= set(tokens)
    for token in tokens:
        assert not FTS_SYNTAX & set(token), token
        assert not any(ch.isspace() for ch in token)


def test_pinyin_tokens() -> None:
    tokens = pinyin_tokens("公交线路")
    assert "gongjiao" in tokens and "gj" in tokens
    assert "xianlu" in tokens
    assert len(tokens) == len(set(tokens))
    assert pinyin_tokens("GDP 2023") == []


def test_query_words_long_word_gets_loose_sub_word(no_synonyms: None) -> None:
    word = only(query_words("公交车"))
    assert word.text == "公交车"
    assert ("公交车",) in word.exact
    assert ("公交",) in word.loose
    assert not set(word.exact) & set(word.loose)


def test_query_words_养老院(no_synonyms: None) -> None:
    assert ("养老",) in only(query_words("养老院")).loose


def test_query_words_folds(no_synonyms: None) -> None:
    word = only(query_words("養老"))
    assert word.text == "养老"
    assert ("养老",) in word.exact
    assert word.loose == ()


def test_query_words_ascii_and_stop_words(no_synonyms: None) -> None:
    words = query_words("GongJiao 的 gj")
    assert [w.text for w in words] == ["gongjiao", "gj"]
    assert all(w.loose == () for w in words)


def test_query_words_split_on_whitespace(no_synonyms: None) -> None:
    assert [w.text for w in query_words("公交  養老")] == ["公交", "养老"]


def test_bundled_synonyms_used_by_default() -> None:
    use_synonyms(None)
    exact = only(query_words("公交")).exact
    assert tuple(analysis._cut("公共交通", search=False)) in exact
    assert ("地铁",) in only(query_words("轨道交通")).exact


def test_synonyms_from_file_are_exact(synonym_file: Path) -> None:
    synonym_tokens = tuple(analysis._cut("公共交通", search=False))
    assert synonym_tokens in only(query_words("公交")).exact
    assert ("公交",) in only(query_words("公共交通")).exact


def test_synonym_edit_applies_without_restart(synonym_file: Path) -> None:
    assert len(only(query_words("天气")).exact) == 1
    synonym_file.write_text("公交 公共交通\n天气 气象\n", encoding="utf-8")
    stat = synonym_file.stat()
    os.utime(synonym_file, ns=(stat.st_atime_ns, stat.st_mtime_ns + 5_000_000_000))
    assert ("气象",) in only(query_words("天气")).exact


def test_synonym_check_is_throttled(synonym_file: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    assert len(only(query_words("公交")).exact) == 2
    monkeypatch.setattr(analysis, "SYNONYM_CHECK_SECONDS", 3600.0)
    synonym_file.write_text("", encoding="utf-8")
    assert len(only(query_words("公交")).exact) == 2


def test_load_synonyms_skips_bad_lines(tmp_path: Path) -> None:
    path = tmp_path / "s.txt"
    path.write_bytes(
        "# 注释\n\n公交 公共交通 # 行尾注释\n".encode()
        + b"\xff\xfe\x00bad \x80\x81\n"
        + "x\x00y 坏行\n".encode()
        + "孤词\n醫院，衛生院、医疗机构\n".encode()
    )
    table = load_synonyms(path)
    assert table["公交"] == ("公共交通",)
    assert table["公共交通"] == ("公交",)
    assert table["医院"] == ("卫生院", "医疗机构")
    assert "孤词" not in table and "坏行" not in table
    assert all("\x00" not in word for word in table)


def test_load_synonyms_missing_file_and_merged_groups(tmp_path: Path) -> None:
    assert load_synonyms(tmp_path / "nope.txt") == {}
    path = tmp_path / "s.txt"
    path.write_text("企业 公司\n企业 市场主体\n", encoding="utf-8")
    assert load_synonyms(path)["企业"] == ("公司", "市场主体")


def test_bundled_synonym_table() -> None:
    table = load_synonyms(REPO / "config" / "synonyms.txt")
    assert len({frozenset((w, *others)) for w, others in table.items()}) >= 25
    assert "公共交通" in table["公交"]
    assert "网约车" not in table.get("出租车", ())


def test_excluded_tokens() -> None:
    assert excluded_tokens("出租車") == ("出租车",)
    assert excluded_tokens("的") == ()


def test_highlight_escapes_and_marks() -> None:
    out = highlight("<script>alert(1)</script>公交线路查询", ["公交"])
    assert "<script>" not in out
    assert "&lt;script&gt;" in out
    assert '<mark class="hl">公交</mark>线路查询' in out


def test_highlight_longest_match_and_case() -> None:
    out = highlight("北京公交线路 GDP", ["公交", "公交线路", "gdp"])
    assert out == '北京<mark class="hl">公交线路</mark> <mark class="hl">GDP</mark>'


def test_highlight_traditional_text_for_simplified_token() -> None:
    assert highlight("公車路線", ["公车"]) == '<mark class="hl">公車</mark>路線'


def test_highlight_fragment_window() -> None:
    text = "甲" * 50 + "公交线路" + "乙" * 50
    out = highlight(text, ["公交"], fragment=20)
    assert out.startswith("…") and out.endswith("…")
    assert '<mark class="hl">公交</mark>' in out
    assert 18 <= len(out.replace('<mark class="hl">', "").replace("</mark>", "")) <= 24


def test_highlight_fragment_without_match_or_short_text() -> None:
    assert highlight("甲" * 30, ["公交"], fragment=10) == "甲" * 10 + "…"
    assert highlight("公交<b>", ["公交"], fragment=50) == '<mark class="hl">公交</mark>&lt;b&gt;'


def test_suggest_homophone() -> None:
    assert suggest(["公教"], {"公交": 3, "交通": 5}) == "公交"


def test_suggest_nothing_to_correct() -> None:
    assert suggest(["公交", "交通"], {"公交": 3, "交通": 5}) is None


def test_suggest_ascii_pinyin_and_spelling() -> None:
    vocab = Vocabulary({"公交": 3, "数据": 9, "数据开放": 4, "重庆": 2, "weather": 2})
    assert suggest(["shuju", "weahter"], vocab) == "数据 weather"
    assert suggest(["chongqing"], vocab) == "重庆"
    assert suggest(["数剧开放"], vocab) == "数据开放"


def test_suggest_prefers_most_frequent_homophone() -> None:
    assert suggest(["工交"], {"公交": 3, "攻教": 9, "功胶": 1}) == "攻教"


def test_vocabulary_cached_per_mapping() -> None:
    counts = {"公交": 1}
    assert vocabulary_of(counts) is vocabulary_of(counts)
    counts["交通"] = 2
    assert "交通" in vocabulary_of(counts)


def test_import_loads_nothing_heavy() -> None:
    code = (
        "import sys, datasets.search.analysis, datasets.search.highlight, "
        "datasets.search.suggest\n"
        "print(sorted(m for m in ('jieba', 'opencc', 'pypinyin') if m in sys.modules))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == "[]"


def test_the_phrase_table_read_compactly_is_pypinyins_own() -> None:
    import json
    from pathlib import Path

    pypinyin = analysis._get_pinyin()
    bundled = json.loads(
        Path(pypinyin.__file__).with_name("phrases_dict.json").read_text(encoding="utf-8")
    )
    assert analysis._phrases(Path(pypinyin.__file__)) == bundled
    from pypinyin.constants import PHRASES_DICT

    assert len(PHRASES_DICT) >= len(bundled)  # loaded into pypinyin
    assert pinyin_tokens("重庆银行") == ["chongqing", "cq", "yinhang", "yh"]


def test_a_reader_loads_no_phrase_table_until_it_writes() -> None:
    code = (
        "from datasets.search import analysis, suggest, titles\n"
        "analysis.load(writer=False)\n"
        "from pypinyin.constants import PHRASES_DICT\n"
        "before = len(PHRASES_DICT)\n"
        "hit = suggest.suggest(['gongjiao'], {'公交': 3})\n"
        "after_suggest = len(PHRASES_DICT)\n"
        "tokens = titles.pinyin_tokens('重庆银行')\n"
        "print(before, after_suggest, len(PHRASES_DICT) > 40000, hit, tokens)"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, check=True
    )
    assert result.stdout.split() == [
        "0",
        "0",
        "True",
        "公交",
        "['chongqing',",
        "'cq',",
        "'yinhang',",
        "'yh']",
    ]


TITLES = [
    "公交线路信息",
    "重庆银行网点分布（2023年）",
    "中华人民共和国企业信用信息公示",
    "臺北市養老機構名錄",
    "GDP 2023 统计公报 v2.1",
    "江州市中医院、人民医院门诊量：月度",
    "",
    "——",
    "北京大学生前来应聘",
    "空气质量监测站点数据第3批",
]


def _reference(title: str) -> tuple[list[str], list[str]]:
    """The title's tokens as cut before: search mode on its own, pinyin from two more cuts."""
    jieba = analysis._get_jieba()
    cleaned = analysis._NON_WORD.sub(" ", analysis.fold(title))
    syllables = [""] * len(cleaned)
    for word, start, _end in jieba.tokenize(cleaned):
        if analysis.has_han(word):
            syllables[start : start + len(word)] = analysis._get_pinyin().lazy_pinyin(word)
    out: dict[str, None] = {}
    for word, start, end in jieba.tokenize(cleaned, mode="search"):
        read = [syllables[i] for i in range(start, end) if syllables[i]]
        if read and analysis.has_han(word):
            out["".join(read)] = None
            if end - start >= 2:
                out["".join(r[0] for r in read)] = None
    return analysis.index_tokens(title), list(out)


@pytest.mark.parametrize("title", TITLES)
def test_one_cut_of_a_title_gives_what_three_cuts_gave(title: str) -> None:
    assert title_tokens(title) == _reference(title)
