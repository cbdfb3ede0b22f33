"""CKAN's package_search parameters parsed into typed requests (datasets.search.query / fq)."""

from __future__ import annotations

import contextlib
import json
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest

from datasets.errors import ValidationError
from datasets.search.query import (
    FACETS,
    FIELDS,
    AllOf,
    AnyOf,
    Everything,
    Not,
    Range,
    SearchRequest,
    Term,
    parse_facet_fields,
    parse_fq,
    parse_q,
    parse_sort,
    search_request,
    sort_text,
)

NOW = datetime(2026, 12, 5, 10, 30, 15, 250000, tzinfo=UTC)


def utc(
    year: int, month: int, day: int, hour: int = 0, minute: int = 0, second: int = 0
) -> datetime:
    return datetime(year, month, day, hour, minute, second, tzinfo=UTC)


def fq(text: str) -> Any:
    return parse_fq(text, now=NOW)


def request(**params: Any) -> SearchRequest:
    return search_request(params, now=NOW, max_rows=1000, default_rows=20)


def org(*values: str) -> Term:
    return Term("organization", values)


# --- the vocabulary --------------------------------------------------------------------------


def test_fields_and_facets() -> None:
    assert FIELDS["metadata_modified"] == FIELDS["metadata_created"] == "date"
    assert all(FIELDS[name] == "term" for name in FACETS)
    assert {"name", "id", "dataset_type"} <= {k for k, v in FIELDS.items() if v == "term"}
    assert FACETS == (
        "organization",
        "groups",
        "tags",
        "res_format",
        "license_id",
        "openness",
        "update_cycle",
        "topic",
    )


# --- fq: terms, quotes, aliases --------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("organization:a", org("a")),
        ("groups:g", Term("groups", ("g",))),
        ("res_format:CSV", Term("res_format", ("CSV",))),
        ("dataset_type:dataset", Term("dataset_type", ("dataset",))),
        ('groups:"生态环境"', Term("groups", ("生态环境",))),
        ('tags:"空气 质量"', Term("tags", ("空气 质量",))),
        ('name:"say \\"hi\\""', Term("name", ('say "hi"',))),
        ("tags:空气质量", Term("tags", ("空气质量",))),
        ("name:a\\ b", Term("name", ("a b",))),
        ("res_format:text\\/csv", Term("res_format", ("text/csv",))),
        ("id:urn:uuid:1", Term("id", ("urn:uuid:1",))),
        ("formats:PDF", Term("res_format", ("PDF",))),
        ("tag:x", Term("tags", ("x",))),
        ("group:g", Term("groups", ("g",))),
        ("owner_org:o", org("o")),
        ("  organization:a  ", org("a")),
        ("organization:a\u3000", org("a")),
        ("*:*", Everything()),
        ("", Everything()),
        ("   ", Everything()),
    ],
)
def test_fq_single_clauses(text: str, expected: Any) -> None:
    assert fq(text) == expected


def test_fq_boolean_structure() -> None:
    assert fq("organization:a OR organization:b") == AnyOf((org("a"), org("b")))
    assert fq("organization:a || organization:b") == AnyOf((org("a"), org("b")))
    assert fq("-organization:x") == Not(org("x"))
    assert fq("!organization:x") == Not(org("x"))
    assert fq("NOT organization:x") == Not(org("x"))
    assert fq("+organization:x") == org("x")
    assert fq("- -organization:x") == org("x")
    assert fq("organization:a tags:t") == AllOf((org("a"), Term("tags", ("t",))))
    assert fq("organization:a AND tags:t") == fq("organization:a && tags:t")
    assert fq("organization:a AND tags:t") == fq("organization:a tags:t")
    # AND binds tighter than OR
    assert fq("organization:a OR organization:b tags:t") == AnyOf(
        (org("a"), AllOf((org("b"), Term("tags", ("t",)))))
    )
    assert fq("(organization:a OR organization:b) tags:t") == AllOf(
        (AnyOf((org("a"), org("b"))), Term("tags", ("t",)))
    )
    # nested AllOf / AnyOf are flattened; *:* disappears from an AllOf
    assert fq("organization:a (tags:t (groups:g))") == AllOf(
        (org("a"), Term("tags", ("t",)), Term("groups", ("g",)))
    )
    assert fq("*:* organization:a") == org("a")
    assert fq("*:* OR organization:a") == Everything()
    assert fq("NOT (organization:a OR -tags:t)") == Not(
        AnyOf((org("a"), Not(Term("tags", ("t",)))))
    )
    # OR/AND/NOT only as whole words: ORx is a field name (an unknown one)
    with pytest.raises(ValidationError):
        fq("ORx:1")
    assert fq("organization:OR_x") == org("OR_x")


