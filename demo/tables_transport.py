"""Row generators: transport (bus, coach, bikes, parking, chargers)."""

from __future__ import annotations

import random
from datetime import date, timedelta

from model import HHMM, YES_NO, Field, Table
from places import (
    ROADS,
    URBAN,
    company_name,
    credit_code,
    landline,
    lon_lat,
    pick_district,
    street_address,
)

STOP_SUFFIXES = ("口", "东站", "西站", "南站", "北站", "中段", "路口", "新村", "小区")
# fmt: off
LANDMARKS = (
    "江州站", "江州汽车客运中心", "市第一人民医院", "市中医院", "滨江公园", "市政府", "市体育中心",
    "江州大学", "江州职业技术学院", "白鹭洲公园", "临湖湿地公园", "高新区管委会", "科技城",
    "青山公园", "市图书馆", "市博物馆", "万达广场", "火车站广场", "江北客运站", "港口码头",
    "会展中心", "市民中心", "人民广场", "龙山寺", "翠屏山森林公园", "柳岸小区", "湖心岛",
)
# fmt: on
# fmt: off
BUS_OPERATORS = ("江州市公共交通集团有限责任公司", "江州市公交集团江北分公司",
                 "白沙县城乡公交有限公司", "云溪县公共交通有限公司")
# fmt: on


def _stop_name(rng: random.Random) -> str:
    if rng.random() < 0.3:
        return rng.choice(LANDMARKS)
    return rng.choice(ROADS) + rng.choice(STOP_SUFFIXES)


def _line_codes(rng: random.Random, n: int) -> list[str]:
    codes = [f"{i}路" for i in range(1, n - 7)]
    codes += [f"K{i}路" for i in range(1, 5)] + ["旅游1线", "旅游2线", "夜班1路", "夜班2路"]
    return codes[:n]


def bus_lines(rng: random.Random) -> Table:
    """公交线路表."""
    fields = [
        Field("线路编号", description="线路对外名称，如 1路、K2路"),
        Field("线路名称", description="起点站—终点站"),
        Field("起点站"),
        Field("终点站"),
        Field("首班时间", "time", "起点站首班发车时间", HHMM),
        Field("末班时间", "time", "起点站末班发车时间", HHMM),
        Field("全程(公里)", "number", "单程里程"),
        Field("站点数", "integer", "单程站点数"),
        Field("票价(元)", "number", "普通票价"),
        Field("是否空调车", "boolean", extra=YES_NO),
        Field("运营单位"),
    ]
    rows = []
    for code in _line_codes(rng, 64):
        start, end = _stop_name(rng), rng.choice(LANDMARKS)
        while end == start:
            end = _stop_name(rng)
        night = code.startswith("夜班")
        first_hour = rng.choice((21, 22)) if night else rng.choice((5, 6, 6, 7))
        last_hour = rng.choice((0, 1)) if night else rng.choice((18, 19, 20, 21, 22))
        first = f"{first_hour:02d}:{rng.choice(('00', '10', '20', '30'))}"
        last = f"{last_hour:02d}:{rng.choice(('00', '15', '30', '45'))}"
        fare = 2.0 if code.startswith("K") else rng.choice((1.0, 1.0, 2.0))
        rows.append(
            [
                code,
                f"{start}—{end}",
                start,
                end,
                first,
                last,
                round(rng.uniform(6, 32), 1),
                rng.randint(12, 38),
                fare,
                "是" if rng.random() < 0.85 else "否",
                BUS_OPERATORS[0] if rng.random() < 0.7 else rng.choice(BUS_OPERATORS[1:]),
            ]
        )
    return Table(fields, rows)


def bus_stops(rng: random.Random) -> Table:
    """公交站点表: stops in order along 22 lines."""
    fields = [
        Field("站点编号", description="站点唯一编号"),
        Field("站点名称"),
        Field("线路编号"),
        Field("方向", description="上行/下行"),
        Field("站序", "integer", "在该线路该方向上的顺序"),
        Field("所在区县"),
        Field("经度", "number", "GCJ-02"),
        Field("纬度", "number", "GCJ-02"),
    ]
    rows, serial = [], 1000
    for code in _line_codes(rng, 64)[:22]:
        district = rng.choice(URBAN)
        lon, lat = lon_lat(rng, district, 0.02)
        for order in range(1, rng.randint(10, 17)):
            serial += rng.randint(1, 7)
            lon, lat = (
                round(lon + rng.uniform(-0.004, 0.004), 6),
                round(lat + rng.uniform(-0.004, 0.004), 6),
            )
            rows.append(
                [f"JZBS{serial:06d}", _stop_name(rng), code, "上行", order, district.name, lon, lat]
            )
    return Table(fields, rows)


def coach_routes(rng: random.Random) -> Table:
    """道路客运班线 (XLSX)."""
    stations = ("江州汽车客运中心", "江州长途汽车站", "江北客运站", "白沙县汽车站", "云溪县汽车站")
    destinations = (
        ("南昌市", 136),
        ("景德镇市", 168),
        ("上饶市", 245),
        ("武汉市", 268),
        ("长沙市", 392),
        ("合肥市", 356),
        ("杭州市", 468),
        ("黄山市", 301),
        ("白沙县", 46),
        ("云溪县", 58),
        ("宜春市", 230),
        ("赣州市", 520),
    )
    fields = [
        Field("班线编号"),
        Field("始发站"),
        Field("终点站"),
        Field("途经地"),
        Field("班线类别", description="一类至四类"),
        Field("日发班次", "integer"),
        Field("运距(公里)", "integer"),
        Field("经营企业"),
        Field("经营企业统一社会信用代码"),
        Field("许可有效期至", "date"),
    ]
    companies = [(company_name(rng, ("汽车运输", "有限公司")), credit_code(rng)) for _ in range(6)]
    rows = []
    for i in range(48):
        dest, km = rng.choice(destinations)
        category = "四类" if km < 60 else "三类" if km < 200 else "二类" if km < 400 else "一类"
        name, code = rng.choice(companies)
        rows.append(
            [
                f"JZKY{2023 + i % 3}{i + 1:04d}",
                rng.choice(stations),
                f"{dest}汽车站",
                rng.choice(("", "高速直达", "经停庐山", "经停湖口", "经停都昌")),
                category,
                rng.randint(1, 12),
                km,
                name,
                code,
                date(2027, 1, 1) + timedelta(days=rng.randint(0, 900)),
            ]
        )
    return Table(fields, rows)


