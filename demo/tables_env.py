"""Row generators: environment and weather (air, water, polluters, observations, warnings)."""

from __future__ import annotations

import math
import random
from datetime import date, datetime, timedelta

from model import YES_NO, Field, Table
from places import company_name, credit_code, pick_district

# fmt: off
AQ_STATIONS = (
    ("JZ001", "市监测站", "江南区", 115.994, 29.713), ("JZ002", "江北区政府", "江北区", 116.012, 29.751),
    ("JZ003", "临湖公园", "临湖区", 115.939, 29.688), ("JZ004", "青山子站", "青山区", 116.061, 29.703),
    ("JZ005", "高新区管委会", "高新区", 115.961, 29.657), ("JZ006", "白沙县城", "白沙县", 115.815, 29.561),
)
# fmt: on
# (IAQI upper bounds, concentration upper bounds) per HJ 633-2012, 24-hour values.
_IAQI = (0, 50, 100, 150, 200, 300, 400, 500)
# fmt: off
_BREAKS = {
    "PM2.5": (0, 35, 75, 115, 150, 250, 350, 500),
    "PM10": (0, 50, 150, 250, 350, 420, 500, 600),
    "O3": (0, 100, 160, 215, 265, 800, 1000, 1200),
    "NO2": (0, 40, 80, 180, 280, 565, 750, 940),
}
# fmt: on
# fmt: off
_LEVELS = ((50, "一级", "优"), (100, "二级", "良"), (150, "三级", "轻度污染"),
           (200, "四级", "中度污染"), (300, "五级", "重度污染"), (500, "六级", "严重污染"))
# fmt: on


def _iaqi(pollutant: str, conc: float) -> int:
    bp = _BREAKS[pollutant]
    for i in range(1, len(bp)):
        if conc <= bp[i]:
            return math.ceil(
                (_IAQI[i] - _IAQI[i - 1]) / (bp[i] - bp[i - 1]) * (conc - bp[i - 1]) + _IAQI[i - 1]
            )
    return 500


def aq_stations(rng: random.Random) -> Table:
    """空气质量监测站点."""
    fields = [
        Field("站点编码"),
        Field("站点名称"),
        Field("所在区县"),
        Field("经度", "number"),
        Field("纬度", "number"),
        Field("站点类型"),
        Field("建站年份", "year"),
    ]
    rows = [
        [
            code,
            name,
            dist,
            lon,
            lat,
            "国控点" if i < 3 else "省控点",
            rng.choice((2012, 2013, 2016, 2019)),
        ]
        for i, (code, name, dist, lon, lat) in enumerate(AQ_STATIONS)
    ]
    return Table(fields, rows)


def aq_daily(rng: random.Random) -> Table:
    """空气质量监测日报: 6 stations × 60 days with a consistent AQI."""
    fields = [
        Field("监测日期", "date"),
        Field("站点编码"),
        Field("站点名称"),
        Field("AQI", "integer", "空气质量指数"),
        Field("首要污染物", description="AQI≤50 时为空"),
        Field("空气质量级别"),
        Field("空气质量类别"),
        Field("PM2.5(μg/m³)", "integer"),
        Field("PM10(μg/m³)", "integer"),
        Field("SO2(μg/m³)", "integer"),
        Field("NO2(μg/m³)", "integer"),
        Field("O3_8h(μg/m³)", "integer"),
        Field("CO(mg/m³)", "number"),
    ]
    rows = []
    start = date(2026, 9, 2)
    for day in range(60):
        when = start + timedelta(days=day)
        base = rng.uniform(0.6, 1.6)
        for code, name, *_ in AQ_STATIONS:
            values = {
                "PM2.5": round(rng.uniform(12, 55) * base),
                "PM10": round(rng.uniform(25, 95) * base),
                "O3": round(rng.uniform(50, 175)),
                "NO2": round(rng.uniform(10, 48) * base),
            }
            scores = {k: _iaqi(k, v) for k, v in values.items()}
            aqi = max(scores.values())
            level, category = next((lv, cat) for top, lv, cat in _LEVELS if aqi <= top)
            primary = "" if aqi <= 50 else max(scores, key=scores.get).replace("O3", "O3_8h")
            rows.append(
                [
                    when,
                    code,
                    name,
                    aqi,
                    primary,
                    level,
                    category,
                    values["PM2.5"],
                    values["PM10"],
                    rng.randint(4, 15),
                    values["NO2"],
                    values["O3"],
                    round(rng.uniform(0.4, 1.2), 1),
                ]
            )
    return Table(fields, rows)


