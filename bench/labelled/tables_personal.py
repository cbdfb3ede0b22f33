"""Labelled tables holding personal information (and the clean columns around it)."""

from __future__ import annotations

import random

from bench.labelled import fake as f
from bench.labelled.fake import Table, Value

ID, ID15, MOBILE, CARD, EMAIL = ["id_card"], ["id_card_15"], ["mobile"], ["bank_card"], ["email"]
NAME, ADDRESS, BIRTH, HOME_PHONE = ["name"], ["address"], ["birth_date"], ["landline"]
CLEAN: list[str] = []


def seq(r: random.Random, i: int) -> str:
    return str(i + 1)


def pick(*choices: str) -> Value:
    return lambda r, i: r.choice(choices)


def num(low: int, high: int) -> Value:
    return lambda r, i: str(r.randint(low, high))


def money(low: float, high: float) -> Value:
    return lambda r, i: f.amount(r, low, high)


def day(first: int = 2020, last: int = 2025, fmt: str = "%Y-%m-%d") -> Value:
    return lambda r, i: f.day(r, first, last, fmt)


def one_in(every: int, value: Value, other: Value = lambda r, i: "") -> Value:
    """``value`` in one row of ``every`` (row 17, 17 + every …), ``other`` elsewhere."""
    return lambda r, i: value(r, i) if i % every == 17 % every else other(r, i)


def ids(x_share: float = 0.1, first: int = 1940, last: int = 2000) -> Value:
    return lambda r, i: f.id18(r, first, last, x=r.random() < x_share)


def names(compound: float = 0.05, minority: float = 0.0) -> Value:
    return lambda r, i: f.name(r, compound, minority)


def mobiles(*styles: str) -> Value:
    return lambda r, i: f.mobile(r, styles or ("plain",))


def remark(r: random.Random, i: int) -> str:
    return r.choice(("", "", "", "已核实", "材料齐全", "2024-03-15 复核通过", "家庭人口3人"))


def doctor_code(r: random.Random, i: int) -> str:
    """医师执业证书编码: 15 digits made of a type, a region code and a serial."""
    return "110" + r.choice(f.DISTRICT_CODES) + f"{r.randrange(10**6):06d}"


def old_or_new_id(r: random.Random, i: int) -> str:
    """Mostly 18-character IDs (some ending in X), every sixth a 15-digit first-generation one."""
    return f.id15(r, 1925, 1946) if i % 6 == 2 else f.id18(r, 1925, 1946, x=i % 7 == 3)


def flat(r: random.Random, i: int) -> str:
    return f"{r.randint(1, 12)}栋{r.randint(1, 3)}单元{r.randint(1, 18)}0{r.randint(1, 4)}"


def team(r: random.Random, i: int) -> str:
    return f"{r.choice(f.TOWNS)}{r.choice(('文明实践', '助老', '环保'))}志愿服务队"


def order_number(r: random.Random, i: int) -> str:
    """15 digits starting with a date (20240315…), as order and ticket numbers do."""
    return f"2024{r.randint(1, 12):02d}{r.randint(1, 28):02d}{r.randrange(10**7):07d}"


def hotline_request(r: random.Random, i: int) -> str:
    if i in (4, 21, 38):
        return f"来电人反映小区路灯损坏，要求回电{f.mobile(r)}"
    return r.choice(("反映噪音扰民", "咨询社保缴费基数2024年标准", "小区停车位收费（每月300元）"))


def complaint(r: random.Random, i: int) -> str:
    if i == 9:
        return f"购买商品存在质量问题，请回复至{f.email(r)}"
    if i == 30:
        return f"消费者要求退款，联系{f.mobile(r, ('spaced',))}"
    return r.choice(("商品价格标示不清", "预付卡无法退费，金额2980元", ""))


def relief_reason(r: random.Random, i: int) -> str:
    if i == 12:
        return f"申请人（身份证{f.id18(r)}）因病致贫"
    return r.choice(("突发火灾", "因病致贫", "交通事故"))


