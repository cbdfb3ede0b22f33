"""Row generators: health directories (hospitals, vaccination clinics, pharmacies).

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
    pick_district,
    street_address,
)

# fmt: off
CITY_HOSPITALS = (
    ("江州市第一人民医院", "综合医院", "三级甲等", 1800), ("江州市第二人民医院", "综合医院", "三级乙等", 900),
    ("江州市中医院", "中医医院", "三级甲等", 1100), ("江州市妇幼保健院", "妇幼保健院", "三级甲等", 650),
    ("江州市第三人民医院", "专科医院", "三级乙等", 600), ("江州市传染病医院", "专科医院", "二级甲等", 300),
    ("江州市肿瘤医院", "专科医院", "三级乙等", 500), ("江州市口腔医院", "专科医院", "二级甲等", 80),
    ("江州大学附属医院", "综合医院", "三级甲等", 2200), ("江州市急救中心", "急救中心", "未定级", 0),
)
# fmt: on


def hospitals(rng: random.Random) -> Table:
    """医疗机构名录."""
    fields = [
        Field("机构名称"),
        Field("机构类别"),
        Field("医院等级"),
        Field("经营性质", description="公立/民营"),
        Field("所在区县"),
        Field("地址"),
        Field("联系电话", description="机构办公电话"),
        Field("床位数", "integer"),
        Field("统一社会信用代码"),
        Field("是否医保定点", "boolean", extra=YES_NO),
    ]
    rows = []
    for name, kind, grade, beds in CITY_HOSPITALS:
        d = pick_district(rng, urban_only=True)
        rows.append(
            [
                name,
                kind,
                grade,
                "公立",
                d.name,
                street_address(rng, d),
                landline(rng),
                beds,
                credit_code(rng, d, "12"),
                "是",
            ]
        )
    for d in DISTRICTS:
        rows.append(
            [
                f"{d.name}人民医院",
                "综合医院",
                "二级甲等",
                "公立",
                d.name,
                street_address(rng, d),
                landline(rng),
                rng.randint(200, 600),
                credit_code(rng, d, "12"),
                "是",
            ]
        )
        rows.append(
            [
                f"{d.name}中医院",
                "中医医院",
                rng.choice(("二级甲等", "二级乙等")),
                "公立",
                d.name,
                street_address(rng, d),
                landline(rng),
                rng.randint(100, 300),
                credit_code(rng, d, "12"),
                "是",
            ]
        )
        for town in d.towns:
            kind = "乡镇卫生院" if town.endswith(("镇", "乡")) else "社区卫生服务中心"
            rows.append(
                [
                    f"{d.name}{town}{'卫生院' if kind == '乡镇卫生院' else '社区卫生服务中心'}",
                    kind,
                    rng.choice(("一级", "一级甲等", "未定级")),
                    "公立",
                    d.name,
                    street_address(rng, d),
                    landline(rng),
                    rng.randint(0, 60),
                    credit_code(rng, d, "12"),
                    "是",
                ]
            )
        for _ in range(rng.randint(2, 4)):
            stem = rng.choice(COMPANY_STEMS)
            kind = rng.choice(("综合医院", "专科医院", "门诊部", "诊所"))
            suffix = {
                "综合医院": "医院",
                "专科医院": rng.choice(("眼科医院", "骨科医院", "康复医院")),
                "门诊部": "门诊部",
                "诊所": "中医诊所",
            }[kind]
            rows.append(
                [
                    f"江州{stem}{suffix}",
                    kind,
                    "未定级" if kind in ("门诊部", "诊所") else "一级",
                    "民营",
                    d.name,
                    street_address(rng, d),
                    landline(rng),
                    0 if kind in ("门诊部", "诊所") else rng.randint(20, 150),
                    credit_code(rng, d, rng.choice(("91", "52"))),
                    rng.choice(("是", "否")),
                ]
            )
    return Table(fields, rows)


def vaccination_clinics(rng: random.Random) -> Table:
    """预防接种门诊名录."""
    fields = [
        Field("门诊名称"),
        Field("门诊类型"),
        Field("所属机构"),
        Field("所在区县"),
        Field("地址"),
        Field("服务时间"),
        Field("咨询电话"),
    ]
    rows = []
    for d in DISTRICTS:
        for town in d.towns:
            host = (
                f"{d.name}{town}{'卫生院' if town.endswith(('镇', '乡')) else '社区卫生服务中心'}"
            )
            for kind in rng.sample(
                ("儿童预防接种门诊", "成人预防接种门诊", "狂犬病暴露预防处置门诊"), 2
            ):
                rows.append(
                    [
                        f"{host}{kind}",
                        kind,
                        host,
                        d.name,
                        street_address(rng, d),
                        rng.choice(
                            (
                                "周一至周五 8:00-11:30、14:30-17:00",
                                "周二、周四、周六上午",
                                "每日 8:00-17:30",
                            )
                        ),
                        landline(rng),
                    ]
                )
    rows.append(
        [
            "江州市妇幼保健院产科接种室",
            "产科接种室",
            "江州市妇幼保健院",
            "江南区",
            street_address(rng, DISTRICTS[0]),
            "24小时",
            landline(rng),
        ]
    )
    return Table(fields, rows)


def pharmacies(rng: random.Random) -> Table:
    """药店名录 (药品经营许可证编号 such as 赣CB7920123)."""
    fields = [
        Field("企业名称"),
        Field("药品经营许可证编号"),
        Field("统一社会信用代码"),
        Field("经营方式"),
        Field("经营范围"),
        Field("所在区县"),
        Field("地址"),
        Field("许可证有效期至", "date"),
        Field("是否医保定点", "boolean", extra=YES_NO),
        Field("是否24小时营业", "boolean", extra=YES_NO),
    ]
    chains = (
        "江州百姓大药房连锁有限公司",
        "江州康宁医药连锁有限公司",
        "江州仁和堂大药房连锁有限公司",
    )
    rows = []
    for i in range(160):
        d = pick_district(rng)
        chain = rng.random() < 0.55
        road = rng.choice(ROADS)
        name = (
            f"{rng.choice(chains)}{road}店" if chain else f"江州市{rng.choice(COMPANY_STEMS)}大药房"
        )
        rows.append(
            [
                name,
                f"赣{'CB' if chain else 'DB'}{7920000 + i * 7 + rng.randint(1, 6)}",
                credit_code(rng, d),
                "零售（连锁）" if chain else "零售",
                rng.choice(
                    (
                        "中药饮片、中成药、化学药、生物制品",
                        "中成药、化学药",
                        "处方药、甲类非处方药、乙类非处方药",
                    )
                ),
                d.name,
                street_address(rng, d),
                date(2026, 6, 1) + timedelta(days=rng.randint(30, 1700)),
                "是" if rng.random() < 0.7 else "否",
                "是" if rng.random() < 0.1 else "否",
            ]
        )
    return Table(fields, rows)


GENERATORS = {
    "hospitals": hospitals,
    "vaccination_clinics": vaccination_clinics,
    "pharmacies": pharmacies,
}
