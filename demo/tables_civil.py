"""Row generators: civil-affairs and public-safety directories.

Contact numbers are institutional landlines (0792-xxxxxxx), never personal mobiles.
"""

from __future__ import annotations

import random
from datetime import date, timedelta

from model import YES_NO, Field, Table
from places import (
    COMPANY_STEMS,
    DISTRICTS,
    ROADS,
    credit_code,
    landline,
    lon_lat,
    pick_district,
    street_address,
)


def elderly_homes(rng: random.Random) -> Table:
    """养老机构名录 (XLSX)."""
    fields = [
        Field("机构名称"),
        Field("机构性质"),
        Field("所在区县"),
        Field("地址"),
        Field("床位数", "integer"),
        Field("护理型床位数", "integer"),
        Field("收费标准(元/月)"),
        Field("联系电话"),
        Field("统一社会信用代码"),
        Field("备案日期", "date"),
        Field("是否医养结合", "boolean", extra=YES_NO),
    ]
    rows = []
    for d in DISTRICTS:
        rows.append(
            [
                f"江州市{d.name}社会福利院",
                "公办",
                d.name,
                street_address(rng, d),
                rng.randint(120, 400),
                rng.randint(60, 200),
                "1200-2600",
                landline(rng),
                credit_code(rng, d, "12"),
                date(2019, 1, 1) + timedelta(days=rng.randint(0, 1500)),
                "是",
            ]
        )
        for town in d.towns:
            if town.endswith(("镇", "乡")):
                rows.append(
                    [
                        f"{d.name}{town}敬老院",
                        "公建民营",
                        d.name,
                        street_address(rng, d),
                        rng.randint(30, 90),
                        rng.randint(10, 40),
                        "900-1800",
                        landline(rng),
                        credit_code(rng, d, "52"),
                        date(2019, 1, 1) + timedelta(days=rng.randint(0, 1900)),
                        "否",
                    ]
                )
        for _ in range(rng.randint(2, 4)):
            low = rng.choice((2200, 2800, 3200, 3800))
            rows.append(
                [
                    f"江州{rng.choice(COMPANY_STEMS)}{rng.choice(('颐养院', '康养中心', '老年公寓', '护理院'))}",
                    "民办",
                    d.name,
                    street_address(rng, d),
                    rng.randint(60, 500),
                    rng.randint(30, 300),
                    f"{low}-{low + rng.choice((1800, 2600, 3400))}",
                    landline(rng),
                    credit_code(rng, d, rng.choice(("52", "91"))),
                    date(2018, 1, 1) + timedelta(days=rng.randint(0, 2200)),
                    rng.choice(("是", "否")),
                ]
            )
    return Table(fields, rows)


def funeral_services(rng: random.Random) -> Table:
    """殡葬服务机构名录 (CSV, no schema in the export)."""
    fields = [
        Field(n) for n in ("机构名称", "机构类型", "所在区县", "地址", "服务电话", "服务时间")
    ]
    rows = [
        [
            "江州市殡仪馆",
            "殡仪馆",
            "青山区",
            street_address(rng, DISTRICTS[3]),
            landline(rng),
            "24小时",
        ]
    ]
    for d in DISTRICTS:
        rows.append(
            [
                f"{d.name}殡葬服务站",
                "殡葬服务站",
                d.name,
                street_address(rng, d),
                landline(rng),
                "8:00-17:30",
            ]
        )
        for town in d.towns[:3]:
            rows.append(
                [
                    f"{d.name}{town}公益性公墓",
                    "公益性公墓",
                    d.name,
                    street_address(rng, d),
                    landline(rng),
                    "8:00-17:00",
                ]
            )
    rows.append(
        [
            "江州青山陵园",
            "经营性公墓",
            "青山区",
            street_address(rng, DISTRICTS[3]),
            landline(rng),
            "7:30-17:30",
        ]
    )
    return Table(fields, rows)