# fmt: off
WATER_SECTIONS = (
    ("长江江州上游", "长江", "国控", "Ⅱ类"), ("长江江州下游", "长江", "国控", "Ⅱ类"),
    ("临湖湖心", "临湖", "国控", "Ⅲ类"), ("临湖出口", "临湖", "省控", "Ⅲ类"),
    ("青山河入江口", "青山河", "省控", "Ⅲ类"), ("白沙河白沙桥", "白沙河", "省控", "Ⅲ类"),
    ("云溪水库", "云溪", "市控", "Ⅱ类"), ("龙山水库", "龙山河", "市控", "Ⅱ类"),
    ("柳岸河柳岸闸", "柳岸河", "市控", "Ⅳ类"), ("港口河港口桥", "港口河", "市控", "Ⅳ类"),
)
# fmt: on
_CLASSES = ("Ⅰ类", "Ⅱ类", "Ⅲ类", "Ⅳ类", "Ⅴ类", "劣Ⅴ类")


def surface_water(rng: random.Random) -> Table:
    """地表水水质监测月报 (XLSX): 10 sections × 12 months."""
    fields = [
        Field("监测月份", description="YYYY-MM"),
        Field("断面名称"),
        Field("所在水体"),
        Field("断面级别"),
        Field("水质目标"),
        Field("实测类别"),
        Field("是否达标", "boolean", extra=YES_NO),
        Field("pH", "number"),
        Field("溶解氧(mg/L)", "number"),
        Field("高锰酸盐指数(mg/L)", "number"),
        Field("氨氮(mg/L)", "number"),
        Field("总磷(mg/L)", "number"),
    ]
    rows = []
    for m in range(12):
        month = f"{2025 + (m + 10) // 12}-{(m + 10) % 12 + 1:02d}"
        for name, water, level, target in WATER_SECTIONS:
            t = _CLASSES.index(target)
            actual = max(0, min(5, t + rng.choice((-1, 0, 0, 0, 0, 1))))
            rows.append(
                [
                    month,
                    name,
                    water,
                    level,
                    target,
                    _CLASSES[actual],
                    "是" if actual <= t else "否",
                    round(rng.uniform(6.8, 8.4), 2),
                    round(rng.uniform(5.0, 9.5), 1),
                    round(rng.uniform(1.2, 2.0 + actual * 1.5), 1),
                    round(rng.uniform(0.05, 0.15 + actual * 0.3), 3),
                    round(rng.uniform(0.01, 0.03 + actual * 0.05), 3),
                ]
            )
    return Table(fields, rows)


def key_polluters(rng: random.Random) -> Table:
    """重点排污单位名录 (排污许可证编号 = credit code + 3 digits + letter)."""
    industries = (
        ("化学原料和化学制品制造业", ("化工", "有限公司")),
        ("造纸和纸制品业", ("纸业", "有限公司")),
        ("电力、热力生产和供应业", ("热电", "有限公司")),
        ("纺织业", ("纺织", "有限公司")),
        ("医药制造业", ("制药", "股份有限公司")),
        ("污水处理及其再生利用", ("水务", "有限公司")),
        ("非金属矿物制品业", ("建材", "有限公司")),
        ("农副食品加工业", ("食品", "有限公司")),
    )
    fields = [
        Field("单位名称"),
        Field("统一社会信用代码"),
        Field("所在区县"),
        Field("行业类别"),
        Field("重点排污类型", description="水环境/大气环境/土壤污染/声环境/其他"),
        Field("排污许可证编号"),
        Field("纳入年度", "year"),
    ]
    rows = []
    for _ in range(90):
        industry, trade = rng.choice(industries)
        d = pick_district(rng)
        code = credit_code(rng, d)
        rows.append(
            [
                company_name(rng, trade),
                code,
                d.name,
                industry,
                rng.choice(("水环境", "大气环境", "水环境、大气环境", "土壤污染", "声环境")),
                f"{code}{rng.randint(1, 3):03d}{rng.choice('PVUQ')}",
                rng.choice((2024, 2025, 2026)),
            ]
        )
    return Table(fields, rows)


# fmt: off
WEATHER_STATIONS = (
    ("58502", "江州国家基本气象站", 115.98, 29.70, 32.2, "国家基本站"),
    ("58506", "白沙国家一般气象站", 115.82, 29.56, 58.6, "国家一般站"),
    ("58508", "云溪国家一般气象站", 116.21, 29.85, 96.4, "国家一般站"),
    ("K3101", "临湖区域自动站", 115.94, 29.69, 21.5, "区域自动站"),
    ("K3102", "青山区域自动站", 116.06, 29.70, 44.0, "区域自动站"),
    ("K3103", "高新区域自动站", 115.96, 29.66, 28.3, "区域自动站"),
)
# fmt: on


