"""Row generators: market entities and licences (public, full of hard negatives).

Credit codes, SC/JY licence numbers, compact dates like 20240315 and 18-digit serials that fail
the ID checksum all appear here; none of them is personal information.
"""

from __future__ import annotations

import random
from datetime import date, timedelta

from departments import dept
from model import Field, Table, add_years
from places import (
    COMPANY_TRADES,
    DISTRICTS,
    company_name,
    credit_code,
    pick_district,
    serial18,
    street_address,
)

# fmt: off
SCOPES = {
    "科技": "软件开发；信息技术咨询服务；数据处理和存储支持服务",
    "建设工程": "房屋建筑和市政基础设施项目工程总承包；建设工程施工",
    "食品": "食品生产；食品销售；农副产品销售",
    "商贸": "日用百货销售；五金产品零售；家用电器销售",
    "物流": "道路货物运输（不含危险货物）；国内货物运输代理；普通货物仓储服务",
}
# fmt: on


# fmt: off
LLC_TYPES = ("有限责任公司（自然人投资或控股）", "有限责任公司（自然人投资或控股）", "有限责任公司（自然人独资）",
             "有限责任公司（国有独资）", "有限责任公司（外商投资企业法人独资）", "其他有限责任公司")
# fmt: on


# fmt: off
STOCK_TYPES = ("股份有限公司（非上市、自然人投资或控股）", "股份有限公司（上市）", "其他股份有限公司（非上市）")
# fmt: on


# fmt: off
FOOD_CATEGORIES = (("101", "粮食加工品"), ("102", "食用油、油脂及其制品"), ("103", "调味品"),
                   ("104", "肉制品"), ("105", "乳制品"), ("106", "饮料"), ("107", "方便食品"),
                   ("114", "茶叶及相关制品"), ("115", "酒类"), ("116", "蔬菜制品"), ("118", "炒货食品及坚果制品"),
                   ("124", "糕点"), ("125", "豆制品"), ("126", "蜂产品"))
# fmt: on


def _regulator(d) -> str:
    return f"{d.name}市场监督管理局" if d.name.endswith("县") else f"江州市{d.name}市场监督管理局"


def enterprises(rng: random.Random) -> Table:
    """企业登记信息 (no 法定代表人 column: only the entity is published)."""
    fields = [
        Field("企业名称"),
        Field("统一社会信用代码"),
        Field("企业类型"),
        Field("注册资本(万元)", "number"),
        Field("成立日期", "date"),
        Field("登记机关"),
        Field("登记状态"),
        Field("住所"),
        Field("经营范围"),
    ]
    rows, names = [], set()
    while len(rows) < 300:
        trade = rng.choice(COMPANY_TRADES)
        name = company_name(rng, trade)
        if name in names:
            continue
        names.add(name)
        d = pick_district(rng)
        founded = date(1998, 1, 1) + timedelta(days=rng.randint(0, 10500))
        capital = rng.choice((10, 50, 100, 200, 300, 500, 1000, 1380, 3000, 5000, 12000))
        scope = SCOPES.get(
            trade[0],
            f"{trade[0]}相关产品的研发、生产与销售（依法须经批准的项目，经相关部门批准后方可开展经营活动）",
        )
        rows.append(
            [
                name,
                credit_code(rng, d),
                rng.choice(STOCK_TYPES if name.endswith("股份有限公司") else LLC_TYPES),
                f"{capital:.2f}",
                founded,
                _regulator(d) if rng.random() < 0.6 else "江州市市场监督管理局",
                rng.choice(("存续", "存续", "存续", "在业", "注销", "吊销，未注销")),
                street_address(rng, d),
                scope,
            ]
        )
    return Table(fields, rows)


