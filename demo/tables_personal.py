"""Row generators with synthetic personal data (for 有条件开放 datasets, and one mis-declared list).

All names, ID numbers, phones, addresses, e-mails and cards are invented by ``people.py``.
"""

from __future__ import annotations

import random
from datetime import date, datetime, timedelta

from model import Field, Table, add_years
from people import bank_card, email, id15, mobile, people_batch
from places import ROADS, company_name, pick_district
from tables_health import CITY_HOSPITALS
from tables_housing import affordable_project_names

AS_OF = date(2026, 10, 31)


def _age(birth: date) -> int:
    return AS_OF.year - birth.year - ((AS_OF.month, AS_OF.day) < (birth.month, birth.day))


def dibao(rng: random.Random) -> Table:
    """城乡最低生活保障对象名单 (XLSX)."""
    fields = [
        Field("序号", "integer"),
        Field("户主姓名"),
        Field("性别"),
        Field("身份证号"),
        Field("所在区县"),
        Field("街道（乡镇）"),
        Field("家庭住址"),
        Field("保障类别"),
        Field("保障人口", "integer"),
        Field("月保障金额(元)", "number"),
        Field("联系电话"),
        Field("审批日期", "date"),
    ]
    rows = []
    for i, p in enumerate(people_batch(rng, 120, 1940, 2000), 1):
        rural = p.district.name.endswith("县")
        size = rng.randint(1, 5)
        standard = 720 if rural else 900
        rows.append(
            [
                i,
                p.name,
                p.sex,
                p.id_number,
                p.district.name,
                rng.choice(p.district.towns),
                p.address,
                "农村低保" if rural else "城市低保",
                size,
                float(size * standard * rng.choice((0.5, 0.8, 1.0))),
                p.mobile,
                date(2021, 1, 1) + timedelta(days=rng.randint(0, 2100)),
            ]
        )
    return Table(fields, rows)


def elderly_allowance(rng: random.Random) -> Table:
    """高龄津贴发放名单: Luhn-valid bank cards; a few old 15-digit ID numbers."""
    fields = [
        Field("序号", "integer"),
        Field("姓名"),
        Field("性别"),
        Field("身份证号", description="部分为一代15位证号"),
        Field("出生日期", "date"),
        Field("年龄", "integer"),
        Field("所在区县"),
        Field("户籍地址"),
        Field("津贴标准(元/月)", "integer"),
        Field("发放月份"),
        Field("开户银行"),
        Field("银行卡号"),
        Field("家属联系电话"),
    ]
    banks = {
        "621700": "中国建设银行",
        "622848": "中国农业银行",
        "622202": "中国工商银行",
        "621226": "中国工商银行",
        "621799": "中国邮政储蓄银行",
        "621661": "中国银行",
        "623668": "中国建设银行",
        "622588": "招商银行",
        "622155": "中国工商银行",
    }
    rows = []
    people = people_batch(rng, 150, 1940, 1946)
    old_ids = set(range(7, 150, 21))  # seven people still registered with a first-generation ID
    for i, p in enumerate(people, 1):
        card = bank_card(rng, 16 if i % 17 == 0 else None)
        number = id15(rng, p.district.region, p.birth, p.sex) if i in old_ids else p.id_number
        rows.append(
            [
                i,
                p.name,
                p.sex,
                number,
                p.birth,
                _age(p.birth),
                p.district.name,
                p.address,
                100,
                "2026-10",
                banks[card[:6]],
                card,
                mobile(rng),
            ]
        )
    return Table(fields, rows)