# fmt: off
PERSONAL_TABLES: list[Table] = [
    ("城乡低保对象名单.csv", 60, [
        ("序号", CLEAN, seq),
        ("户主姓名", NAME, names()),
        ("性别", CLEAN, pick("男", "女")),
        ("身份证号", ID, ids(0.15)),
        ("所在街道", CLEAN, lambda r, i: r.choice(f.TOWNS)),
        ("家庭住址", ADDRESS, lambda r, i: f.address(r)),
        ("保障人口", CLEAN, num(1, 5)),
        ("月保障金额(元)", CLEAN, money(300, 2400)),
        ("联系电话", MOBILE, mobiles()),
        ("审批日期", CLEAN, day()),
    ]),
    ("执业医师注册信息.csv", 50, [
        ("姓名", NAME, names()),
        ("性别", CLEAN, pick("男", "女")),
        ("出生日期", BIRTH, day(1960, 1995)),
        ("公民身份号码", ID, ids(0.1, 1960, 1995)),
        ("医师执业证书编码", ["practice_licence"], doctor_code),
        ("执业类别", CLEAN, pick("临床", "中医", "口腔", "公共卫生")),
        ("主要执业机构", CLEAN, pick("江州市第一人民医院", "江州市中医院", "江州市妇幼保健院")),
        ("手机号码", MOBILE, mobiles()),
        ("电子邮箱", EMAIL, lambda r, i: f.email(r)),
    ]),
    ("机动车驾驶人信息.csv", 50, [
        ("姓名", NAME, names()),
        ("身份证明号码", ID, ids(0.1, 1950, 2004)),
        ("准驾车型", CLEAN, pick("C1", "C2", "B2", "A2", "D")),
        ("初次领证日期", CLEAN, day(1995, 2023)),
        ("档案编号", CLEAN, lambda r, i: "3610" + f"{r.randrange(10**8):08d}"),
        ("联系电话", MOBILE, mobiles("plain", "+86", "+86-", "spaced", "dashed")),
        ("联系地址", ADDRESS, lambda r, i: f.address(r)),
        ("累积记分", CLEAN, num(0, 12)),
    ]),
    ("高龄津贴发放名单.csv", 60, [
        ("序号", CLEAN, seq),
        ("姓名", NAME, names(compound=0.3)),
        ("身份证号", ID + ID15, old_or_new_id),
        ("出生年月", BIRTH, day(1925, 1946, "%Y年%m月")),
        ("户籍地址", ADDRESS, lambda r, i: f.address(r)),
        ("开户银行", CLEAN, pick("中国建设银行", "中国工商银行", "中国农业银行", "江州农商银行")),
        ("银行卡号", CARD, lambda r, i: f.bank_card(r, r.choice((16, 19)), grouped=i % 2 == 0)),
        ("发放金额(元)", CLEAN, pick("100.00", "200.00", "300.00")),
        ("家属联系电话", MOBILE, mobiles()),
    ]),
    ("公租房承租人信息.csv", 50, [
        ("合同编号", CLEAN, lambda r, i: f"JZGZF-2023-{i + 1:05d}"),
        ("承租人姓名", NAME, names()),
        ("证件号码", ID, ids(0.1)),
        ("家庭人口", CLEAN, num(1, 5)),
        ("项目名称", CLEAN, pick("幸福人才公寓", "滨江公租房小区", "龙山保障房")),
        ("房号", CLEAN, flat),
        ("月租金(元)", CLEAN, num(300, 900)),
        ("备注", MOBILE, one_in(50, lambda r, i: f"请联系{f.mobile(r)}办理", remark)),
    ]),
    ("失业保险金领取人员名单.csv", 50, [
        ("姓名", NAME, names()),
        ("身份证号", ID, ids(0.1, 1965, 2000)),
        ("原工作单位", CLEAN, lambda r, i: f.company(r)),
        ("累计缴费月数", CLEAN, num(12, 300)),
        ("月领取标准(元)", CLEAN, money(1400, 1800)),
        ("联系电话", MOBILE, mobiles()),
        ("电子邮箱", EMAIL, lambda r, i: f.email(r) if r.random() < 0.2 else ""),
        ("户籍地址", ADDRESS, lambda r, i: f.address(r)),
    ]),
    ("志愿者服务队名单.csv", 40, [
        ("服务队名称", CLEAN, team),
        ("服务领域", CLEAN, pick("文化宣传", "助老助残", "环境保护", "应急救援")),
        ("所属社区", CLEAN, lambda r, i: f"{r.choice(f.DISTRICTS)}{r.choice(f.TOWNS)}"),
        ("成立日期", CLEAN, day(2015, 2024)),
        ("队员人数", CLEAN, num(8, 80)),
        ("负责人", NAME, names()),
        ("联系电话", MOBILE, mobiles()),
    ]),
    ("医疗救助对象名单.csv", 50, [
        ("姓名", NAME, names()),
        ("身份证号", ID, ids(0.1)),
        ("救助类别", CLEAN, pick("低保对象", "特困人员", "低收入家庭")),
        ("就诊医院", CLEAN, pick("江州市第一人民医院", "江州市中医院", "白沙县人民医院")),
        ("结算日期", CLEAN, day(2025, 2025)),
        ("医疗总费用(元)", CLEAN, money(1000, 90000)),
        ("救助金额(元)", CLEAN, money(200, 20000)),
    ]),
    ("学生资助名单.csv", 50, [
        ("学生姓名", NAME, names()),
        ("学号", CLEAN, lambda r, i: f"2023{i + 1:04d}"),
        ("身份证号", ID, ids(0.2, 2008, 2018)),
        ("学校", CLEAN, pick("江州市第一中学", "江州市实验小学", "白沙县中学")),
        ("年级", CLEAN, pick("一年级", "三年级", "初二", "高一")),
        ("资助项目", CLEAN, pick("国家助学金", "营养改善计划", "免学费")),
        ("资助金额(元)", CLEAN, pick("1000", "2000", "2500")),
        ("监护人", NAME, names()),
        ("监护人电话", MOBILE, mobiles()),
        ("家庭住址", ADDRESS, lambda r, i: f.address(r)),
    ]),
    ("12345热线工单.csv", 50, [
        ("工单编号", CLEAN, order_number),
        ("受理时间", CLEAN, day(2024, 2024, "%Y-%m-%d %H:%M")),
        ("诉求类型", CLEAN, pick("咨询", "投诉", "求助", "建议")),
        ("诉求内容", MOBILE, hotline_request),
        ("来电人", NAME, names()),
        ("来电号码", HOME_PHONE + MOBILE, lambda r, i: f.mobile(r) if i % 5 else f.landline(r)),
        ("承办单位", CLEAN, pick("江北区城管局", "市人社局", "港口街道办事处")),
        ("办理结果", CLEAN, pick("已办结", "办理中", "已转办")),
    ]),
    ("求职登记信息.csv", 50, [
        ("姓名", NAME, names()),
        ("性别", CLEAN, pick("男", "女")),
        ("出生年月", BIRTH, day(1970, 2004, "%Y.%m")),
        ("学历", CLEAN, pick("大专", "本科", "高中", "硕士")),
        ("求职意向", CLEAN, pick("会计", "电工", "销售", "文员", "厨师")),
        ("手机", MOBILE, mobiles("plain", "dashed")),
        ("邮箱", EMAIL, lambda r, i: f.email(r) if r.random() < 0.6 else ""),
        ("期望薪资(元)", CLEAN, pick("3000-5000", "4500-7000", "6000-9000")),
    ]),
    ("婚姻登记预约.csv", 40, [
        ("预约号", CLEAN, lambda r, i: f"HY20240315{i + 1:03d}"),
        ("男方姓名", NAME, names()),
        ("男方身份证号", ID, ids(0.1, 1975, 2000)),
        ("女方姓名", NAME, names()),
        ("女方身份证号", ID, ids(0.1, 1975, 2002)),
        ("预约日期", CLEAN, day(2024, 2024)),
        ("预约电话", MOBILE, mobiles()),
        ("登记机关", CLEAN, pick("江北区民政局婚姻登记处", "江南区民政局婚姻登记处")),
    ]),
    ("家庭医生签约居民.csv", 50, [
        ("签约居民姓名", NAME, names()),
        ("身份证号", ID, ids(0.1, 1935, 2015)),
        ("家庭电话", HOME_PHONE, lambda r, i: f.landline(r)),
        ("手机号码", MOBILE, mobiles()),
        ("居住地址", ADDRESS, lambda r, i: f.address(r)),
        ("签约团队", CLEAN, pick("滨江街道家庭医生团队一", "港口街道家庭医生团队二")),
        ("签约日期", CLEAN, day(2023, 2025)),
    ]),
    ("法律援助受援人.csv", 40, [
        ("案件编号", CLEAN, lambda r, i: f"（2024）江法援字第{i + 1:04d}号"),
        ("受援人姓名", NAME, names()),
        ("身份证号", ID15, lambda r, i: f.id15(r, 1930, 1975)),
        ("案由", CLEAN, pick("劳动争议", "赡养纠纷", "交通事故赔偿")),
        ("联系方式", MOBILE, lambda r, i: f.mobile(r) if i % 5 else f.landline(r)),
        ("承办律师事务所", CLEAN, pick("江西同力律师事务所", "江州正义律师事务所")),
    ]),
    ("社保卡发放名单.csv", 50, [
        ("姓名", NAME, names()),
        ("社会保障号码", ID, ids(0.1)),
        ("社保卡号", CLEAN, lambda r, i: r.choice("ABCDEFGHJK") + f"{r.randrange(10**8):08d}"),
        ("金融账号", CARD, lambda r, i: f.bank_card(r, 19)),
        ("领卡网点", CLEAN, pick("建设银行江北支行", "工商银行沿江支行")),
        ("发卡日期", CLEAN, day(2022, 2025)),
    ]),
    ("养老服务补贴对象.csv", 50, [
        ("老人姓名", NAME, names(0.1)),
        ("身份证号", ID, ids(0.1, 1925, 1950)),
        ("年龄", CLEAN, num(75, 99)),
        ("补贴类型", CLEAN, pick("护理补贴", "服务补贴")),
        ("补贴金额(元)", CLEAN, pick("100", "200", "300")),
        ("紧急联系人", NAME, names()),
        ("紧急联系人电话", MOBILE, mobiles()),
        ("家庭住址", ADDRESS, lambda r, i: f.address(r)),
    ]),
    ("人才公寓申请公示.csv", 40, [
        ("申请编号", CLEAN, lambda r, i: f"RCGY2024{i + 1:04d}"),
        ("申请人", NAME, names(0.1)),
        ("工作单位", CLEAN, lambda r, i: f.company(r)),
        ("学历", CLEAN, pick("本科", "硕士", "博士")),
        ("申请房型", CLEAN, pick("一室一厅", "两室一厅")),
        ("公示日期", CLEAN, day(2024, 2024)),
    ]),
    ("无偿献血表彰名单.csv", 50, [
        ("姓名", NAME, names(0.05, minority=0.1)),
        ("性别", CLEAN, pick("男", "女")),
        ("献血次数", CLEAN, num(10, 80)),
        ("表彰等级", CLEAN, pick("金奖", "银奖", "铜奖")),
        ("所在单位", CLEAN, lambda r, i: f.company(r)),
    ]),
    ("市场监管投诉举报记录.csv", 50, [
        ("登记编号", CLEAN, lambda r, i: f"TS{2024}{i + 1:06d}"),
        ("登记日期", CLEAN, day(2024, 2024)),
        ("被投诉单位", CLEAN, lambda r, i: f.company(r)),
        ("投诉内容", MOBILE + EMAIL, complaint),
        ("处理结果", CLEAN, pick("已调解", "不予受理", "已立案")),
    ]),
    ("出租房屋登记.csv", 50, [
        ("登记编号", CLEAN, lambda r, i: f"CZ-{r.choice(f.DISTRICT_CODES)}-{i + 1:05d}"),
        ("房东姓名", NAME, names()),
        ("房东手机", MOBILE, mobiles()),
        ("所在社区", CLEAN, lambda r, i: r.choice(f.TOWNS)),
        ("承租人数", CLEAN, num(1, 6)),
        ("登记日期", CLEAN, day(2023, 2025)),
    ]),
    ("残疾人两项补贴发放.csv", 50, [
        ("序号", CLEAN, seq),
        ("姓名", NAME, names()),
        ("身份证号码", ID, ids(0.1, 1940, 2015)),
        ("残疾类别", CLEAN, pick("肢体", "视力", "听力", "智力")),
        ("残疾等级", CLEAN, pick("一级", "二级", "三级", "四级")),
        ("补贴金额(元)", CLEAN, pick("90", "100", "120")),
        ("收款账号", CARD, lambda r, i: f.bank_card(r, 19, grouped=True)),
        ("联系电话", MOBILE, lambda r, i: f.mobile(r) if i % 4 else f.landline(r)),
    ]),
    ("困难群众临时救助审批.csv", 50, [
        ("审批编号", CLEAN, lambda r, i: f"LSJZ{2025}{i + 1:04d}"),
        ("申请人", NAME, names(0.1)),
        ("申请人证件", ID, ids(0.1)),
        ("救助事由", ID, relief_reason),
        ("救助金额(元)", CLEAN, money(500, 5000)),
        ("联系人及电话", NAME + MOBILE, lambda r, i: f"{f.name(r)} {f.mobile(r)}"),
        ("审批日期", CLEAN, day(2025, 2025)),
    ]),
]
# fmt: on
