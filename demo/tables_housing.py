"""Row generators: construction, housing, land, public finance and statistics."""

from __future__ import annotations

import random
from datetime import date, timedelta

from model import Field, Table
from places import ROADS, company_name, credit_code, pick_district, serial18, street_address

AFFORDABLE_KINDS = ("公共租赁住房", "保障性租赁住房", "共有产权住房", "棚户区改造安置房")
ESTATE_WORDS = (
    "滨江",
    "湖畔",
    "锦绣",
    "翠屏",
    "龙山",
    "阳光",
    "幸福",
    "和园",
    "江南",
    "青山",
    "柳岸",
    "白鹭",
)


def construction_sites(rng: random.Random) -> Table:
    """在建建筑工地信息 (施工许可证编号: 18 digits, NOT ID numbers; amounts like 1380000.00)."""
    fields = [
        Field("项目名称"),
        Field("施工许可证编号", description="区划代码+发证日期+流水号"),
        Field("建设单位"),
        Field("施工单位"),
        Field("施工单位统一社会信用代码"),
        Field("监理单位"),
        Field("所在区县"),
        Field("项目地址"),
        Field("合同金额(元)", "number"),
        Field("建筑面积(平方米)", "number"),
        Field("开工日期", description="YYYYMMDD"),
        Field("计划竣工日期", "date"),
        Field("项目状态"),
    ]
    rows = []
    for i in range(90):
        d = pick_district(rng)
        start = date(2023, 3, 1) + timedelta(days=rng.randint(0, 1300))
        kind = rng.choice(
            ("住宅小区", "学校", "医院门诊楼", "综合体", "厂房", "道路改造工程", "安置房")
        )
        name = f"{rng.choice(ESTATE_WORDS)}{kind}{'一期' if rng.random() < 0.4 else ''}项目"
        amount = (
            rng.choice((1380000, 2650000, 8800000))
            if i % 15 == 0
            else rng.randint(50, 90000) * 10000
        )
        rows.append(
            [
                name,
                serial18(rng, f"{d.region}{start:%Y%m%d}{rng.randint(101, 199)}"),
                company_name(
                    rng, rng.choice((("置业", "有限公司"), ("城市建设投资", "集团有限公司")))
                ),
                company_name(rng, ("建设工程", "有限公司")),
                credit_code(rng, d),
                company_name(rng, ("工程监理", "有限公司")),
                d.name,
                street_address(rng, d),
                f"{amount:.2f}",
                round(rng.uniform(1500, 180000), 2),
                f"{start:%Y%m%d}",
                start + timedelta(days=rng.randint(300, 1100)),
                rng.choice(("在建", "在建", "在建", "停工", "竣工验收中")),
            ]
        )
    return Table(fields, rows)


def affordable_housing(rng: random.Random) -> Table:
    """保障性住房项目 (XLSX)."""
    fields = [
        Field("项目名称"),
        Field("保障类型"),
        Field("所在区县"),
        Field("项目地址"),
        Field("建设单位"),
        Field("总套数", "integer"),
        Field("已分配套数", "integer"),
        Field("户型面积(平方米)"),
        Field("开工年份", "year"),
        Field("竣工日期", "date", "未竣工为空"),
        Field("租金标准(元/平方米·月)", "number", "仅租赁型住房"),
    ]
    rows = []
    for name in affordable_project_names():
        d = pick_district(rng)
        kind = rng.choice(AFFORDABLE_KINDS)
        total = rng.randint(120, 1600)
        started = rng.randint(2012, 2025)
        done = (
            date(started + 2, 6, 30) + timedelta(days=rng.randint(0, 300))
            if started < 2024
            else None
        )
        rent = round(rng.uniform(6, 14), 1) if "租赁" in kind else None
        rows.append(
            [
                name,
                kind,
                d.name,
                street_address(rng, d),
                f"江州市{rng.choice(('安居', '城投', '保障房'))}建设有限公司",
                total,
                int(total * rng.uniform(0.6, 1.0)) if done else 0,
                rng.choice(("40-60", "45-65", "50-70", "60-90")),
                started,
                done,
                rent,
            ]
        )
    return Table(fields, rows)


def affordable_project_names() -> list[str]:
    """Names of the affordable-housing projects (shared with the public-rental tenants table)."""
    return [f"{w}{s}" for w in ESTATE_WORDS for s in ("公租房小区", "安居苑", "人才公寓")][:36]


def presale_permits(rng: random.Random) -> Table:
    """商品房预售许可."""
    fields = [
        Field("预售许可证号"),
        Field("项目名称"),
        Field("开发企业"),
        Field("开发企业统一社会信用代码"),
        Field("坐落"),
        Field("预售幢号"),
        Field("预售套数", "integer"),
        Field("预售面积(平方米)", "number"),
        Field("发证日期", "date"),
    ]
    rows = []
    day = date(2025, 1, 6)
    for i in range(100):
        day += timedelta(days=rng.randint(1, 7))
        d = pick_district(rng, urban_only=True)
        units = rng.randint(40, 480)
        rows.append(
            [
                f"江房预售字〔{day:%Y}〕第{i + 1:03d}号",
                f"{rng.choice(ESTATE_WORDS)}{rng.choice(('府', '苑', '华庭', '公馆', '新城'))}",
                company_name(rng, ("置业", "有限公司")),
                credit_code(rng, d),
                street_address(rng, d),
                "、".join(f"{n}#" for n in sorted(rng.sample(range(1, 20), rng.randint(1, 4)))),
                units,
                round(units * rng.uniform(85, 140), 2),
                day,
            ]
        )
    return Table(fields, rows)