def volunteers(rng: random.Random) -> Table:
    """志愿者服务队名单 — declared 无条件开放 but lists team leaders' personal mobiles."""
    fields = [
        Field("服务队名称"),
        Field("服务领域"),
        Field("所属社区"),
        Field("成立日期", "date"),
        Field("队员人数", "integer"),
        Field("负责人"),
        Field("联系电话"),
        Field("累计服务时长(小时)", "integer"),
    ]
    areas = (
        "助老助残",
        "社区治理",
        "环境保护",
        "文明交通",
        "关爱青少年",
        "应急救援",
        "文化宣传",
        "医疗卫生",
    )
    rows = []
    for p in people_batch(rng, 48, 1955, 2004):
        area = rng.choice(areas)
        community = f"{rng.choice(p.district.towns)}{rng.choice(('幸福', '和谐', '滨江', '东湖', '新村', '红星'))}社区"
        rows.append(
            [
                f"{community}{area}志愿服务队",
                area,
                f"{p.district.name}{community}",
                date(2015, 1, 1) + timedelta(days=rng.randint(0, 3800)),
                rng.randint(8, 120),
                p.name,
                p.mobile,
                rng.randint(50, 9000),
            ]
        )
    return Table(fields, rows)


def physicians(rng: random.Random) -> Table:
    """执业医师注册信息 (with personal e-mail addresses)."""
    fields = [
        Field("姓名"),
        Field("性别"),
        Field("出生日期", "date"),
        Field("身份证号"),
        Field("医师执业证书编码"),
        Field("执业类别"),
        Field("执业范围"),
        Field("主要执业机构"),
        Field("注册日期", "date"),
        Field("手机号码"),
        Field("电子邮箱"),
    ]
    scopes = {
        "临床": (
            "内科专业",
            "外科专业",
            "妇产科专业",
            "儿科专业",
            "急救医学专业",
            "医学影像和放射治疗专业",
        ),
        "中医": ("中医专业", "中西医结合专业", "针灸推拿专业"),
        "口腔": ("口腔专业",),
        "公共卫生": ("公共卫生类别专业",),
    }
    rows = []
    for p in people_batch(rng, 200, 1962, 1998):
        kind = rng.choices(tuple(scopes), weights=(70, 15, 8, 7))[0]
        registered = date(max(p.birth.year + 26, 2000), 1, 1) + timedelta(days=rng.randint(0, 2500))
        registered = min(registered, date(2026, 9, 30))
        rows.append(
            [
                p.name,
                p.sex,
                p.birth,
                p.id_number,
                f"1{'1' if kind == '临床' else '2'}0{p.district.region}{rng.randint(0, 999999):06d}",
                kind,
                rng.choice(scopes[kind]),
                rng.choice(CITY_HOSPITALS)[0],
                registered,
                p.mobile,
                email(rng, p),
            ]
        )
    return Table(fields, rows)


def drivers(rng: random.Random) -> Table:
    """机动车驾驶人信息."""
    fields = [
        Field("姓名"),
        Field("性别"),
        Field("身份证号"),
        Field("准驾车型"),
        Field("初次领证日期", "date"),
        Field("有效期至", "date"),
        Field("驾驶证状态"),
        Field("累积记分", "integer"),
        Field("联系电话"),
        Field("联系地址"),
    ]
    rows = []
    for p in people_batch(rng, 300, 1950, 2005):
        first = date(max(p.birth.year + 18, 1990), 1, 1) + timedelta(days=rng.randint(0, 3000))
        first = min(first, date(2026, 9, 1))
        valid = add_years(first, 6)
        while valid < date(2024, 1, 1):
            valid = add_years(valid, 10)
        status = "正常" if valid > AS_OF else "逾期未换证"
        if rng.random() < 0.04:
            status = rng.choice(("超分", "逾期未审验", "注销"))
        rows.append(
            [
                p.name,
                p.sex,
                p.id_number,
                rng.choices(
                    ("C1", "C2", "B2", "A2", "A1", "D", "C1E"), weights=(60, 15, 8, 4, 3, 5, 5)
                )[0],
                first,
                valid,
                status,
                rng.choice((0, 0, 0, 1, 2, 3, 6, 9, 12)),
                p.mobile,
                p.address,
            ]
        )
    return Table(fields, rows)