def test_fq_value_groups_are_any_of() -> None:
    assert fq("organization:(a OR b)") == org("a", "b")
    assert fq("organization:(a b)") == org("a", "b")  # juxtaposed values: any of them
    assert fq('tags:("a b" OR c OR a)') == Term("tags", ("a b", "c", "a"))
    assert fq("tags:(a AND b)") == AllOf((Term("tags", ("a",)), Term("tags", ("b",))))
    assert fq("tags:(a -b)") == AnyOf((Term("tags", ("a",)), Not(Term("tags", ("b",)))))
    assert fq("tags:((a OR b) AND c)") == AllOf((Term("tags", ("a", "b")), Term("tags", ("c",))))
    assert fq("-organization:(a OR b)") == Not(org("a", "b"))
    assert fq("metadata_modified:([2024-01-01T00:00:00Z TO *] OR NOW)") == AnyOf(
        (Range("metadata_modified", utc(2024, 1, 1), None), Range("metadata_modified", NOW, NOW))
    )


def test_fq_nested_parentheses_up_to_twenty() -> None:
    assert fq("(" * 20 + "organization:a" + ")" * 20) == org("a")
    assert fq("organization:" + "(" * 19 + "a" + ")" * 19) == org("a")
    with pytest.raises(ValidationError, match="20"):
        fq("(" * 21 + "organization:a" + ")" * 21)


# --- fq: exactly what ckanext-harvest sends ----------------------------------------------------


def test_ckanext_harvest_filters() -> None:
    # include organisations, exclude organisations, groups
    assert fq("organization:a OR organization:b") == AnyOf((org("a"), org("b")))
    assert fq("-organization:x -organization:y") == AllOf((Not(org("x")), Not(org("y"))))
    assert fq("groups:g1 OR groups:g2") == AnyOf((Term("groups", ("g1",)), Term("groups", ("g2",))))
    since = Range("metadata_modified", utc(2024, 1, 1), None)
    window = "metadata_modified:[2024-01-01T00:00:00.000000Z TO *]"
    assert fq(window) == since
    assert fq(f"organization:a OR organization:b {window}") == AnyOf(
        (org("a"), AllOf((org("b"), since)))
    )  # Solr precedence, exactly as written
    assert fq(f"(organization:a OR organization:b) {window}") == AllOf(
        (AnyOf((org("a"), org("b"))), since)
    )
    assert fq(f"-organization:x {window}") == AllOf((Not(org("x")), since))
    # the harvester sends the window as fq and other filters in fq_list
    got = request(fq=window, fq_list=["organization:a OR organization:b", "groups:g"])
    assert got.filter == AllOf((since, AnyOf((org("a"), org("b"))), Term("groups", ("g",))))


# --- fq: dates ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("bound", "expected"),
    [
        ("2024-01-01T00:00:00Z", utc(2024, 1, 1)),
        ("2024-01-01T00:00:00.000000Z", utc(2024, 1, 1)),
        ("2024-01-01T08:09:10.123Z", datetime(2024, 1, 1, 8, 9, 10, 123000, tzinfo=UTC)),
        ("2024-01-01T00:00:00", utc(2024, 1, 1)),  # naive: UTC
        ("2024-01-01T08:00:00+08:00", utc(2024, 1, 1)),
        ("2024-01-01", utc(2024, 1, 1)),
        ("NOW", NOW),
        ("NOW-1DAY", NOW - timedelta(days=1)),
        ("NOW+2HOURS", NOW + timedelta(hours=2)),
        ("NOW-30MINUTES", NOW - timedelta(minutes=30)),
        ("NOW-5SECONDS", NOW - timedelta(seconds=5)),
        ("NOW/DAY", utc(2026, 12, 5)),
        ("NOW/DAY-7DAYS", utc(2026, 11, 28)),
        ("NOW/HOUR", utc(2026, 12, 5, 10)),
        ("NOW/MINUTE", utc(2026, 12, 5, 10, 30)),
        ("NOW/SECOND", utc(2026, 12, 5, 10, 30, 15)),
        ("NOW/MONTH", utc(2026, 12, 1)),
        ("NOW/YEAR", utc(2026, 1, 1)),
        ("NOW-1YEAR", NOW.replace(year=2025)),
        ("NOW+1MONTH", NOW.replace(year=2027, month=1)),
        ("NOW-12MONTHS/DAY", utc(2025, 12, 5)),
        ("now-1day", NOW - timedelta(days=1)),
        ("2024-01-31T00:00:00Z+1MONTH", utc(2024, 2, 29)),  # clamped to the month's end
        ("2024-03-15T12:00:00Z/MONTH", utc(2024, 3, 1)),
    ],
)
def test_fq_date_bounds(bound: str, expected: datetime) -> None:
    node = fq(f"metadata_modified:[{bound} TO *]")
    assert node == Range("metadata_modified", expected, None)
    assert node.low.tzinfo is not None and node.low.utcoffset() == timedelta(0)


