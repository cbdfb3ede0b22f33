"""Row generators: culture, tourism and sport."""

from __future__ import annotations

import random

from model import YES_NO, Field, Table
from places import (
    DISTRICTS,
    ROADS,
    company_name,
    credit_code,
    landline,
    lon_lat,
    pick_district,
    street_address,
)

# fmt: off
SCENIC = (
    ("庐峰山风景区", "自然景观", "5A", 160.0), ("临湖湿地公园", "自然景观", "4A", 0.0),
    ("江州古城墙", "人文景观", "4A", 30.0), ("白鹭洲公园", "城市公园", "3A", 0.0),
    ("龙山寺", "宗教文化", "4A", 20.0), ("青山森林公园", "自然景观", "4A", 40.0),
    ("云溪大峡谷", "自然景观", "4A", 98.0), ("白沙古镇", "历史文化街区", "4A", 0.0),
    ("江州博物馆", "博物馆", "3A", 0.0), ("翠屏山", "自然景观", "3A", 25.0),
    ("桃源村", "乡村旅游", "3A", 0.0), ("雾峰茶园", "乡村旅游", "3A", 0.0),
    ("港口老街", "历史文化街区", "3A", 0.0), ("江州科技馆", "科普场馆", "2A", 0.0),
    ("梅岭温泉", "度假区", "4A", 198.0), ("柳岸花海", "乡村旅游", "2A", 30.0),
    ("江州动物园", "城市公园", "3A", 50.0), ("石门古村", "历史文化名村", "3A", 0.0),
    ("溪口漂流", "休闲娱乐", "3A", 128.0), ("湖心岛", "自然景观", "3A", 35.0),
    ("江州革命烈士纪念馆", "红色旅游", "3A", 0.0), ("松林农业观光园", "乡村旅游", "2A", 0.0),
    ("沙河湾滨水公园", "城市公园", "", 0.0), ("江州大剧院", "文化场馆", "", 0.0),
    ("江州美术馆", "文化场馆", "", 0.0), ("渔村渔家乐", "乡村旅游", "", 0.0),
    ("青年路文创街区", "休闲娱乐", "", 0.0), ("江州工业遗址公园", "人文景观", "3A", 0.0),
    ("清水乡竹海", "自然景观", "2A", 20.0), ("望江楼", "人文景观", "3A", 15.0),
    ("科技城天文台", "科普场馆", "", 10.0), ("北湖公园", "城市公园", "", 0.0),
    ("龙山水库", "自然景观", "", 0.0), ("云溪茶马古道", "人文景观", "2A", 0.0),
    ("江州民俗文化村", "人文景观", "3A", 60.0), ("白沙河漂流", "休闲娱乐", "2A", 88.0),
)
# fmt: on


def _district_for(name: str, rng: random.Random):
    for d in DISTRICTS:
        if any(t[:2] in name for t in d.towns) or d.name[:2] in name:
            return d
    return pick_district(rng)


def scenic_spots(rng: random.Random) -> Table:
    """旅游景区名录."""
    fields = [
        Field("景区名称"),
        Field("景区类型"),
        Field("所在区县"),
        Field("地址"),
        Field("门票价格(元)", "number", "0 表示免费"),
        Field("开放时间"),
        Field("咨询电话"),
        Field("经度", "number"),
        Field("纬度", "number"),
    ]
    rows = []
    for name, kind, _, price in SCENIC:
        d = _district_for(name, rng)
        lon, lat = lon_lat(rng, d, 0.06)
        rows.append(
            [
                name,
                kind,
                d.name,
                street_address(rng, d),
                price,
                rng.choice(("08:00-17:30", "全天开放", "09:00-17:00（周一闭馆）", "07:30-18:00")),
                landline(rng),
                lon,
                lat,
            ]
        )
    return Table(fields, rows)


def a_level_scenic(rng: random.Random) -> Table:
    """A级旅游景区名录."""
    fields = [
        Field("景区名称"),
        Field("等级"),
        Field("评定年份", "year"),
        Field("所在区县"),
        Field("管理单位"),
        Field("咨询电话"),
    ]
    rows = []
    for name, _, level, _ in SCENIC:
        if not level:
            continue
        d = _district_for(name, rng)
        year = {"5A": 2015, "4A": rng.randint(2006, 2022)}.get(level, rng.randint(2010, 2025))
        rows.append(
            [
                name,
                f"{level}级",
                year,
                d.name,
                f"{name}管理处"
                if rng.random() < 0.6
                else company_name(rng, ("旅游开发", "有限公司")),
                landline(rng),
            ]
        )
    return Table(fields, rows)


# fmt: off
HERITAGE_KINDS = (("古遗址", ("新石器时代", "商", "周", "汉")), ("古墓葬", ("汉", "六朝", "唐", "宋", "明")),
                  ("古建筑", ("宋", "元", "明", "清", "清", "民国")), ("石窟寺及石刻", ("唐", "宋", "明")),
                  ("近现代重要史迹及代表性建筑", ("清", "民国", "1927年", "1938年", "1949年", "1958年")))