def public_rental_tenants(rng: random.Random) -> Table:
    """公租房承租人信息 (XLSX): phone numbers hide inside the free-text 备注 column."""
    fields = [
        Field("合同编号"),
        Field("承租人姓名"),
        Field("身份证号"),
        Field("家庭人口", "integer"),
        Field("项目名称"),
        Field("房号"),
        Field("建筑面积(平方米)", "number"),
        Field("月租金(元)", "number"),
        Field("租赁起始日期", "date"),
        Field("租赁终止日期", "date"),
        Field("备注"),
    ]
    projects = [n for n in affordable_project_names() if "公租房" in n or "人才" in n]
    notes = (
        "",
        "",
        "",
        "",
        "已申请调换房源",
        "租金已缴至2026年12月",
        "请联系{m}办理续租手续",
        "承租人已申请调换房源，联系电话{m}",
        "备注：请联系{m}办理",
        "家属代办，电话 {m}",
        "2026年复核通过",
    )
    rows = []
    for i, p in enumerate(people_batch(rng, 160, 1950, 2000), 1):
        start = date(2021, 1, 1) + timedelta(days=rng.randint(0, 2000))
        area = round(rng.uniform(38, 64), 1)
        note = rng.choice(notes).format(m=p.mobile if rng.random() < 0.6 else mobile(rng))
        if i == 3:
            note = "备注: 请联系13912345678 办理"
        rows.append(
            [
                f"JZGZF-{start:%Y}-{i:05d}",
                p.name,
                p.id_number,
                rng.randint(1, 5),
                rng.choice(projects),
                f"{rng.randint(1, 12)}栋{rng.randint(1, 3)}单元{rng.randint(2, 18)}{rng.randint(1, 4):02d}",
                area,
                round(area * rng.choice((8.0, 9.5, 11.0)), 2),
                start,
                add_years(start, 3) - timedelta(days=1),
                note,
            ]
        )
    return Table(fields, rows)


