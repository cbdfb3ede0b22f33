from datetime import date

import pytest

from harvester.normalise import (
    clean_text,
    parse_count,
    parse_date,
    parse_range,
    split_keywords,
    split_list,
)


@pytest.mark.parametrize("placeholder", ["暂无", " 无 ", "-", "N/A", "", None, float("nan")])
def test_placeholders_become_none(placeholder):
    assert clean_text(placeholder) is None


def test_control_characters_inside_text_are_tidied():
    assert clean_text("交通\r\n\t运输  ") == "交通\n运输"


@pytest.mark.parametrize(
    ("raw", "items"),
    [
        ("['xls', 'api']", ["xls", "api"]),
        ("[csv,json,rdf]", ["csv", "json", "rdf"]),
        ("公交、线路；站点", ["公交", "线路", "站点"]),
        (["a", " ", "b"], ["a", "b"]),
        ("暂无", []),
    ],
)
def test_lists_written_as_text_are_split(raw, items):
    assert split_list(raw) == items


@pytest.mark.parametrize(
    ("raw", "day"),
    [
        ("2024-03-05", date(2024, 3, 5)),
        ("2024/3/5", date(2024, 3, 5)),
        ("2024年3月5日", date(2024, 3, 5)),
        ("20240305", date(2024, 3, 5)),
        ("2024-03-05 10:11:12", date(2024, 3, 5)),
        ("2024-02-30", None),
        ("去年", None),
    ],
)
def test_dates_in_the_usual_chinese_forms(raw, day):
    assert parse_date(raw) == day


def test_time_ranges():
    assert parse_range("2023-01-01至2026-10-31") == (date(2023, 1, 1), date(2026, 10, 31))
    assert parse_range("2020年~2022年") == (date(2020, 1, 1), date(2022, 12, 31))
    assert parse_range(None) == (None, None)


@pytest.mark.parametrize(
    ("raw", "count"),
    [
        ("44,270", 44270),
        ("1.2万", 12000),
        (350, 350),
        ("350条", 350),
        ("很多", None),
    ],
)
def test_counts_with_separators_and_units(raw, count):
    assert parse_count(raw) == count


@pytest.mark.parametrize(
    ("raw", "words"),
    [
        # Lu'an and Nanning: tags joined by \r\n\t, a 、 inside an industry name
        (
            "商贸流通\r\n\t公共管理、社会保障和社会组织",
            ["商贸流通", "公共管理、社会保障和社会组织"],
        ),
        # Xiamen: commas between tags, 、 inside them
        ("水利、环境和公共设施管理业,气象服务", ["水利、环境和公共设施管理业", "气象服务"]),
        # Fuzhou: 、 between tags
        ("重大项目、批准结果", ["重大项目", "批准结果"]),
        ("医院；诊所；医院", ["医院", "诊所"]),
        ("城乡建设,城乡建设,城乡建设", ["城乡建设"]),
        ("\r\n0591-83366690、87628397", ["0591-83366690", "87628397"]),
        ("['交通', '公交']", ["交通", "公交"]),
        (["公共管理、社会保障和社会组织", " ", None], ["公共管理、社会保障和社会组织"]),
        ("暂无", []),
        ("", []),
        (None, []),
    ],
)
def test_keyword_lists_split_at_their_strongest_separator(raw, words):
    assert split_keywords(raw) == words


@pytest.mark.parametrize(
    ("raw", "items"),
    [
        (["json"], ["json"]),  # Qianxinan writes real JSON lists
        ("xlsx", ["xlsx"]),  # Chizhou: one format, no brackets
        ("[]", []),  # Nanning
        ("[xml,xls,csv,json,rdf]", ["xml", "xls", "csv", "json", "rdf"]),  # Xiamen
    ],
)
def test_format_lists_of_the_real_catalogs(raw, items):
    assert split_list(raw) == items


def test_counts_of_the_real_catalogs():
    assert [parse_count(v) for v in ("44,270", "469,585", "1,299", "18", None)] == [
        44270,
        469585,
        1299,
        18,
        None,
    ]