# fmt: on


# fmt: off
HERITAGE_SUFFIX = {"古遗址": ("遗址", "窑址", "古城址"), "古墓葬": ("墓", "墓群"),
                   "古建筑": ("祠堂", "古塔", "书院", "古桥", "民居", "牌坊"),
                   "石窟寺及石刻": ("摩崖石刻", "石刻", "碑刻"),
                   "近现代重要史迹及代表性建筑": ("旧址", "纪念碑", "码头旧址", "教堂", "会馆")}
HERITAGE_WORDS = {"古遗址": ("老虎墩", "神墩", "城头山", "窑头", "古渡"), "古墓葬": ("王氏", "李氏", "陈氏", "周瑜", "黄庭"),
                  "古建筑": ("万寿", "文昌", "周氏", "陈氏", "洪氏", "观音", "永兴", "魁星"),
                  "石窟寺及石刻": ("石门", "翠屏", "观音岩", "龙潭", "摩天岭"),
                  "近现代重要史迹及代表性建筑": ("江州海关", "英商洋行", "江州商会", "新四军", "天主堂", "江州港")}
# fmt: on


# fmt: off
HERITAGE_LEVELS = (("全国重点文物保护单位", 3, ((2001, "第五批"), (2006, "第六批"), (2013, "第七批"), (2019, "第八批"))),
                   ("省级文物保护单位", 12, ((2006, "第五批"), (2018, "第六批"), (2024, "第七批"))),
                   ("市级文物保护单位", 20, ((2009, "第一批"), (2016, "第二批"), (2023, "第三批"))),
                   ("县级文物保护单位", 19, ((2011, "第三批"), (2020, "第四批"))))
# fmt: on


def heritage_sites(rng: random.Random) -> Table:
    """文物保护单位名录 (written both as XLSX and CSV)."""
    fields = [
        Field("名称"),
        Field("保护级别"),
        Field("类别"),
        Field("时代"),
        Field("所在区县"),
        Field("地址"),
        Field("公布批次"),
        Field("公布年份", "year"),
    ]
    rows, used = [], set()
    for level, count, batches in HERITAGE_LEVELS:
        for _ in range(count):
            kind, eras = rng.choice(HERITAGE_KINDS)
            d = pick_district(rng)
            place = rng.choice(d.towns)[:2]
            name = f"{place}{rng.choice(HERITAGE_WORDS[kind])}{rng.choice(HERITAGE_SUFFIX[kind])}"
            if name in used:
                name = f"{place}{rng.choice(ROADS)[:2]}{rng.choice(HERITAGE_SUFFIX[kind])}"
            used.add(name)
            year, batch = rng.choice(batches)
            rows.append(
                [name, level, kind, rng.choice(eras), d.name, street_address(rng, d), batch, year]
            )
    return Table(fields, rows)


def libraries(rng: random.Random) -> Table:
    """公共图书馆名录 (written as UTF-8 with BOM)."""
    fields = [
        Field("图书馆名称"),
        Field("类型"),
        Field("评估定级"),
        Field("所在区县"),
        Field("地址"),
        Field("开放时间"),
        Field("藏书量(万册)", "number"),
        Field("阅览座位数", "integer"),
        Field("联系电话"),
        Field("是否免费开放", "boolean", extra=YES_NO),
    ]
    rows = [
        [
            "江州市图书馆",
            "总馆",
            "一级",
            "江南区",
            street_address(rng, DISTRICTS[0]),
            "09:00-21:00（周一闭馆）",
            182.5,
            1600,
            landline(rng),
            "是",
        ]
    ]
    for d in DISTRICTS:
        rows.append(
            [
                f"{d.name}图书馆",
                "分馆",
                rng.choice(("一级", "二级", "三级")),
                d.name,
                street_address(rng, d),
                "09:00-17:30（周一闭馆）",
                round(rng.uniform(12, 60), 1),
                rng.randint(150, 600),
                landline(rng),
                "是",
            ]
        )
        for _ in range(rng.randint(3, 5)):
            road = rng.choice(ROADS)
            rows.append(
                [
                    f"江州城市书房·{road}店",
                    "城市书房",
                    "未定级",
                    d.name,
                    street_address(rng, d),
                    "08:30-22:00",
                    round(rng.uniform(0.5, 2.0), 1),
                    rng.randint(30, 90),
                    landline(rng),
                    "是",
                ]
            )
    return Table(fields, rows)