def land_permits(rng: random.Random) -> Table:
    """建设用地规划许可证信息."""
    uses = (
        "二类居住用地",
        "商业用地",
        "工业用地",
        "教育用地",
        "医疗卫生用地",
        "公园绿地",
        "物流仓储用地",
    )
    fields = [
        Field("许可证编号"),
        Field("项目名称"),
        Field("建设单位"),
        Field("用地位置"),
        Field("用地面积(平方米)", "number"),
        Field("用地性质"),
        Field("核发日期", "date"),
    ]
    rows = []
    for i in range(80):
        d = pick_district(rng)
        issued = date(2024, 1, 1) + timedelta(days=rng.randint(0, 1030))
        use = rng.choice(uses)
        rows.append(
            [
                f"地字第{d.region}{issued:%Y}{i + 1:05d}号",
                f"{rng.choice(ROADS)}{use.replace('用地', '')}项目",
                company_name(rng),
                street_address(rng, d),
                round(rng.uniform(3000, 200000), 2),
                use,
                issued,
            ]
        )
    return Table(fields, rows)


# fmt: off
BUDGET_ITEMS = (("101", "税收收入", 0.62), ("10101", "增值税", 0.24), ("10104", "企业所得税", 0.10),
                ("10106", "个人所得税", 0.03), ("10109", "城市维护建设税", 0.04), ("10111", "房产税", 0.03),
                ("10118", "契税", 0.06), ("103", "非税收入", 0.38), ("10302", "行政事业性收费收入", 0.08),
                ("10304", "罚没收入", 0.05), ("10306", "国有资源（资产）有偿使用收入", 0.18))
# fmt: on


def budget_execution(rng: random.Random) -> Table:
    """市本级一般公共预算收入执行情况 (amounts in 万元 with two decimals)."""
    fields = [
        Field("年度", "year"),
        Field("月份", "integer"),
        Field("科目编码"),
        Field("科目名称"),
        Field("本月数(万元)", "number"),
        Field("累计数(万元)", "number"),
        Field("年初预算数(万元)", "number"),
        Field("完成预算(%)", "number"),
    ]
    rows = []
    annual_total = 1380000.00
    for month in range(1, 11):
        for code, name, share in BUDGET_ITEMS:
            plan = round(annual_total * share, 2)
            month_value = round(plan / 12 * rng.uniform(0.8, 1.2), 2)
            cumulative = round(plan / 12 * month * rng.uniform(0.92, 1.05), 2)
            rows.append(
                [
                    2026,
                    month,
                    code,
                    name,
                    f"{month_value:.2f}",
                    f"{cumulative:.2f}",
                    f"{plan:.2f}",
                    round(cumulative / plan * 100, 1),
                ]
            )
    return Table(fields, rows)


# fmt: off
INDICATORS = (("地区生产总值", "亿元", 3280.0, 5.4), ("规模以上工业增加值", "亿元", 1010.0, 6.8),
              ("固定资产投资", "亿元", 1720.0, 3.2), ("社会消费品零售总额", "亿元", 1305.0, 5.9),
              ("一般公共预算收入", "亿元", 214.0, 2.1), ("城镇居民人均可支配收入", "元", 41200.0, 4.6),
              ("农村居民人均可支配收入", "元", 21850.0, 6.5), ("居民消费价格指数", "上年同期=100", 100.6, 0.0),
              ("进出口总额", "亿元", 420.0, 8.3), ("金融机构人民币各项存款余额", "亿元", 5980.0, 7.2),
              ("城镇新增就业人数", "万人", 5.6, 1.8), ("接待游客人次", "万人次", 6800.0, 9.9))
# fmt: on


def economic_indicators(rng: random.Random) -> Table:
    """主要经济指标 (cumulative quarterly figures)."""
    fields = [
        Field("指标名称"),
        Field("统计期", description="如 2026年1-9月"),
        Field("计量单位"),
        Field("本期值", "number"),
        Field("同比增长(%)", "number"),
    ]
    rows = []
    for year in (2024, 2025, 2026):
        for quarter in (1, 2, 3, 4):
            if year == 2026 and quarter == 4:
                continue
            end_month = quarter * 3
            for name, unit, annual, growth in INDICATORS:
                scale = (
                    1.0
                    if unit in ("上年同期=100",)
                    else end_month / 12 * (0.96 + (year - 2024) * 0.05)
                )
                value = round(annual * scale * rng.uniform(0.97, 1.03), 2)
                g = round(growth + rng.uniform(-1.2, 1.2), 1) if unit != "上年同期=100" else 0.0
                rows.append([name, f"{year}年1-{end_month}月", unit, value, g])
    return Table(fields, rows)


GENERATORS = {
    "construction_sites": construction_sites,
    "affordable_housing": affordable_housing,
    "presale_permits": presale_permits,
    "land_permits": land_permits,
    "budget_execution": budget_execution,
    "economic_indicators": economic_indicators,
}