def public_bikes(rng: random.Random) -> Table:
    """公共自行车站点 (published without a Table Schema)."""
    fields = [
        Field(n)
        for n in (
            "站点编号",
            "站点名称",
            "所在区县",
            "详细位置",
            "锁桩数",
            "经度",
            "纬度",
            "运营时间",
        )
    ]
    rows = []
    for i in range(120):
        d = pick_district(rng, urban_only=True)
        lon, lat = lon_lat(rng, d)
        road = rng.choice(ROADS)
        rows.append(
            [
                f"{d.region[-2:]}{i + 1:04d}",
                f"{road}{rng.choice(STOP_SUFFIXES)}",
                d.name,
                f"{road}与{rng.choice(ROADS)}交叉口{rng.choice('东西南北')}侧",
                rng.choice((12, 16, 20, 24, 30)),
                lon,
                lat,
                "06:00-22:00",
            ]
        )
    return Table(fields, rows)


PARKING_FIELDS = [
    Field("停车场名称"),
    Field("所在区县"),
    Field("地址"),
    Field("停车场类型", description="路外公共/路内泊位/配建对外开放"),
    Field("车位数", "integer", "总泊位数"),
    Field("充电车位数", "integer"),
    Field("收费标准"),
    Field("开放时间"),
    Field("经度", "number"),
    Field("纬度", "number"),
    Field("管理单位"),
    Field("咨询电话"),
]


def parking_flawed(rng: random.Random) -> Table:
    """公共停车场信息, deliberately flawed: type error, missing cell, extra cell, blank row."""
    rows = []
    for _i in range(64):
        d = pick_district(rng, urban_only=True)
        lon, lat = lon_lat(rng, d)
        kind = rng.choice(("路外公共", "路外公共", "路内泊位", "配建对外开放"))
        spaces = rng.randint(30, 900) if kind != "路内泊位" else rng.randint(10, 60)
        place = rng.choice(LANDMARKS + ROADS)
        rows.append(
            [
                f"{place}{'停车场' if kind != '路内泊位' else '路内泊位'}",
                d.name,
                street_address(rng, d),
                kind,
                spaces,
                int(spaces * rng.choice((0, 0.05, 0.1))),
                rng.choice(
                    (
                        "首小时5元，之后每小时2元",
                        "每次5元",
                        "白天每小时3元，夜间每次5元",
                        "前30分钟免费，之后每小时4元",
                    )
                ),
                rng.choice(("00:00-24:00", "07:00-22:00", "08:00-20:00")),
                lon,
                lat,
                rng.choice(
                    ("江州市城市停车管理有限公司", "江州城投停车运营有限公司", "江州市城市管理局")
                ),
                landline(rng),
            ]
        )
    rows[6][4] = "暂无"  # type-error: placeholder in an integer column
    rows[21][5] = "暂无"  # a second type-error
    rows[14] = rows[14][:-1]  # missing-cell
    rows[27] = rows[27] + ["临时停车场，2026年底到期"]  # extra-cell
    rows.insert(40, [""] * len(PARKING_FIELDS))  # blank-row
    return Table(PARKING_FIELDS, rows)


def ev_chargers(rng: random.Random) -> Table:
    """充电桩分布 (设备编号 are 11-digit numbers starting with 2 — not phone numbers)."""
    operators = (
        "国网江州供电公司",
        "特来电新能源股份有限公司",
        "星星充电",
        "江州公交能源有限公司",
        "江州城投新能源有限公司",
    )
    fields = [
        Field("充电站名称"),
        Field("运营商"),
        Field("所在区县"),
        Field("地址"),
        Field("设备编号", description="11位设备编码"),
        Field("直流桩数量", "integer"),
        Field("交流桩数量", "integer"),
        Field("单桩额定功率(kW)", "number"),
        Field("经度", "number"),
        Field("纬度", "number"),
        Field("服务电话"),
        Field("投运日期", "date"),
    ]
    rows = []
    for _i in range(150):
        d = pick_district(rng)
        lon, lat = lon_lat(rng, d)
        op = rng.choice(operators)
        rows.append(
            [
                f"{rng.choice(LANDMARKS + ROADS)}充电站",
                op,
                d.name,
                street_address(rng, d),
                f"2{d.region[2:4]}{rng.randint(0, 99999999):08d}",
                rng.randint(0, 20),
                rng.randint(0, 16),
                rng.choice((7.0, 60.0, 120.0, 160.0)),
                lon,
                lat,
                "95598" if op.startswith("国网") else landline(rng),
                date(2019, 1, 1) + timedelta(days=rng.randint(0, 2800)),
            ]
        )
    return Table(fields, rows)


GENERATORS = {
    "bus_lines": bus_lines,
    "bus_stops": bus_stops,
    "coach_routes": coach_routes,
    "public_bikes": public_bikes,
    "parking_flawed": parking_flawed,
    "ev_chargers": ev_chargers,
}