def sports_venues(rng: random.Random) -> Table:
    """体育场馆名录."""
    fields = [
        Field("场馆名称"),
        Field("场馆类型"),
        Field("所在区县"),
        Field("地址"),
        Field("建筑面积(平方米)", "number"),
        Field("免费或低收费开放", "boolean", extra=YES_NO),
        Field("开放时间"),
        Field("联系电话"),
        Field("运营单位"),
    ]
    rows = [
        [
            "江州市体育中心体育场",
            "体育场",
            "江南区",
            street_address(rng, DISTRICTS[0]),
            48600.0,
            "是",
            "06:00-21:30",
            landline(rng),
            "江州市体育中心",
        ],
        [
            "江州市体育中心体育馆",
            "体育馆",
            "江南区",
            street_address(rng, DISTRICTS[0]),
            21800.0,
            "是",
            "08:00-21:30",
            landline(rng),
            "江州市体育中心",
        ],
        [
            "江州市游泳馆",
            "游泳馆",
            "江北区",
            street_address(rng, DISTRICTS[1]),
            9800.0,
            "否",
            "10:00-21:00",
            landline(rng),
            company_name(rng, ("体育文化", "有限公司")),
        ],
    ]
    for d in DISTRICTS:
        rows.append(
            [
                f"{d.name}全民健身中心",
                "全民健身中心",
                d.name,
                street_address(rng, d),
                round(rng.uniform(3000, 12000), 1),
                "是",
                "07:00-21:00",
                landline(rng),
                f"{d.name}文化体育中心",
            ]
        )
        for _ in range(rng.randint(3, 5)):
            kind = rng.choice(("笼式足球场", "社区健身广场", "健身步道", "篮球公园", "门球场"))
            road = rng.choice(ROADS)
            rows.append(
                [
                    f"{road}{kind}",
                    kind,
                    d.name,
                    street_address(rng, d),
                    round(rng.uniform(400, 5000), 1),
                    "是",
                    "全天开放",
                    landline(rng),
                    f"{d.name}{rng.choice(d.towns)}",
                ]
            )
    return Table(fields, rows)


def travel_agencies(rng: random.Random) -> Table:
    """旅行社名录 (许可证编号 L-JX-xxxxx)."""
    fields = [
        Field("旅行社名称"),
        Field("许可证编号"),
        Field("统一社会信用代码"),
        Field("业务范围"),
        Field("所在区县"),
        Field("地址"),
        Field("联系电话"),
        Field("质量保证金(万元)", "number"),
    ]
    rows = []
    for i in range(45):
        d = pick_district(rng, urban_only=True)
        outbound = rng.random() < 0.2
        rows.append(
            [
                company_name(rng, ("国际旅行社" if outbound else "旅行社", "有限公司")),
                f"L-JX-{'CJ' if outbound else ''}{100 + i * 3:05d}",
                credit_code(rng, d),
                "入境旅游业务、国内旅游业务、出境旅游业务"
                if outbound
                else "入境旅游业务、国内旅游业务",
                d.name,
                street_address(rng, d),
                landline(rng),
                120.0 if outbound else 20.0,
            ]
        )
    return Table(fields, rows)


# fmt: off
INTANGIBLE = (
    ("江州采茶戏", "传统戏剧", "国家级"), ("庐峰山歌", "传统音乐", "省级"),
    ("白沙龙舟竞渡", "传统体育、游艺与杂技", "省级"), ("江州竹编技艺", "传统技艺", "省级"),
    ("云溪板龙灯", "传统舞蹈", "省级"), ("江州米粉制作技艺", "传统技艺", "市级"),
    ("临湖渔歌", "传统音乐", "市级"), ("雾峰绿茶制作技艺", "传统技艺", "省级"),
    ("江州剪纸", "传统美术", "市级"), ("石门傩舞", "传统舞蹈", "国家级"),
    ("港口庙会", "民俗", "市级"), ("江州评话", "曲艺", "省级"),
    ("清水乡夏布织造技艺", "传统技艺", "市级"), ("桃源端午习俗", "民俗", "市级"),
    ("江州中医正骨疗法", "传统医药", "市级"), ("翠屏山传说", "民间文学", "市级"),
)
# fmt: on


def intangible_heritage(rng: random.Random) -> Table:
    """非物质文化遗产代表性项目名录 (its 目录 row has no 摘要: the publish gates hold it)."""
    fields = [
        Field("项目名称"),
        Field("类别"),
        Field("级别"),
        Field("申报地区"),
        Field("保护单位"),
        Field("公布年份", "year"),
    ]
    rows = []
    for name, kind, level in INTANGIBLE:
        d = _district_for(name, rng)
        keeper = f"{d.name}文化馆" if rng.random() < 0.7 else f"{d.name}{name[-4:]}保护中心"
        year = {"国家级": rng.choice((2008, 2011, 2014)), "省级": rng.choice((2010, 2016, 2021))}
        rows.append([name, kind, level, d.name, keeper, year.get(level, rng.choice((2019, 2023)))])
    return Table(fields, rows)


GENERATORS = {
    "intangible_heritage": intangible_heritage,
    "scenic_spots": scenic_spots,
    "a_level_scenic": a_level_scenic,
    "heritage_sites": heritage_sites,
    "libraries": libraries,
    "sports_venues": sports_venues,
    "travel_agencies": travel_agencies,
}