def weather_stations(rng: random.Random) -> Table:
    """气象观测站点."""
    fields = [
        Field("站号"),
        Field("站名"),
        Field("经度", "number"),
        Field("纬度", "number"),
        Field("观测场海拔高度(米)", "number"),
        Field("站点类别"),
    ]
    return Table(fields, [list(s) for s in WEATHER_STATIONS])


def weather_hourly(rng: random.Random) -> Table:
    """地面气象逐小时观测: station 58502, 14 days × 24 hours."""
    fields = [
        Field("站号"),
        Field("观测时间", "datetime", "北京时间"),
        Field("气温(℃)", "number"),
        Field("相对湿度(%)", "integer"),
        Field("小时降水量(mm)", "number"),
        Field("风向(度)", "integer"),
        Field("风速(m/s)", "number"),
        Field("本站气压(hPa)", "number"),
        Field("能见度(km)", "number"),
    ]
    rows = []
    start = datetime(2026, 10, 18, 0, 0)
    rain = 0.0
    for h in range(14 * 24):
        when = start + timedelta(hours=h)
        temp = (
            17 + 5 * math.sin((when.hour - 9) / 24 * 2 * math.pi) - h / 120 + rng.uniform(-0.8, 0.8)
        )
        rain = (
            round(rng.uniform(0, 6), 1)
            if rng.random() < 0.08
            else (round(rain * 0.4, 1) if rain > 0.3 else 0.0)
        )
        rows.append(
            [
                "58502",
                when.isoformat(),
                round(temp, 1),
                rng.randint(55, 98) if rain else rng.randint(40, 85),
                rain,
                rng.randrange(0, 360, 10),
                round(rng.uniform(0.3, 6.5), 1),
                round(rng.uniform(1008, 1022), 1),
                round(rng.uniform(3, 25) if not rain else rng.uniform(1, 8), 1),
            ]
        )
    return Table(fields, rows)


# fmt: off
SEASON_WARNINGS = {
    **dict.fromkeys((12, 1, 2), ("寒潮", "道路结冰", "大雾", "大风")),
    **dict.fromkeys((3, 4, 5), ("暴雨", "雷电", "大风", "冰雹", "大雾")),
    **dict.fromkeys((6, 7, 8, 9), ("暴雨", "高温", "雷电", "大风")),
    **dict.fromkeys((10, 11), ("大雾", "大风", "寒潮")),
}
# fmt: on


def weather_warnings(rng: random.Random) -> Table:
    """气象灾害预警信号发布记录."""
    kinds = (
        ("暴雨", ("蓝色", "黄色", "橙色", "红色")),
        ("高温", ("黄色", "橙色", "红色")),
        ("大风", ("蓝色", "黄色", "橙色")),
        ("雷电", ("黄色", "橙色")),
        ("大雾", ("黄色", "橙色")),
        ("寒潮", ("蓝色", "黄色")),
        ("道路结冰", ("黄色", "橙色")),
        ("冰雹", ("橙色",)),
    )
    fields = [
        Field("预警编号"),
        Field("发布时间", "datetime"),
        Field("发布单位"),
        Field("预警类型"),
        Field("预警级别"),
        Field("影响区域"),
        Field("预警内容"),
        Field("解除时间", "datetime"),
    ]
    rows = []
    when = datetime(2025, 11, 20, 6, 0)
    for i in range(60):
        when += timedelta(hours=rng.randint(24, 190), minutes=rng.choice((0, 10, 20, 30, 40, 50)))
        season = SEASON_WARNINGS[when.month]
        kind, levels = rng.choice([k for k in kinds if k[0] in season])
        level = rng.choice(levels)
        area = rng.choice(
            ("全市", "江南区、江北区", "白沙县", "云溪县", "青山区、临湖区", "高新区")
        )
        office = (
            "江州市气象台"
            if area in ("全市", "江南区、江北区", "高新区", "青山区、临湖区")
            else f"{area}气象台"
        )
        text = f"{office}{when:%Y年%m月%d日%H时%M分}发布{kind}{level}预警信号：预计未来{rng.choice((6, 12, 24))}小时{area}可能出现{kind}天气，请注意防范。"
        rows.append(
            [
                f"JZQX{when:%Y%m%d}{i + 1:03d}",
                when.isoformat(),
                office,
                kind,
                level,
                area,
                text,
                (when + timedelta(hours=rng.randint(3, 36))).isoformat(),
            ]
        )
    return Table(fields, rows)


GENERATORS = {
    "aq_stations": aq_stations,
    "aq_daily": aq_daily,
    "surface_water": surface_water,
    "key_polluters": key_polluters,
    "weather_stations": weather_stations,
    "weather_hourly": weather_hourly,
    "weather_warnings": weather_warnings,
}