def test_fq_ranges_inclusive_exclusive_and_open() -> None:
    a, b = utc(2024, 1, 1), utc(2025, 1, 1)
    field = "metadata_created"
    assert fq(f"{field}:[2024-01-01T00:00:00Z TO 2025-01-01T00:00:00Z]") == Range(field, a, b)
    assert fq(f"{field}:{{2024-01-01T00:00:00Z TO 2025-01-01T00:00:00Z}}") == Range(
        field, a, b, False, False
    )
    assert fq(f"{field}:[2024-01-01T00:00:00Z TO 2025-01-01T00:00:00Z}}") == Range(
        field, a, b, True, False
    )
    assert fq(f"{field}:{{2024-01-01T00:00:00Z TO 2025-01-01T00:00:00Z]") == Range(
        field, a, b, False, True
    )
    assert fq(f"{field}:[* TO 2026-02-01T00:00:00Z}}") == Range(
        field, None, utc(2026, 2, 1), True, False
    )
    assert fq(f"{field}:{{* TO *}}") == Range(field, None, None)
    assert fq(f'{field}:[ "2024-01-01T00:00:00Z"  TO  * ]') == Range(field, a, None)
    assert fq("metadata_modified:[NOW-1YEAR TO NOW]") == Range(
        "metadata_modified", NOW.replace(year=2025), NOW
    )


def test_fq_single_dates() -> None:
    day = Range("metadata_modified", utc(2024, 1, 1), utc(2024, 1, 2), True, False)
    assert fq("metadata_modified:2024-01-01") == day
    assert fq('metadata_modified:"2024-01-01"') == day
    instant = utc(2024, 1, 1, 8)
    assert fq("metadata_modified:2024-01-01T08:00:00Z") == Range(
        "metadata_modified", instant, instant
    )
    assert fq("metadata_modified:NOW/DAY") == Range(
        "metadata_modified", utc(2026, 12, 5), utc(2026, 12, 5)
    )
    assert fq("metadata_modified:9999-12-31") == Range("metadata_modified", utc(9999, 12, 31), None)


def test_naive_now_is_taken_as_utc() -> None:
    naive = datetime(2026, 1, 2, 3, 4, 5)
    got = parse_fq("metadata_modified:[NOW/DAY TO *]", now=naive)
    assert got == Range("metadata_modified", utc(2026, 1, 2), None)
    shanghai = datetime(2026, 1, 2, 3, 0, tzinfo=timezone(timedelta(hours=8)))
    got = parse_fq("metadata_modified:[NOW/DAY TO *]", now=shanghai)
    assert got == Range("metadata_modified", utc(2026, 1, 1), None)  # rounded in UTC


