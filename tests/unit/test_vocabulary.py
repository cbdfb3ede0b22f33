from datetime import date

import pytest

from datasets.catalog.vocabulary import is_overdue, parse_update_cycle


@pytest.mark.parametrize(
    ("raw", "cycle"),
    [
        ("每天", "每日"),
        ("每日", "每日"),
        ("每 2 日", "每周"),
        ("每季度", "每季"),
        ("不定期", "不定期"),
        ("自定义", "不定期"),
        ("每年", "每年"),
        ("monthly", "每月"),
        ("每3月", "每季"),
        ("偶尔", None),
        ("", None),
        (None, None),
    ],
)
def test_update_cycles_are_normalised(raw, cycle):
    assert parse_update_cycle(raw) == cycle


def test_overdue_compares_last_update_with_the_cycle():
    today = date(2026, 11, 22)
    assert is_overdue("每月", date(2026, 9, 1), today)
    assert not is_overdue("每月", date(2026, 11, 1), today)
    assert not is_overdue("不定期", date(2001, 1, 1), today)
    assert not is_overdue("每年", None, today)
