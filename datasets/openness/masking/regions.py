"""Generalise a Chinese address to its province, city and district or county (区县).

An address is read from its start, one administrative level at a time:

1. a province-level name from the fixed list below (北京市, 湖南省, 广西壮族自治区…), optional;
2. a prefecture-level name ending in 市, 地区, 自治州 or 盟, optional;
3. a county-level name ending in 区, 县, 市 or 旗 (岳阳楼区, 汨罗市, 城步苗族自治县, 达拉特旗).

Level names may not hold the characters of streets, villages and buildings (路, 街, 村, 号, 小区…)
after their first character, so ``人民路县前街`` is never taken for a county. Whatever follows the
last level found is dropped. An address in which no level is found becomes ``***``.
"""

from __future__ import annotations

import re

UNKNOWN = "***"

PROVINCES = (
    "北京市", "天津市", "上海市", "重庆市", "河北省", "山西省", "辽宁省", "吉林省", "黑龙江省",
    "江苏省", "浙江省", "安徽省", "福建省", "江西省", "山东省", "河南省", "湖北省", "湖南省",
    "广东省", "海南省", "四川省", "贵州省", "云南省", "陕西省", "甘肃省", "青海省", "台湾省",
    "内蒙古自治区", "广西壮族自治区", "西藏自治区", "宁夏回族自治区", "新疆维吾尔自治区",
    "香港特别行政区", "澳门特别行政区",
)  # fmt: skip

# Characters of streets, villages and buildings. A level name may start with one (镇江市, 道县,
# 路桥区, 社旗县, 市中区) but not hold one further on (城关镇…, 人民路…, 阳光小区).
_STOP = "区县市旗省镇乡村组路街巷弄号栋幢室小社园"


def _level(suffix: str) -> re.Pattern[str]:
    return re.compile(rf"[\u4e00-\u9fff](?:(?![{_STOP}])[\u4e00-\u9fff]){{0,11}}?(?:{suffix})")


_COUNTRY = re.compile(r"(?:中华人民共和国|中国)")
_PROVINCE = re.compile("|".join(sorted(PROVINCES, key=len, reverse=True)))
_CITY = _level("市|地区|自治州|盟")
_COUNTY = _level("(?<![小社校景厂园街])区|县|市|旗")
_SPACE = re.compile(r"\s+")


def generalise_address(address: str) -> str:
    """``湖南省岳阳市岳阳楼区洞庭北路1号`` → ``湖南省岳阳市岳阳楼区``; ``***`` when unrecognised."""
    text = _SPACE.sub("", address)
    position = 0
    if country := _COUNTRY.match(text):
        position = country.end()
    start = position
    for level in (_PROVINCE, _CITY, _COUNTY):
        if found := level.match(text, position):
            position = found.end()
    return text[start:position] or UNKNOWN