def food_licences(rng: random.Random) -> Table:
    """食品生产许可 (许可证编号 SC + 14 digits; dates written compactly, e.g. 20240315)."""
    fields = [
        Field("许可证编号"),
        Field("生产者名称"),
        Field("统一社会信用代码"),
        Field("食品类别"),
        Field("生产地址"),
        Field("发证日期", description="YYYYMMDD"),
        Field("有效期至", description="YYYYMMDD"),
        Field("日常监督管理机构"),
    ]
    rows = []
    for _i in range(140):
        d = pick_district(rng)
        cat, cat_name = rng.choice(FOOD_CATEGORIES)
        issued = date(2021, 1, 1) + timedelta(days=rng.randint(0, 2000))
        number = (
            f"SC{cat}{d.region[:4]}{d.region[-2:]}{rng.randint(1, 9999):04d}{rng.randint(0, 9)}"
        )
        rows.append(
            [
                number,
                company_name(rng, ("食品", "有限公司")),
                credit_code(rng, d),
                cat_name,
                street_address(rng, d),
                f"{issued:%Y%m%d}",
                f"{add_years(issued, 5) - timedelta(days=1):%Y%m%d}",
                _regulator(d),
            ]
        )
    return Table(fields, rows)


# fmt: off
LICENCE_ITEMS = (  # (certificate, 许可类别, content, holder's trade)
    ("建筑工程施工许可证", "核准", "建筑工程施工许可", ("置业", "有限公司")),
    ("食品经营许可证", "普通", "食品经营许可（预包装食品销售、热食类食品制售）", ("餐饮管理", "有限公司")),
    ("道路运输经营许可证", "普通", "道路普通货物运输", ("物流", "有限公司")),
    ("公共场所卫生许可证", "普通", "住宿业、沐浴场所卫生许可", ("酒店管理", "有限公司")),
    ("人力资源服务许可证", "普通", "职业中介活动", ("人力资源", "有限公司")),
    ("城镇污水排入排水管网许可证", "普通", "排水许可", ("食品", "有限公司")),
    ("燃气经营许可证", "特许", "瓶装液化石油气经营", ("燃气", "有限公司")),
    ("医疗机构执业许可证", "普通", "医疗机构执业登记", ("医疗管理", "有限公司")),
    ("民办学校办学许可证", "普通", "民办职业技能培训", ("职业培训", "有限公司")),
    ("药品经营许可证", "普通", "药品零售", ("医药", "连锁有限公司")),
)
# fmt: on


def admin_licensing(rng: random.Random) -> Table:
    """行政许可信息 (双公示)."""
    bureau = dept("xzspj")
    fields = [
        Field("行政许可决定文书号"),
        Field("许可类别"),
        Field("许可证书名称"),
        Field("许可证书编号"),
        Field("行政相对人名称"),
        Field("行政相对人统一社会信用代码"),
        Field("许可内容"),
        Field("许可决定日期", "date"),
        Field("有效期自", "date"),
        Field("有效期至", "date"),
        Field("许可机关"),
        Field("许可机关统一社会信用代码"),
    ]
    rows = []
    day = date(2025, 11, 3)
    for i in range(220):
        day += timedelta(days=rng.choice((0, 0, 1, 1, 2, 3)))
        cert, kind, content, trade = rng.choice(LICENCE_ITEMS)
        d = pick_district(rng)
        if cert == "食品经营许可证":
            number = (
                f"JY{rng.choice('123')}{d.region}{rng.randint(0, 999999):06d}{rng.randint(0, 9)}"
            )
        elif cert == "建筑工程施工许可证":
            number = serial18(rng, f"{d.region}{day:%Y%m%d}{rng.randint(101, 399)}")
        else:
            number = f"赣{cert[:2]}{day:%Y}{rng.randint(1, 9999):04d}"
        years = 5 if cert != "建筑工程施工许可证" else 2
        rows.append(
            [
                f"江审批许字〔{day:%Y}〕第{1000 + i:04d}号",
                kind,
                cert,
                number,
                company_name(rng, trade),
                credit_code(rng, d),
                content,
                day,
                day,
                add_years(day, years) - timedelta(days=1),
                bureau.name,
                bureau.code,
            ]
        )
    return Table(fields, rows)