# --- fq: errors --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("(organization:a", "缺少右括号"),
        ("organization:a)", "多余的右括号"),
        ("organization:(a OR b", "缺少右括号"),
        ("organization:a*", "通配符"),
        ("organization:*", "通配符"),
        ("name:a?c", "通配符"),
        ("foo:bar", "不可检索"),
        ("Organization:a", "不可检索"),  # field names are case-sensitive
        ("organization", "字段:值"),
        ("organization:", "缺少字段"),
        ("organization: a", "缺少字段"),
        ('organization:"a', "缺少右引号"),
        ('organization:""', "为空"),
        ("organization:a OR", "缺少条件"),
        ("OR organization:a", "缺少条件"),
        ("organization:a AND AND tags:b", "缺少条件"),
        ("-", "缺少条件"),
        ("()", "缺少条件"),
        ("name:[a TO b]", "不支持范围"),
        ("organization:{a TO b}", "不支持范围"),
        ("metadata_modified:[yesterday TO *]", "日期无法识别"),
        ("metadata_modified:[2024-13-01 TO *]", "日期无法识别"),
        ("metadata_modified:[NOW-1FORTNIGHT TO *]", "日期无法识别"),
        ("metadata_modified:[NOW-DAY TO *]", "日期无法识别"),
        ("metadata_modified:[NOW+9999999DAYS TO *]", "日期无法识别"),
        ("metadata_modified:[NOW+999999YEARS TO *]", "日期无法识别"),
        ("metadata_modified:[0001-01-01T00:00:00Z-1DAY TO *]", "日期无法识别"),
        ("metadata_modified:[2024-01-01 *]", "TO"),
        ("metadata_modified:[2024-01-01 TO *", "右括号"),
        ("metadata_modified:[ TO *]", "日期无法识别"),
        ("metadata_modified:today", "日期无法识别"),
        ("metadata_modified:2024", "日期无法识别"),
    ],
)
def test_fq_errors_say_what_and_where(text: str, fragment: str) -> None:
    with pytest.raises(ValidationError) as caught:
        fq(text)
    assert fragment in caught.value.message
    assert caught.value.errors == {"fq": [caught.value.message]}
    assert caught.value.message.startswith("无法解析 fq 参数：第 ")


def test_fq_error_positions_and_allowed_fields() -> None:
    with pytest.raises(ValidationError) as caught:
        fq("(organization:a")
    assert (
        caught.value.message
        == "无法解析 fq 参数：第 16 个字符处缺少右括号（与第 1 个字符处的左括号配对）"
    )
    with pytest.raises(ValidationError) as caught:
        fq("organization:a foo:b")
    assert "第 16 个字符处" in caught.value.message
    assert "organization" in caught.value.message and "metadata_modified" in caught.value.message


def test_fq_at_most_a_hundred_clauses() -> None:
    hundred = " ".join(f"id:{i}" for i in range(100))
    assert fq(hundred) == AllOf(tuple(Term("id", (str(i),)) for i in range(100)))
    assert fq("tags:(" + " ".join(str(i) for i in range(100)) + ")") == Term(
        "tags", tuple(str(i) for i in range(100))
    )
    with pytest.raises(ValidationError, match="100"):
        fq(hundred + " id:x")
    with pytest.raises(ValidationError, match="100"):
        fq("tags:(" + " ".join(str(i) for i in range(101)) + ")")


# --- q -----------------------------------------------------------------------------------------


def q(text: str) -> tuple[str, tuple[str, ...], Any]:
    return parse_q(text, now=NOW)


def test_q_words_exclusions_and_clauses() -> None:
    assert q("公交 票价") == ("公交 票价", (), Everything())
    assert q("公交 -站点 -线路") == ("公交", ("站点", "线路"), Everything())
    assert q("监测 organization:sthjj") == ("监测", (), org("sthjj"))
    assert q("res_format:PDF") == ("", (), Term("res_format", ("PDF",)))
    assert q('"公交 线路" 地铁') == ("公交 线路 地铁", (), Everything())
    assert q('-"公交 线路"') == ("", ("公交 线路",), Everything())
    assert q("-organization:x 公交") == ("公交", (), Not(org("x")))
    assert q("+公交 +tags:t") == ("公交", (), Term("tags", ("t",)))
    assert q('tags:"空气 质量" 监测') == ("监测", (), Term("tags", ("空气 质量",)))
    assert q("organization:(a OR b) tag:t") == (
        "",
        (),
        AllOf((org("a", "b"), Term("tags", ("t",)))),
    )
    assert q("metadata_modified:[NOW-1DAY TO NOW] 公交") == (
        "公交",
        (),
        Range("metadata_modified", NOW - timedelta(days=1), NOW),
    )


