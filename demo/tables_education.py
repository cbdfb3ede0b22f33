"""Row generators: schools and kindergartens."""

from __future__ import annotations

import random

from model import Field, Table
from places import (
    COMPANY_STEMS,
    DISTRICTS,
    ROADS,
    credit_code,
    landline,
    pick_district,
    street_address,
)

# fmt: off
SCHOOL_KINDS = (("小学", 6, 45), ("初级中学", 3, 50), ("九年一贯制学校", 9, 45), ("完全中学", 6, 50),
                ("高级中学", 3, 50))
# fmt: on


_NUMBERS = "一二三四五六七八九十"


def schools(rng: random.Random) -> Table:
    """中小学校名录 (XLSX)."""
    fields = [
        Field("学校名称"),
        Field("学段"),
        Field("办学性质"),
        Field("所在区县"),
        Field("地址"),
        Field("联系电话"),
        Field("班级数", "integer"),
        Field("在校生数", "integer"),
        Field("教职工数", "integer"),
        Field("统一社会信用代码"),
        Field("建校年份", "year"),
    ]
    names: list[tuple[str, str, str]] = []
    for i in range(10):
        names.append((f"江州市第{_NUMBERS[i]}中学", rng.choice(("完全中学", "高级中学")), "公办"))
    for d in DISTRICTS:
        names.append((f"江州市{d.name}实验小学", "小学", "公办"))
        names.append((f"江州市{d.name}实验中学", "初级中学", "公办"))
        for road in rng.sample(ROADS, 6):
            kind = rng.choice(("小学", "小学", "初级中学", "九年一贯制学校"))
            short = road[:-1] if road.endswith("路") else road[:2]
            names.append(
                (
                    f"江州市{d.name}{short}{'小学' if kind == '小学' else '学校' if kind.startswith('九') else '中学'}",
                    kind,
                    "公办",
                )
            )
    for stem in rng.sample(COMPANY_STEMS, 6):
        names.append((f"江州{stem}外国语学校", "九年一贯制学校", "民办"))
    rows = []
    for name, kind, nature in names:
        named = [d for d in DISTRICTS if d.name in name]
        district = named[0] if named else pick_district(rng, urban_only=True)
        grades = next(g for k, g, _ in SCHOOL_KINDS if k == kind)
        classes = grades * rng.randint(2, 10)
        students = classes * rng.randint(35, 50)
        rows.append(
            [
                name,
                kind,
                nature,
                district.name,
                street_address(rng, district),
                landline(rng),
                classes,
                students,
                round(students / rng.uniform(11, 15)),
                credit_code(rng, district, "12" if nature == "公办" else "52"),
                rng.randint(1905, 2022),
            ]
        )
    return Table(fields, rows)


def kindergartens(rng: random.Random) -> Table:
    """幼儿园名录."""
    fields = [
        Field("幼儿园名称"),
        Field("办园性质"),
        Field("等级"),
        Field("所在区县"),
        Field("地址"),
        Field("联系电话"),
        Field("班级数", "integer"),
        Field("核定学位数", "integer"),
        Field("保教费标准(元/月)", "integer"),
        Field("统一社会信用代码"),
    ]
    rows = []
    words = (
        "阳光",
        "小天使",
        "蓝天",
        "七彩",
        "童心",
        "启明星",
        "金色摇篮",
        "爱弥儿",
        "贝贝",
        "博雅",
        "春芽",
        "小太阳",
    )
    for d in DISTRICTS:
        for i in range(rng.randint(9, 14)):
            nature = rng.choice(("公办", "公办", "普惠性民办", "民办"))
            if nature == "公办":
                name = f"江州市{d.name}{rng.choice(d.towns).replace('街道', '').replace('镇', '').replace('乡', '')}{'第二' if i % 5 == 4 else ''}幼儿园"
            else:
                name = f"江州{d.name}{rng.choice(words)}幼儿园"
            classes = rng.randint(3, 15)
            fee = (
                rng.choice((280, 350, 420))
                if nature == "公办"
                else rng.choice((680, 880, 1200, 1800, 2600))
            )
            rows.append(
                [
                    name,
                    nature,
                    rng.choice(("省级示范", "市级示范", "一级", "二级", "三级")),
                    d.name,
                    street_address(rng, d),
                    landline(rng),
                    classes,
                    classes * 30,
                    fee,
                    credit_code(rng, d, "12" if nature == "公办" else "52"),
                ]
            )
    return Table(fields, rows)


GENERATORS = {
    "schools": schools,
    "kindergartens": kindergartens,
}