def cooperatives(rng: random.Random) -> Table:
    """农民专业合作社名录 (credit codes starting with 93)."""
    products = (
        "水稻种植",
        "蔬菜种植",
        "生猪养殖",
        "茶叶",
        "水产养殖",
        "柑橘种植",
        "中药材种植",
        "农机服务",
        "油茶种植",
    )
    fields = [
        Field("合作社名称"),
        Field("统一社会信用代码"),
        Field("所在区县"),
        Field("所在乡镇"),
        Field("主营业务"),
        Field("成员出资总额(万元)", "number"),
        Field("成员数", "integer"),
        Field("成立日期", "date"),
        Field("示范社级别"),
    ]
    rows = []
    rural = [d for d in DISTRICTS if any(t.endswith(("镇", "乡")) for t in d.towns)]
    for _ in range(80):
        d = rng.choice(rural)
        town = rng.choice([t for t in d.towns if t.endswith(("镇", "乡"))])
        product = rng.choice(products)
        rows.append(
            [
                f"{d.name}{town[:2]}{rng.choice(('绿源', '丰收', '兴农', '富民', '青禾', '金穗', '山泉'))}{product}专业合作社",
                credit_code(rng, d, "93"),
                d.name,
                town,
                product,
                float(rng.choice((10, 50, 100, 200, 500))),
                rng.randint(5, 180),
                date(2008, 1, 1) + timedelta(days=rng.randint(0, 6300)),
                rng.choice(("无", "无", "无", "市级", "省级", "国家级")),
            ]
        )
    return Table(fields, rows)


def hazchem_licences(rng: random.Random) -> Table:
    """危险化学品经营许可证信息."""
    fields = [
        Field("企业名称"),
        Field("统一社会信用代码"),
        Field("许可证编号"),
        Field("许可范围"),
        Field("经营方式"),
        Field("有效期至", "date"),
        Field("发证机关"),
    ]
    rows = []
    for i in range(60):
        d = pick_district(rng)
        rows.append(
            [
                company_name(
                    rng,
                    rng.choice((("化工", "有限公司"), ("石油", "有限公司"), ("燃气", "有限公司"))),
                ),
                credit_code(rng, d),
                f"赣江危化经字〔{rng.choice((2023, 2024, 2025))}〕{i * 13 + 101:06d}",
                rng.choice(
                    (
                        "汽油、柴油",
                        "液化石油气",
                        "硫酸、盐酸、氢氧化钠",
                        "乙醇、甲醇、丙酮",
                        "油漆、稀释剂",
                    )
                ),
                rng.choice(("带储存经营", "不带储存经营")),
                date(2026, 1, 1) + timedelta(days=rng.randint(0, 1000)),
                "江州市应急管理局",
            ]
        )
    return Table(fields, rows)


def tech_smes(rng: random.Random) -> Table:
    """科技型中小企业名录 (入库登记编号: 18 digits that fail the ID checksum)."""
    fields = [
        Field("企业名称"),
        Field("统一社会信用代码"),
        Field("入库登记编号"),
        Field("所在区县"),
        Field("技术领域"),
        Field("入库年份", "year"),
    ]
    areas = (
        "电子信息",
        "生物与新医药",
        "新材料",
        "高技术服务",
        "先进制造与自动化",
        "资源与环境",
        "新能源与节能",
    )
    rows = []
    for i in range(120):
        d = pick_district(rng, urban_only=i % 4 != 0)
        year = rng.choice((2024, 2025, 2026))
        rows.append(
            [
                company_name(
                    rng,
                    rng.choice(
                        (("科技", "有限公司"), ("信息技术", "有限公司"), ("新材料", "股份有限公司"))
                    ),
                ),
                credit_code(rng, d),
                serial18(rng, f"{year}{d.region}04{rng.randint(1, 99999):05d}"),
                d.name,
                rng.choice(areas),
                year,
            ]
        )
    return Table(fields, rows)


GENERATORS = {
    "enterprises": enterprises,
    "food_licences": food_licences,
    "admin_licensing": admin_licensing,
    "cooperatives": cooperatives,
    "hazchem_licences": hazchem_licences,
    "tech_smes": tech_smes,
}