def test_q_odd_tokens_stay_text() -> None:
    assert q("foo:bar 公交") == ("foo:bar 公交", (), Everything())
    assert q("title:公交") == ("title:公交", (), Everything())
    assert q("a - b") == ("a - b", (), Everything())  # a lone "-" is not an exclusion
    assert q("*:*") == ("", (), Everything())
    assert q("*") == ("", (), Everything())
    assert q("") == ("", (), Everything())
    assert q("   ") == ("", (), Everything())
    assert q("公交\u3000地铁") == ("公交 地铁", (), Everything())
    assert q('"unclosed phrase') == ("unclosed phrase", (), Everything())
    assert q("-站点 -站点") == ("", ("站点",), Everything())


def test_q_clause_errors_are_keyed_by_q() -> None:
    with pytest.raises(ValidationError) as caught:
        q("metadata_modified:yesterday")
    assert set(caught.value.errors) == {"q"}
    assert caught.value.message.startswith("无法解析 q 参数")
    with pytest.raises(ValidationError):
        q("organization:a*")


# --- sort --------------------------------------------------------------------------------------


def test_sorts() -> None:
    assert parse_sort("name asc", has_words=False) == (("name", False),)
    assert parse_sort("metadata_modified desc", has_words=False) == (("metadata_modified", True),)
    assert parse_sort("title_string", has_words=False) == (("title_string", False),)
    assert parse_sort("id ASC", has_words=False) == (("id", False),)
    assert parse_sort("score desc, metadata_modified desc", has_words=True) == (
        ("score", True),
        ("metadata_modified", True),
    )
    assert parse_sort("score", has_words=True) == (("score", True),)  # score defaults to desc
    assert parse_sort("score asc", has_words=True) == (("score", False),)
    assert parse_sort("metadata_created asc,name desc,", has_words=False) == (
        ("metadata_created", False),
        ("name", True),
    )
    assert parse_sort("name asc, name desc", has_words=False) == (("name", False),)


def test_sort_defaults_and_score_without_words() -> None:
    with_words = (("score", True), ("metadata_modified", True))
    without = (("metadata_modified", True),)
    assert parse_sort(None, has_words=True) == with_words
    assert parse_sort("", has_words=True) == with_words
    assert parse_sort(" , ", has_words=True) == with_words
    assert parse_sort(None, has_words=False) == without
    assert parse_sort("score desc, metadata_modified desc", has_words=False) == without
    assert parse_sort("score desc, name asc", has_words=False) == (("name", False),)
    assert parse_sort("score desc", has_words=False) == without


@pytest.mark.parametrize(
    "text", ["popularity desc", "name sideways", "name asc desc", "title asc", "Name asc", "score;"]
)
def test_bad_sorts(text: str) -> None:
    with pytest.raises(ValidationError) as caught:
        parse_sort(text, has_words=True)
    assert set(caught.value.errors) == {"sort"}


def test_sort_text_spells_it_as_ckan_does() -> None:
    assert sort_text((("score", True), ("metadata_modified", True))) == (
        "score desc, metadata_modified desc"
    )
    assert sort_text((("name", False),)) == "name asc"


# --- facets ------------------------------------------------------------------------------------


def test_facet_fields() -> None:
    assert parse_facet_fields(None) == FACETS
    assert parse_facet_fields('["tags", "organization"]') == ("tags", "organization")
    assert parse_facet_fields(["res_format", "formats", "tags", "tags"]) == ("res_format", "tags")
    assert parse_facet_fields("[]") == ()
    assert parse_facet_fields([]) == ()
    assert parse_facet_fields("tags") == ("tags",)
    assert parse_facet_fields("") == ()
    for bad in ('["name"]', '["popularity"]', '["tags"', "[1]", '{"a": 1}', "[[]]", "nope"):
        with pytest.raises(ValidationError) as caught:
            parse_facet_fields(bad)
        assert set(caught.value.errors) == {"facet.field"}


def test_facet_limit_and_mincount() -> None:
    default = request()
    assert (default.facet_fields, default.facet_limit, default.facet_mincount) == (FACETS, 50, 1)
    got = request(**{"facet.field": '["tags"]', "facet.limit": "1", "facet.mincount": "2"})
    assert (got.facet_fields, got.facet_limit, got.facet_mincount) == (("tags",), 1, 2)
    assert request(**{"facet.limit": "-1"}).facet_limit == -1
    assert request(**{"facet.limit": 0, "facet.mincount": 0}).facet_limit == 0
    assert request(**{"facet.field": []}).facet_fields == ()
    for name, bad in [
        ("facet.limit", "-2"),
        ("facet.limit", "ten"),
        ("facet.limit", 2.0),
        ("facet.limit", True),
        ("facet.mincount", "-1"),
        ("facet.mincount", "1.5"),
    ]:
        with pytest.raises(ValidationError) as caught:
            request(**{name: bad})
        assert set(caught.value.errors) == {name}


