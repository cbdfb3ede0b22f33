"""Controlled vocabularies of the 目录: update cycles, topics and share types."""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any


@dataclass(frozen=True)
class UpdateCycle:
    code: str
    period: int | None  # nominal days between updates
    days: int | None  # how long a dataset may go without an update; None = no expectation


UPDATE_CYCLES: tuple[UpdateCycle, ...] = (
    UpdateCycle("实时", 0, 2),
    UpdateCycle("每日", 1, 2),
    UpdateCycle("每周", 7, 8),
    UpdateCycle("每旬", 10, 11),
    UpdateCycle("每月", 30, 32),
    UpdateCycle("每季", 91, 93),
    UpdateCycle("每半年", 182, 184),
    UpdateCycle("每年", 365, 366),
    UpdateCycle("不定期", None, None),
)
CYCLES_BY_CODE = {cycle.code: cycle for cycle in UPDATE_CYCLES}

_CYCLE_ALIASES = {
    "实时": "实时",
    "每小时": "实时",
    "每日": "每日",
    "每天": "每日",
    "日": "每日",
    "日更新": "每日",
    "每周": "每周",
    "每星期": "每周",
    "周": "每周",
    "每旬": "每旬",
    "每月": "每月",
    "月": "每月",
    "每季": "每季",
    "每季度": "每季",
    "季度": "每季",
    "每半年": "每半年",
    "半年": "每半年",
    "每年": "每年",
    "年": "每年",
    "每年度": "每年",
    "不定期": "不定期",
    "不定时": "不定期",
    "自定义": "不定期",
    "静态": "不定期",
    "一次性": "不定期",
    "daily": "每日",
    "weekly": "每周",
    "monthly": "每月",
    "quarterly": "每季",
    "annually": "每年",
    "yearly": "每年",
    "annual": "每年",
    "semiannual": "每半年",
    "irregular": "不定期",
    "irreg": "不定期",
    "asneeded": "不定期",
    "as_needed": "不定期",
    "notplanned": "不定期",
    "not_planned": "不定期",
    "never": "不定期",
    "continuous": "实时",
    "cont": "实时",
    "update_cont": "实时",
    "hourly": "实时",
}

# DCAT frequency vocabularies (http://purl.org/cld/freq/… and the EU authority table
# http://publications.europa.eu/resource/authority/frequency/…): nominal days between updates,
# mapped like "每 N 天" to the shortest standard cycle at least that long.
_FREQUENCY_DAYS: dict[str, float] = {
    "semiweekly": 3.5,
    "threetimesaweek": 7 / 3,
    "weekly_2": 3.5,
    "weekly_3": 7 / 3,
    "biweekly": 14,
    "semimonthly": 15,
    "monthly_2": 15,
    "threetimesamonth": 10,
    "monthly_3": 10,
    "bimonthly": 61,
    "threetimesayear": 122,
    "annual_2": 182,
    "annual_3": 122,
    "biennial": 730,
    "triennial": 1095,
    "quadrennial": 1461,
    "quinquennial": 1826,
    "decennial": 3652,
    "daily_2": 0.5,
    "bihourly": 1 / 12,
    "trihourly": 1 / 8,
    "12hrs": 0.5,
    "1min": 0,
    "5min": 0,
    "10min": 0,
    "15min": 0,
    "30min": 0,
}
# ISO 8601 durations and repeating intervals: P1D, R/P1M, R/P0.5M, R/PT1H …
_ISO_DURATION = re.compile(
    r"(?:r\d*/)?p(?:(?P<y>\d+(?:[.,]\d+)?)y)?(?:(?P<mo>\d+(?:[.,]\d+)?)m)?"
    r"(?:(?P<w>\d+(?:[.,]\d+)?)w)?(?:(?P<d>\d+(?:[.,]\d+)?)d)?"
    r"(?:t(?:(?P<h>\d+(?:[.,]\d+)?)h)?(?:(?P<mi>\d+(?:[.,]\d+)?)m)?"
    r"(?:(?P<s>\d+(?:[.,]\d+)?)s)?)?"
)
_DAYS_PER = {"y": 365, "mo": 30, "w": 7, "d": 1, "h": 1 / 24, "mi": 1 / 1440, "s": 1 / 86400}


