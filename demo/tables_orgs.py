"""Row generators: social organisations, HR agencies, training schools and job fairs."""

from __future__ import annotations

import random
from datetime import date, timedelta

from model import Field, Table
from places import (
    ROADS,
    company_name,
    credit_code,
    landline,
    pick_district,
    street_address,
)


def social_orgs(rng: random.Random) -> Table:
    """社会组织登记信息 (51 社会团体, 52 民办非企业单位, 53 基金会)."""
    kinds = (
        ("51", "社会团体", ("协会", "商会", "学会", "研究会")),
        ("52", "民办非企业单位", ("养老服务中心", "社会工作服务中心", "职业培训学校", "康复中心")),
        ("53", "基金会", ("慈善基金会", "教育基金会")),
    )
    topics = (
        "餐饮行业",
        "物流",
        "摄影家",
        "老年体育",
        "青年企业家",
        "中医药",
        "志愿服务",
        "计算机",
        "园林",
        "温州",
        "福建",
        "书法家",
        "环保",
        "助残",
        "家庭教育",
        "网球",
        "徒步",
    )
    fields = [
        Field("社会组织名称"),
        Field("统一社会信用代码"),
        Field("社会组织类型"),
        Field("登记管理机关"),
        Field("业务主管单位"),
        Field("成立登记日期", "date"),
        Field("住所"),
        Field("登记状态"),
    ]
    rows = []
    for _ in range(110):
        code_kind, label, suffixes = rng.choices(kinds, weights=(5, 4, 1))[0]
        d = pick_district(rng)
        city_level = rng.random() < 0.6
        prefix = (
            "江州市" if city_level else f"江州市{d.name}" if not d.name.endswith("县") else d.name
        )
        rows.append(
            [
                f"{prefix}{rng.choice(topics)}{rng.choice(suffixes)}",
                credit_code(rng, d, code_kind),
                label,
                "江州市民政局" if city_level else f"{d.name}民政局",
                rng.choice(
                    ("", "", "江州市工商业联合会", "江州市科学技术协会", "江州市文学艺术界联合会")
                ),
                date(2000, 1, 1) + timedelta(days=rng.randint(0, 9400)),
                street_address(rng, d),
                rng.choice(("正常", "正常", "正常", "注销", "撤销")),
            ]
        )
    return Table(fields, rows)


def hr_agencies(rng: random.Random) -> Table:
    """人力资源服务机构名录 (XLSX)."""
    fields = [
        Field("机构名称"),
        Field("统一社会信用代码"),
        Field("许可证编号"),
        Field("服务范围"),
        Field("地址"),
        Field("联系电话"),
        Field("发证日期", "date"),
    ]
    rows = []
    for i in range(55):
        d = pick_district(rng, urban_only=True)
        issued = date(2020, 1, 1) + timedelta(days=rng.randint(0, 2400))
        rows.append(
            [
                company_name(rng, ("人力资源", "有限公司")),
                credit_code(rng, d),
                f"（赣）人服证字〔{issued:%Y}〕第{d.region}{i + 1:04d}号",
                rng.choice(
                    (
                        "职业中介、人力资源供求信息收集和发布",
                        "人力资源服务外包、劳务派遣",
                        "高级人才寻访、人力资源测评",
                    )
                ),
                street_address(rng, d),
                landline(rng),
                issued,
            ]
        )
    return Table(fields, rows)


def training_orgs(rng: random.Random) -> Table:
    """职业技能培训机构名录."""
    fields = [
        Field("机构名称"),
        Field("统一社会信用代码"),
        Field("办学许可证号"),
        Field("培训工种"),
        Field("地址"),
        Field("联系电话"),
    ]
    trades = (
        "电工、焊工",
        "育婴员、保育师",
        "养老护理员",
        "中式烹调师、中式面点师",
        "电子商务师",
        "美容师、美发师",
        "汽车维修工",
        "茶艺师",
    )
    rows = []
    for i in range(42):
        d = pick_district(rng)
        rows.append(
            [
                f"江州市{rng.choice(ROADS)[:2]}职业技能培训学校",
                credit_code(rng, d, "52"),
                f"人社民{d.region}{i + 1:07d}号",
                rng.choice(trades),
                street_address(rng, d),
                landline(rng),
            ]
        )
    return Table(fields, rows)