def public_toilets(rng: random.Random) -> Table:
    """公共厕所分布 (no Table Schema)."""
    fields = [
        Field(n)
        for n in (
            "公厕名称",
            "所在区县",
            "位置",
            "类别",
            "男厕位",
            "女厕位",
            "第三卫生间",
            "开放时间",
            "经度",
            "纬度",
        )
    ]
    rows = []
    for i in range(180):
        d = pick_district(rng, urban_only=i % 5 != 0)
        lon, lat = lon_lat(rng, d)
        road = rng.choice(ROADS)
        rows.append(
            [
                f"{road}{rng.choice(('公厕', '1号公厕', '2号公厕', '环卫公厕'))}",
                d.name,
                f"{road}{rng.randint(1, 400)}号旁",
                rng.choice(("一类", "二类", "二类", "三类")),
                rng.randint(2, 8),
                rng.randint(3, 12),
                rng.choice(("有", "无", "无")),
                rng.choice(("00:00-24:00", "06:00-22:00", "05:30-23:00")),
                lon,
                lat,
            ]
        )
    return Table(fields, rows)


def police_points(rng: random.Random) -> Table:
    """户政业务办理网点."""
    fields = [
        Field("网点名称"),
        Field("所在区县"),
        Field("地址"),
        Field("业务范围"),
        Field("办公时间"),
        Field("咨询电话"),
    ]
    rows = []
    for d in DISTRICTS:
        rows.append(
            [
                f"江州市公安局{d.name}分局户政服务中心",
                d.name,
                street_address(rng, d),
                "户口迁移、居民身份证、居住证、户籍证明",
                "周一至周五 9:00-17:00，周六上午",
                landline(rng),
            ]
        )
        for town in d.towns:
            rows.append(
                [
                    f"{town}派出所户籍室",
                    d.name,
                    street_address(rng, d),
                    "居民身份证受理、户籍证明",
                    "周一至周五 8:30-12:00、14:30-17:30",
                    landline(rng),
                ]
            )
    return Table(fields, rows)


def shelters(rng: random.Random) -> Table:
    """应急避难场所."""
    fields = [
        Field("场所名称"),
        Field("场所类型"),
        Field("所在区县"),
        Field("地址"),
        Field("有效避难面积(平方米)", "integer"),
        Field("可容纳人数", "integer"),
        Field("设施配置"),
        Field("经度", "number"),
        Field("纬度", "number"),
        Field("管理单位"),
    ]
    rows = []
    for _i in range(48):
        d = pick_district(rng)
        area = rng.randint(2000, 60000)
        lon, lat = lon_lat(rng, d)
        kind = rng.choice(("Ⅰ类（长期）", "Ⅱ类（中期）", "Ⅲ类（短期）", "室内"))
        place = rng.choice(("公园", "广场", "体育场", "中学操场", "小学操场", "体育馆", "文化中心"))
        rows.append(
            [
                f"{d.name}{rng.choice(ROADS)[:2]}{place}应急避难场所",
                kind,
                d.name,
                street_address(rng, d),
                area,
                area // 2 if kind != "室内" else area // 3,
                rng.choice(
                    (
                        "应急供水、应急照明、应急厕所",
                        "应急供水、供电、医疗救护点、物资储备",
                        "应急照明、应急厕所、广播",
                    )
                ),
                lon,
                lat,
                f"{d.name}应急管理局",
            ]
        )
    return Table(fields, rows)


def law_firms(rng: random.Random) -> Table:
    """律师事务所名录 (credit codes 31… issued by 司法行政机关; no schema)."""
    fields = [
        Field(n)
        for n in (
            "律师事务所名称",
            "统一社会信用代码",
            "组织形式",
            "所在区县",
            "地址",
            "执业律师人数",
            "联系电话",
            "设立日期",
        )
    ]
    rows = []
    words = (
        "正大",
        "明理",
        "浔阳",
        "天平",
        "衡正",
        "同力",
        "信诚",
        "江州",
        "德润",
        "君安",
        "大成",
        "致远",
    )
    for i in range(40):
        d = pick_district(rng, urban_only=i % 6 != 0)
        form = rng.choice(("普通合伙", "普通合伙", "个人", "特殊的普通合伙", "国资"))
        name = (
            f"江西{rng.choice(words)}{rng.choice(('', '（江州）'))}律师事务所"
            if form != "国资"
            else f"{d.name}公证律师事务所"
        )
        rows.append(
            [
                name,
                credit_code(rng, d, "31"),
                form,
                d.name,
                street_address(rng, d),
                rng.randint(3, 60),
                landline(rng),
                (date(1996, 1, 1) + timedelta(days=rng.randint(0, 10000))).isoformat(),
            ]
        )
    return Table(fields, rows)


GENERATORS = {
    "elderly_homes": elderly_homes,
    "funeral_services": funeral_services,
    "public_toilets": public_toilets,
    "police_points": police_points,
    "shelters": shelters,
    "law_firms": law_firms,
}