def unemployment(rng: random.Random) -> Table:
    """失业保险金领取人员名单 (with e-mail addresses)."""
    fields = [
        Field("姓名"),
        Field("性别"),
        Field("身份证号"),
        Field("原工作单位"),
        Field("累计缴费月数", "integer"),
        Field("核定领取月数", "integer"),
        Field("月领取标准(元)", "number"),
        Field("开始领取月份"),
        Field("联系电话"),
        Field("电子邮箱"),
        Field("户籍地址"),
    ]
    rows = []
    for p in people_batch(rng, 150, 1966, 2003):
        paid = rng.randint(12, 240)
        months = min(24, max(3, paid // 12 * 2))
        start = date(2025, 6, 1) + timedelta(days=rng.randint(0, 480))
        rows.append(
            [
                p.name,
                p.sex,
                p.id_number,
                company_name(rng),
                paid,
                months,
                1620.0,
                f"{start:%Y-%m}",
                p.mobile,
                email(rng, p) if rng.random() < 0.85 else "",
                p.address,
            ]
        )
    return Table(fields, rows)


def medical_assistance(rng: random.Random) -> Table:
    """医疗救助对象名单 (救助 amounts per hospital stay)."""
    fields = [
        Field("姓名"),
        Field("身份证号"),
        Field("救助类别"),
        Field("所在区县"),
        Field("就诊医院"),
        Field("结算日期", "date"),
        Field("医疗总费用(元)", "number"),
        Field("医保统筹支付(元)", "number"),
        Field("医疗救助金额(元)", "number"),
    ]
    rows = []
    for p in people_batch(rng, 130, 1940, 2005):
        total = round(rng.uniform(800, 90000), 2)
        pool = round(total * rng.uniform(0.5, 0.75), 2)
        rows.append(
            [
                p.name,
                p.id_number,
                rng.choice(("特困人员", "低保对象", "低保边缘家庭成员", "防止返贫监测对象")),
                p.district.name,
                rng.choice(CITY_HOSPITALS)[0],
                date(2026, 1, 5) + timedelta(days=rng.randint(0, 290)),
                total,
                pool,
                round((total - pool) * rng.uniform(0.5, 0.8), 2),
            ]
        )
    return Table(fields, rows)


# (违法行为, 罚款金额(元), 记分, weight) — amounts and points as in 江西省 practice (simplified).
# fmt: off
VIOLATIONS = (
    ("驾驶机动车违反道路交通信号灯通行（闯红灯）", 200, 6, 14),
    ("机动车行驶超过规定时速未达20%", 100, 1, 18),
    ("机动车行驶超过规定时速20%以上未达50%", 200, 3, 6),
    ("机动车违反规定停放、临时停车（不按规定停放）", 150, 0, 22),
    ("不按所需行进方向驶入导向车道", 100, 1, 12),
    ("机动车行经人行横道未按规定减速、停车、避让行人", 200, 3, 8),
    ("驾驶时拨打、接听手持电话", 200, 3, 6),
    ("驾驶人未按规定使用安全带", 50, 1, 7),
    ("违反禁止标线指示", 100, 1, 5),
    ("机动车逆向行驶", 200, 3, 2),
)
# fmt: on
_PLATE_CHARS = "ABCDEFGHJKLMNPQRSTUVWXYZ"  # no I or O on Chinese plates


def _plate(rng: random.Random) -> str:
    """A 江州 plate, 赣G·A12B3 (blue, five characters) or 赣G·D12345 (green, new energy)."""
    if rng.random() < 0.2:
        return f"赣G·{rng.choice('DF')}{rng.randint(0, 99999):05d}"
    tail = [rng.choice(_PLATE_CHARS)] + [str(rng.randint(0, 9)) for _ in range(4)]
    if rng.random() < 0.5:
        tail[rng.randint(1, 3)] = rng.choice(_PLATE_CHARS)
    return "赣G·" + "".join(tail)


def traffic_violations(rng: random.Random) -> Table:
    """道路交通违法行为处理记录 — 不予开放 (privacy) but released de-identified via masking rules.

    驾驶证号 is the holder's 18-digit ID number; 决定书编号 (16 digits, region + serial) is not,
    and stays empty while a record is 未处理.
    """
    fields = [
        Field("序号", "integer"),
        Field("决定书编号", description="公安交通管理简易程序处罚决定书编号；未处理的记录暂无"),
        Field("违法时间", "datetime", extra=(("format", "%Y-%m-%d %H:%M"),)),
        Field("违法地点"),
        Field("违法行为"),
        Field("罚款金额(元)", "number"),
        Field("记分", "integer"),
        Field("当事人姓名"),
        Field("驾驶证号", description="即公民身份号码"),
        Field("联系电话"),
        Field("车牌号码"),
        Field("处理状态"),
    ]
    weights = [v[3] for v in VIOLATIONS]
    first = datetime(2026, 9, 21, 0, 0)
    minutes = (datetime(2026, 11, 20, 0, 0) - first) // timedelta(minutes=1)
    times = sorted(first + timedelta(minutes=rng.randint(6 * 60, minutes - 60)) for _ in range(150))
    rows = []
    serial = rng.randint(1_230_000_000, 1_240_000_000)
    for i, (when, p) in enumerate(zip(times, people_batch(rng, 150, 1958, 2004), strict=True), 1):
        d = pick_district(rng, urban_only=True)
        road = rng.choice(ROADS)
        cross = rng.choice([r for r in ROADS if r != road])
        place = rng.choice(
            (
                f"{road}与{cross}交叉口",
                f"{road}与{cross}交叉口{rng.choice('东西南北')}{rng.randint(20, 150)}米",
                f"{road}{rng.randint(1, 899)}号附近",
            )
        )
        act, fine, points, _ = rng.choices(VIOLATIONS, weights=weights)[0]
        age = (datetime(2026, 11, 20) - when).days
        done = rng.random() < (0.97 if age > 30 else 0.7 if age > 7 else 0.25)
        serial += rng.randint(3, 400)
        rows.append(
            [
                i,
                f"{d.region}{serial:010d}" if done else "",
                f"{when:%Y-%m-%d %H:%M}",
                f"江州市{d.name}{place}",
                act,
                fine,
                points,
                p.name,
                p.id_number,
                p.mobile,
                _plate(rng),
                "已处理" if done else "未处理",
            ]
        )
    return Table(fields, rows)


GENERATORS = {
    "dibao": dibao,
    "elderly_allowance": elderly_allowance,
    "volunteers": volunteers,
    "physicians": physicians,
    "drivers": drivers,
    "public_rental_tenants": public_rental_tenants,
    "unemployment": unemployment,
    "medical_assistance": medical_assistance,
    "traffic_violations": traffic_violations,
}