def _cycle_for_days(days: float) -> str:
    """The shortest standard cycle at least ``days`` long; below a day counts as 实时."""
    if days < 1:
        return "实时"
    for cycle in UPDATE_CYCLES:
        if cycle.period is not None and cycle.period >= days:
            return cycle.code
    return "每年"


def _iso_duration_days(text: str) -> float | None:
    match = _ISO_DURATION.fullmatch(text)
    if not match or not any(match.groupdict().values()):
        return None
    return sum(
        float(value.replace(",", ".")) * _DAYS_PER[unit]
        for unit, value in match.groupdict().items()
        if value
    )


def parse_update_cycle(value: object | None) -> str | None:
    """Map a declared 更新周期/更新频率 to one of ``UPDATE_CYCLES``; ``None`` if unknown.

    Besides Chinese wordings this understands ISO 8601 durations as Project Open Data writes
    them (``R/P1M`` → 每月, ``R/P10D`` → 每旬, ``R/PT1H`` → 实时) and the DCAT frequency IRIs
    (``http://purl.org/cld/freq/daily``, ``…/authority/frequency/MONTHLY``).
    """
    if value is None:
        return None
    text = re.sub(r"\s+", "", str(value)).lower()
    if not text:
        return None
    if "://" in text:  # a frequency IRI: its last segment names the frequency
        text = re.split(r"[/#]", text.rstrip("/#"))[-1]
        if not text:
            return None
    if text in _CYCLE_ALIASES:
        return _CYCLE_ALIASES[text]
    if text in _FREQUENCY_DAYS:
        return _cycle_for_days(_FREQUENCY_DAYS[text])
    every_n = re.fullmatch(r"每(\d{1,6})(日|天|周|月|年)", text)
    if every_n:
        n, unit = int(every_n.group(1)), every_n.group(2)
        return _cycle_for_days(n * {"日": 1, "天": 1, "周": 7, "月": 30, "年": 365}[unit])
    days = _iso_duration_days(text)
    if days is not None:
        return _cycle_for_days(days) if days > 0 else None
    return None


def is_overdue(cycle: str | None, last_update: date | None, today: date) -> bool:
    """True when the last update is older than the update cycle allows."""
    if not cycle or last_update is None:
        return False
    days = CYCLES_BY_CODE[cycle].days if cycle in CYCLES_BY_CODE else None
    if days is None:
        return False
    return today - last_update > timedelta(days=days)


# 主题分类 used by Chinese municipal open-data portals.
TOPICS: tuple[str, ...] = (
    "经济建设",
    "信用服务",
    "财税金融",
    "交通运输",
    "教育文化",
    "科技创新",
    "卫生健康",
    "社保就业",
    "生态环境",
    "资源能源",
    "城建住房",
    "社会救助",
    "公共安全",
    "农业农村",
    "商贸流通",
    "市场监管",
    "机构团体",
    "气象服务",
    "法律服务",
    "安全生产",
    "生活服务",
    "文化休闲",
    "地理空间",
)

SHARE_TYPES: tuple[str, ...] = ("无条件共享", "有条件共享", "不予共享")


_NAMESPACE = uuid.uuid5(uuid.NAMESPACE_URL, "https://kaifang.invalid/ckan")


def topic_group_id(topic: str) -> str:
    """The stable CKAN group id of a topic (a uuid5 of its name: topics have no table)."""
    return str(uuid.uuid5(_NAMESPACE, "topic:" + topic))


def tag_id(name: str) -> str:
    """The stable CKAN tag id of a keyword."""
    return str(uuid.uuid5(_NAMESPACE, "tag:" + name))


def group_ref(topic: str) -> dict[str, Any]:
    """A topic as a package dict's ``groups`` carries it."""
    return {
        "id": topic_group_id(topic),
        "name": topic,
        "title": topic,
        "display_name": topic,
        "description": "",
        "image_display_url": "",
    }