# fmt: off
RARE_COMPANIES = ("江州堃泰新材料有限公司", "江州喆睿信息技术有限公司", "江州昇华电子科技有限公司",
                  "江州鑫垚建材有限公司")
# fmt: on


# fmt: off
JOBS = (("软件开发工程师", "本科", (8000, 15000)), ("普工", "不限", (4000, 6000)), ("会计", "大专", (4500, 7000)),
        ("电工", "中专", (5000, 8000)), ("销售代表", "大专", (4000, 10000)), ("护士", "大专", (4500, 7500)),
        ("质检员", "中专", (4200, 6000)), ("仓库管理员", "高中", (4000, 5500)), ("数控操作工", "中专", (5500, 9000)),
        ("行政专员", "本科", (4500, 6500)), ("厨师", "不限", (5000, 8000)), ("驾驶员", "不限", (5000, 7000)))
# fmt: on


def job_fairs(rng: random.Random, year: int) -> Table:
    """就业招聘会信息 for one year (written in GB18030; company names use 堃/喆/昇/垚)."""
    fields = [
        Field("招聘会名称"),
        Field("举办日期", "date"),
        Field("举办地点"),
        Field("主办单位"),
        Field("参会企业"),
        Field("招聘岗位"),
        Field("招聘人数", "integer"),
        Field("学历要求"),
        Field("薪资范围(元/月)"),
        Field("咨询电话"),
    ]
    themes = (
        "春风行动专场招聘会",
        "民营企业招聘月专场",
        "高校毕业生就业专场招聘会",
        "退役军人专场招聘会",
        "金秋招聘月专场",
        "就业援助月专场招聘会",
        "乡村振兴专场招聘会",
    )
    rows = []
    months = (2, 3, 5, 6, 9, 10, 12) if year == 2025 else (2, 3, 4, 5, 6, 9, 10)
    for theme, month in zip(themes, months, strict=True):
        day = date(year, month, rng.randint(5, 25))
        place = rng.choice(
            (
                "江州市人力资源市场",
                "江州国际会展中心",
                "江州职业技术学院体育馆",
                "白沙县人力资源市场",
            )
        )
        phone = landline(rng)
        companies = list(RARE_COMPANIES) + [company_name(rng) for _ in range(14)]
        rng.shuffle(companies)
        for company in companies[: rng.randint(18, 24) - 4]:
            job, edu, (low, high) = rng.choice(JOBS)
            rows.append(
                [
                    f"{year}年江州市{theme}",
                    day,
                    place,
                    "江州市人力资源和社会保障局",
                    company,
                    job,
                    rng.randint(1, 30),
                    edu,
                    f"{low}-{high}",
                    phone,
                ]
            )
        for company in RARE_COMPANIES:
            if not any(r[4] == company for r in rows if r[1] == day):
                job, edu, (low, high) = rng.choice(JOBS)
                rows.append(
                    [
                        f"{year}年江州市{theme}",
                        day,
                        place,
                        "江州市人力资源和社会保障局",
                        company,
                        job,
                        rng.randint(1, 10),
                        edu,
                        f"{low}-{high}",
                        phone,
                    ]
                )
    return Table(fields, rows)


GENERATORS = {
    "social_orgs": social_orgs,
    "hr_agencies": hr_agencies,
    "training_orgs": training_orgs,
    "job_fairs_2025": lambda rng: job_fairs(rng, 2025),
    "job_fairs_2026": lambda rng: job_fairs(rng, 2026),
}