# --- rows and start ----------------------------------------------------------------------------


def test_rows_and_start() -> None:
    assert (request().rows, request().start) == (20, 0)
    assert request(rows="5").rows == 5
    assert request(rows=7, start=3).start == 3
    assert request(rows="0").rows == 0
    assert request(rows="5000").rows == 1000  # capped as CKAN does, not refused
    assert request(rows="9" * 500).rows == 1000
    assert request(rows=10**30).rows == 1000
    assert request(rows=" 12 ").rows == 12
    assert request(rows="").rows == 20
    assert request(start="1000000").start == 1_000_000
    small = search_request({"rows": "50"}, now=NOW, max_rows=10, default_rows=5)
    assert small.rows == 10 and search_request({}, now=NOW, max_rows=10, default_rows=5).rows == 5


@pytest.mark.parametrize(
    ("name", "bad"),
    [
        ("rows", "-1"),
        ("rows", -1),
        ("rows", "ten"),
        ("rows", "1e3"),
        ("rows", "1e309"),
        ("rows", 1e309),
        ("rows", 10.0),
        ("rows", True),
        ("rows", "５"),  # fullwidth digit
        ("rows", ["10"]),
        ("rows", {"n": 1}),
        ("start", "-1"),
        ("start", "1000001"),
        ("start", "9" * 400),
        ("start", "0x10"),
    ],
)
def test_bad_rows_and_start(name: str, bad: Any) -> None:
    with pytest.raises(ValidationError) as caught:
        request(**{name: bad})
    assert set(caught.value.errors) == {name}


# --- the whole request -------------------------------------------------------------------------


def test_search_request_combines_everything() -> None:
    got = request(
        q="公交 -站点 organization:jtysj",
        fq="-tags:旧",
        fq_list=json.dumps(["res_format:CSV"]),
        sort="name asc",
        rows="10",
        start="20",
        groups=["g1", "g2"],
        formats="PDF",
    )
    assert got == SearchRequest(
        words="公交",
        excluded=("站点",),
        filter=AllOf(
            (
                org("jtysj"),
                Not(Term("tags", ("旧",))),
                Term("res_format", ("CSV",)),
                Term("groups", ("g1", "g2")),
                Term("res_format", ("PDF",)),
            )
        ),
        sort=(("name", False),),
        start=20,
        rows=10,
        facet_fields=FACETS,
        facet_limit=50,
        facet_mincount=1,
    )


def test_search_request_defaults() -> None:
    got = request()
    assert (got.words, got.excluded, got.filter) == ("", (), Everything())
    assert got.sort == (("metadata_modified", True),)
    assert request(q="公交").sort == (("score", True), ("metadata_modified", True))
    assert request(q="*:*", sort="score desc").sort == (("metadata_modified", True),)
    assert request(q=None, fq=None, sort=None).filter == Everything()


def test_plain_filters_of_the_search_page() -> None:
    assert request(organization="a").filter == org("a")
    assert request(organization=["a", "b", "a"]).filter == org("a", "b")
    assert request(tags=["x"], openness="3").filter == AllOf(
        (Term("tags", ("x",)), Term("openness", ("3",)))
    )
    assert request(formats="CSV", res_format="PDF").filter == Term("res_format", ("PDF", "CSV"))
    assert request(organization=["", "  "]).filter == Everything()
    assert request(organization=" a ").filter == org("a")
    assert request(name="x", page="2").filter == Everything()  # not a facet: ignored
    assert request(organization="a*").filter == org("a*")  # a plain value, not a pattern
    for bad in ([1], {"a": "b"}, 3, ["x"] * 101, "x" * 1001):
        with pytest.raises(ValidationError) as caught:
            request(organization=bad)
        assert set(caught.value.errors) == {"organization"}


def test_fq_list_forms() -> None:
    expected = AllOf((org("a"), Term("tags", ("t",))))
    assert request(fq_list=["organization:a", "tags:t"]).filter == expected
    assert request(fq_list='["organization:a", "tags:t"]').filter == expected
    assert request(fq_list=[]).filter == Everything()
    assert request(fq_list=["", "*:*"]).filter == Everything()
    with pytest.raises(ValidationError) as caught:
        request(fq_list=["organization:(a"])
    assert set(caught.value.errors) == {"fq_list"}


