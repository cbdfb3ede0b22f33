"""Synthetic geography and organisations of 江州市: districts, roads, addresses, companies."""

from __future__ import annotations

import random
from dataclasses import dataclass

from checksums import USCC_CHARSET, id_check, make_uscc
from departments import CITY_AREA_CODE


@dataclass(frozen=True)
class District:
    name: str
    region: str  # 6-digit 行政区划代码, also the first six digits of residents' ID numbers
    lon: float
    lat: float
    towns: tuple[str, ...]  # 街道 / 乡镇


# fmt: off
DISTRICTS: tuple[District, ...] = (
    District("江南区", "361002", 115.992, 29.712, ("滨江街道", "南门街道", "白鹭洲街道",
                                                     "望江街道")),
    District("江北区", "361003", 116.011, 29.748, ("北湖街道", "江北街道", "龙山街道", "港口街道")),
    District("临湖区", "361004", 115.941, 29.690, ("临湖街道", "湖心街道", "柳岸街道", "渔村镇")),
    District("青山区", "361005", 116.058, 29.701, ("青山街道", "翠屏街道", "石门镇", "松林镇")),
    District("高新区", "361071", 115.963, 29.655, ("高新街道", "创新街道", "科技城街道")),
    District("白沙县", "361021", 115.812, 29.563, ("白沙镇", "沙河镇", "清水乡", "梅岭乡")),
    District("云溪县", "361022", 116.204, 29.842, ("云溪镇", "溪口镇", "雾峰乡", "桃源乡")),
)
# fmt: on
URBAN = DISTRICTS[:5]

# fmt: off
ROADS = (
    "人民路", "解放路", "滨江大道", "建设路", "湖滨路", "青年路", "文化路", "长江路", "八一大道",
    "庐山路", "浔阳路", "南湖路", "北京路", "沿江路", "胜利路", "中山路", "学府路", "科技大道",
    "创新路", "青山路", "白沙大道", "云溪路", "望江路", "龙山路", "柳岸路", "翠屏路", "九龙街",
    "环城路", "迎宾大道", "兴业路", "民主路", "和平路", "东风路", "江州大道", "湖心路", "港口路",
)
# fmt: on

# fmt: off
COMPANY_STEMS = (
    "恒达", "瑞丰", "鑫源", "华信", "宏远", "博远", "绿源", "金盛", "天成", "永安", "汇通", "嘉禾",
    "锦江", "江州", "湖畔", "青峰", "白鹭", "云溪", "兴华", "长荣", "富民", "顺安", "利民", "新程",
    "东方", "卓越", "智联", "星河", "宏图", "信达", "润泽", "安康", "明德", "鼎盛", "聚力", "浩然",
)
# fmt: on
# fmt: off
COMPANY_TRADES = (
    ("科技", "有限公司"), ("建设工程", "有限公司"), ("食品", "有限公司"),
    ("商贸", "有限公司"), ("物流", "有限公司"), ("环保科技", "有限公司"),
    ("医药", "连锁有限公司"), ("电子", "股份有限公司"), ("农业发展", "有限公司"),
    ("置业", "有限公司"), ("餐饮管理", "有限公司"), ("机械制造", "有限公司"),
    ("新材料", "股份有限公司"), ("化工", "有限公司"), ("纺织", "有限公司"),
    ("信息技术", "有限公司"),
)
# fmt: on
_ORG_BODY_CHARS = USCC_CHARSET[:-1]  # digits and letters allowed in the org code body (no Y)


def pick_district(rng: random.Random, urban_only: bool = False) -> District:
    """A district, weighted towards the urban districts."""
    pool = URBAN if urban_only else DISTRICTS
    weights = [3, 3, 2, 2, 2, 1, 1][: len(pool)]
    return rng.choices(pool, weights=weights)[0]


def street_address(rng: random.Random, district: District | None = None) -> str:
    """An institutional address such as 江州市江南区滨江大道88号."""
    d = district or pick_district(rng)
    if d.name.endswith("县") and rng.random() < 0.5:
        return f"江州市{d.name}{rng.choice(d.towns)}{rng.choice(ROADS)}{rng.randint(1, 299)}号"
    return f"江州市{d.name}{rng.choice(ROADS)}{rng.randint(1, 899)}号"


def home_address(rng: random.Random, district: District | None = None) -> str:
    """A private home address down to the room: 江州市江南区xx路xx号x栋x单元xxx室."""
    base = street_address(rng, district)
    floor = rng.randint(1, 18)
    return f"{base}{rng.randint(1, 24)}栋{rng.randint(1, 4)}单元{floor}{rng.randint(1, 4):02d}室"


def landline(rng: random.Random) -> str:
    """An institutional landline, e.g. 0792-8123456."""
    return f"{CITY_AREA_CODE}-{rng.choice('2345678')}{rng.randint(0, 999999):06d}"


def lon_lat(rng: random.Random, district: District, spread: float = 0.03) -> tuple[float, float]:
    """A point near the district centre, rounded to 6 decimals (GCJ-02 style)."""
    lon = district.lon + rng.uniform(-spread, spread)
    lat = district.lat + rng.uniform(-spread, spread)
    return round(lon, 6), round(lat, 6)


def company_name(
    rng: random.Random, trade: tuple[str, str] | None = None, prefix: str = "江州"
) -> str:
    """A plausible company name (stem + trade + legal form)."""
    stem = rng.choice(COMPANY_STEMS)
    middle, form = trade or rng.choice(COMPANY_TRADES)
    place = prefix if stem != prefix else "江州市"
    return f"{place}{stem}{middle}{form}"


def org_body(rng: random.Random, prefix: str = "MA3") -> str:
    """Eight-character 组织机构代码 body: new-style ``MA3xxxxx`` or an old numeric one."""
    if prefix:
        return prefix + "".join(rng.choice(_ORG_BODY_CHARS) for _ in range(8 - len(prefix)))
    return "".join(rng.choice("0123456789") for _ in range(8))


def credit_code(rng: random.Random, district: District | None = None, kind: str = "91") -> str:
    """A valid 统一社会信用代码.

    ``kind``: 91 企业, 93 合作社, 51 社团, 52 民办非企业, 53 基金会, 31 律所, 12 事业单位.
    """
    d = district or pick_district(rng)
    prefix = "MA3" if kind in ("91", "93") else ""
    if kind in ("91", "93") and rng.random() < 0.25:
        prefix = ""  # older companies kept their numeric 组织机构代码
    return make_uscc(kind, d.region, org_body(rng, prefix))


def unique(rng: random.Random, make, n: int, attempts: int = 50) -> list:
    """Call ``make(rng)`` until ``n`` distinct values are collected."""
    seen: list = []
    for _ in range(n * attempts):
        value = make(rng)
        if value not in seen:
            seen.append(value)
            if len(seen) == n:
                return seen
    raise RuntimeError(f"could not make {n} distinct values")


def serial18(rng: random.Random, first17: str) -> str:
    """Complete a 17-digit serial (e.g. a permit number) with a digit that is NOT the ID check.

    Such numbers look like 身份证号 but fail GB 11643, so they are hard negatives for a scanner.
    """
    wrong = [d for d in "0123456789" if d != id_check(first17)]
    return first17 + rng.choice(wrong)
