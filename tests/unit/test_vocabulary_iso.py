"""Update cycles written as ISO 8601 durations and DCAT frequency IRIs."""

import pytest

from datasets.catalog.vocabulary import CYCLES_BY_CODE, parse_update_cycle

EU = "http://publications.europa.eu/resource/authority/frequency/"
CLD = "http://purl.org/cld/freq/"


@pytest.mark.parametrize(
    ("raw", "cycle"),
    [
        ("R/P1D", "每日"),
        ("R/P1W", "每周"),
        ("R/P10D", "每旬"),
        ("R/P1M", "每月"),
        ("R/P3M", "每季"),
        ("R/P6M", "每半年"),
        ("R/P1Y", "每年"),
        ("r/p1y", "每年"),
        ("P1M", "每月"),
        (" R/P1M ", "每月"),
        ("R/PT1H", "实时"),
        ("R/PT1S", "实时"),
        ("R/P3.5D", "每周"),
        ("R/P0.33W", "每周"),
        ("R/P0.5M", "每月"),
        ("R/P0.33M", "每旬"),
        ("R/P2M", "每季"),
        ("R/P4M", "每半年"),
        ("R/P2Y", "每年"),
        ("R/P1Y6M", "每年"),
        ("irregular", "不定期"),
        ("Annual", "每年"),
    ],
)
def test_iso_8601_durations_and_pod_frequencies(raw, cycle):
    assert parse_update_cycle(raw) == cycle


@pytest.mark.parametrize(
    ("raw", "cycle"),
    [
        (CLD + "daily", "每日"),
        (CLD + "weekly", "每周"),
        (CLD + "threeTimesAMonth", "每旬"),
        (CLD + "monthly", "每月"),
        (CLD + "quarterly", "每季"),
        (CLD + "semiannual", "每半年"),
        (CLD + "annual", "每年"),
        (CLD + "biennial", "每年"),
        (CLD + "irregular", "不定期"),
        (CLD + "continuous", "实时"),
        (EU + "DAILY", "每日"),
        (EU + "WEEKLY", "每周"),
        (EU + "MONTHLY", "每月"),
        (EU + "MONTHLY_3", "每旬"),
        (EU + "QUARTERLY", "每季"),
        (EU + "ANNUAL_2", "每半年"),
        (EU + "ANNUAL", "每年"),
        (EU + "IRREG", "不定期"),
        (EU + "UPDATE_CONT", "实时"),
        (EU + "HOURLY", "实时"),
    ],
)
def test_dcat_frequency_iris(raw, cycle):
    assert parse_update_cycle(raw) == cycle


@pytest.mark.parametrize(
    "raw",
    ["R/P", "P", "PT", "R/P0D", "P1X", EU + "UNKNOWN", EU + "OTHER", "http://example.org/", "R/"],
)
def test_what_is_not_a_cycle_stays_unknown(raw):
    assert parse_update_cycle(raw) is None


def test_every_result_is_a_standard_cycle():
    samples = ["R/P1D", "R/P7D", "R/P45D", "R/P100Y", CLD + "decennial", "每3天", "每2周"]
    assert all(parse_update_cycle(s) in CYCLES_BY_CODE for s in samples)


def test_chinese_wordings_still_work():
    assert parse_update_cycle("每季度") == "每季"
    assert parse_update_cycle("每 2 日") == "每周"
    assert parse_update_cycle("每天") == "每日"
    assert parse_update_cycle("暂无") is None