# --- hostile input -----------------------------------------------------------------------------

HOSTILE: list[tuple[str, Any]] = [
    ("fq", "(organization:a"),
    ("fq", "organization:a))"),
    ("fq", ")("),
    ("fq", "(" * 50 + "organization:a" + ")" * 50),
    ("fq", "organization:" + "(" * 50 + "a" + ")" * 50),
    ("fq", "-" * 999 + "x"),
    ("fq", "NOT " * 250),
    ("fq", "(" * 1000),
    ("fq", "organization:a " * 67),  # over 1000 characters
    ("fq", "x" * 10_000),
    ("fq", "organization:\ud800"),
    ("fq", "organization:a\x00"),
    ("fq", "metadata_modified:[1e309 TO *]"),
    ("fq", "metadata_modified:[NOW+1e309DAYS TO *]"),
    ("fq", "metadata_modified:[NOW" + "+1DAY" * 199 + " TO *]"),
    ("fq", "metadata_modified:[" + "9" * 500 + " TO *]"),
    ("fq", ["organization:a"]),
    ("fq", {"organization": "a"}),
    ("fq", 1e309),
    ("fq", 12),
    ("fq", b"organization:a"),
    ("q", ["公交"]),
    ("q", {"q": 1}),
    ("q", "公交\ud800"),
    ("q", "公交 " * 3000),
    ("q", "metadata_modified:[1e309 TO *]"),
    ("q", "organization:(" * 30 + "a"),
    ("sort", ["name asc"]),
    ("sort", "name asc," * 200),
    ("sort", "\ud800"),
    ("fq_list", "organization:a"),  # a string must hold a JSON list
    ("fq_list", '{"fq": "organization:a"}'),
    ("fq_list", "1e309"),
    ("fq_list", '["\\ud800"]'),
    ("fq_list", "[" * 5000 + "]" * 5000),
    ("fq_list", "[" * 50_000),
    ("fq_list", 5),
    ("fq_list", {"a": 1}),
    ("fq_list", [1]),
    ("fq_list", [["organization:a"]]),
    ("fq_list", ["organization:a"] * 101),
    ("fq_list", ["x" * 10_000]),
    ("facet.field", "[" * 5000),
    ("facet.field", ["\ud800"]),
    ("facet.field", [{"a": 1}]),
    ("facet.field", 3),
    ("facet.limit", "1e309"),
    ("facet.limit", 1e309),
    ("facet.limit", "9" * 2000),
    ("facet.mincount", "\ud800"),
    ("rows", "9" * 10_000),
    ("rows", "\ud800"),
    ("tags", "\ud800"),
    ("formats", [None]),
]


@pytest.mark.parametrize(
    ("name", "value"), HOSTILE, ids=[f"{n}-{i}" for i, (n, _) in enumerate(HOSTILE)]
)
def test_hostile_input_raises_validation_error_only(name: str, value: Any) -> None:
    with pytest.raises(ValidationError) as caught:
        request(**{name: value})
    assert list(caught.value.errors) == [name]
    assert all(isinstance(m, str) and m for m in caught.value.errors[name])


def test_hostile_fuzz_never_escapes_as_another_exception() -> None:
    import random

    atoms = [
        "organization", "metadata_modified", ":", "a", '"', "\\", "(", ")", "[", "]", "{", "}",
        " ", "TO", "*", "NOW", "/DAY", "-1DAYS", "+", "-", "OR", "AND", "NOT", "&&", "||", "!",
        "2024-01-01", "T00:00:00Z", "9999-12-31", "0001-01-01", "+999999YEARS", "公交", "\ud800",
    ]  # fmt: skip
    rng = random.Random(7)
    for _ in range(3000):
        text = "".join(rng.choice(atoms) for _ in range(rng.randint(1, 12)))
        for name in ("fq", "q", "sort", "rows", "facet.field", "fq_list", "tags"):
            with contextlib.suppress(ValidationError):
                request(**{name: text})


def test_params_must_be_a_mapping() -> None:
    with pytest.raises(ValidationError):
        search_request(["q"], now=NOW, max_rows=10, default_rows=5)  # type: ignore[arg-type]
