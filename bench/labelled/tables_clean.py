"""Labelled tables without personal information: directories, registers, statistics — full of
hard negatives (credit codes, ID-shaped serial numbers, order numbers, amounts, dates,
coordinates, switchboard numbers, 法定代表人, masked values). Two columns are personal by the
labelling rules (an institution's e-mail, a 负责人's name) and are labelled so."""

from __future__ import annotations

import random

from bench.labelled import fake as f
from bench.labelled.fake import Table
from bench.labelled.tables_personal import CLEAN, EMAIL, NAME, day, money, names, num, pick, seq


def serial(first: int = 2022, last: int = 2025) -> f.Value:
    """18-digit serial numbers shaped like ID numbers (region + date + 4 random digits)."""
    return lambda r, i: f.id_serial(r, f.birthday(r, first, last))


def coordinate(low: float, high: float, places: int = 6) -> f.Value:
    return lambda r, i: f"{r.uniform(low, high):.{places}f}"


def digits(count: int, first: str = "") -> f.Value:
    return lambda r, i: first + "".join(r.choice("0123456789") for _ in range(count - len(first)))


def phone(style: str = "dash") -> f.Value:
    return lambda r, i: f.landline(r, style)


def credit(kind: str = "91", digits_share: float = 0.2) -> f.Value:
    return lambda r, i: f.credit_code(r, kind, digits_only=r.random() < digits_share)


def company(r: random.Random, i: int) -> str:
    return f.company(r)


def place(r: random.Random, i: int) -> str:
    return f.institution_address(r)


def registered_code(r: random.Random, i: int) -> str:
    """Mostly ordinary credit codes (a third all digits), every tenth one that is a valid ID too."""
    if i % 10 == 4:
        return f.credit_code_like_id(r)
    return f.credit_code(r, digits_only=i % 3 == 0)


def licence_register(r: random.Random, i: int) -> str:
    return f"PDY{r.randrange(10**5):05d}{r.choice(f.DISTRICT_CODES)}11A1002"


def order_number(r: random.Random, i: int) -> str:
    return f"2024{r.randint(1, 12):02d}{r.randint(1, 28):02d}{r.randrange(10**7):07d}"


def contract_amount(r: random.Random, i: int) -> str:
    return r.choice(("1380000.00", "13800138000.50", "13912345678.5", f.amount(r, 1e4, 2e8)))


def budget_code(r: random.Random, i: int) -> str:
    return f"2{r.randint(1, 30):02d}{r.randint(1, 99):02d}{r.randint(1, 99):02d}"


def large_amount(r: random.Random, i: int) -> str:
    """Eleven digits before the decimal point, the first two those of a mobile number."""
    return f"1{r.choice('3589')}{r.randrange(10**9):09d}.{r.randrange(100):02d}"


def whole_yuan(r: random.Random, i: int) -> str:
    """Amounts in whole yuan; a third have eleven digits, the first two those of a mobile."""
    if i % 3 == 0:
        return f"1{r.choice('3589')}{r.randrange(10**9):09d}"
    return str(r.randrange(10**6, 10**10))


def hotline(r: random.Random, i: int) -> str:
    return f.landline(r) + (f"转{r.randint(800, 899)}" if i % 3 == 0 else "")


def food_licence(r: random.Random, i: int) -> str:
    category = f"{r.randint(1, 3)}{r.randint(1, 9)}"
    return f"SC1{category}{r.choice(f.DISTRICT_CODES)}{r.randrange(10**5):05d}{r.randint(0, 9)}"


def longitude(r: random.Random, i: int) -> str:
    return f"115.{r.choice('13')}{r.choice('3589')}{r.randrange(10**9):09d}"


def care_home(r: random.Random, i: int) -> str:
    return f"{f.district(r)}{r.choice(('社会福利院', '颐养院', '敬老院'))}"


def masked_name(r: random.Random, i: int) -> str:
    return (f.name(r, 0.2)[:2] if r.random() < 0.2 else f.name(r)[:1]) + "*"


def anonymised(r: random.Random, i: int) -> str:
    """A name as penalty notices publish it: 张某, 李某某, 欧阳某."""
    return f.name(r, 0.1)[:1] + r.choice(("某", "某某"))


def masked_card(r: random.Random, i: int) -> str:
    card = f.bank_card(r)
    return card[:6] + "*" * (len(card) - 10) + card[-4:]


def statistics_code(r: random.Random, i: int) -> str:
    return f"{r.choice(f.DISTRICT_CODES)}{r.randint(1, 20):03d}{r.randint(1, 30):03d}"


def waybill(r: random.Random, i: int) -> str:
    return r.choice(("SF", "77", "YT")) + f"{r.randrange(10**13):013d}"


def plate(r: random.Random, i: int) -> str:
    return f"赣G·{r.choice('ABDT')}{r.randrange(10**4):04d}"


def project(r: random.Random, i: int) -> str:
    return f"{r.choice(f.ROADS)}{r.choice(('综合体', '安置房', '学校'))}项目"


def drug_licence(r: random.Random, i: int) -> str:
    return f"赣{r.choice('AB')}{r.choice('AB')}{r.randrange(10**7):07d}"


def association(r: random.Random, i: int) -> str:
    return f"江州市{r.choice(('网球', '书法', '摄影', '养老服务'))}协会"


def switchboard(r: random.Random, i: int) -> str:
    return f.landline(r) if i % 2 else "0792" + f"{r.randrange(10**7):07d}"


def legal_person_code(r: random.Random, i: int) -> str:
    """Credit codes under an ID header (证件号码), a third of them valid ID numbers too."""
    if i % 3 == 0:
        return f.credit_code_like_id(r)
    return f.credit_code(r, digits_only=i % 2 == 0)


def case_note(r: random.Random, i: int) -> str:
    return r.choice(
        (
            f"合同备案{f.id_serial(r, f.birthday(r, 2023, 2025))}，金额13800138000.50元",
            f"受理于{f.day(r, 2024, 2025, '%Y%m%d')}，收费1380000.00元",
            f"坐标29.{r.randrange(10**11):011d}，115.{r.randrange(10**8):08d}",
            "材料齐全，予以许可",
        )
    )


# fmt: off
CLEAN_TABLES: list[Table] = [
    ("企业登记信息.csv", 60, [
        ("企业名称", CLEAN, company),
        ("统一社会信用代码", CLEAN, registered_code),
        ("法定代表人", CLEAN, names(0.1)),
        ("企业类型", CLEAN, pick("有限责任公司", "股份有限公司", "个人独资企业")),
        ("注册资本(万元)", CLEAN, money(10, 50000)),
        ("成立日期", CLEAN, day(1995, 2024)),
        ("住所", CLEAN, place),
        ("注册号", CLEAN, lambda r, i: r.choice(f.DISTRICT_CODES) + f"{r.randrange(10**9):09d}"),
        ("登记机关", CLEAN, pick("江州市市场监督管理局", "江北区市场监督管理局")),
    ]),
    ("医疗机构名录.csv", 50, [
        ("机构名称", CLEAN, pick("江州市第一人民医院", "江州市中医院", "白沙县人民医院")),
        ("机构类别", CLEAN, pick("综合医院", "中医医院", "社区卫生服务中心")),
        ("地址", CLEAN, place),
        ("联系电话", CLEAN, phone()),
        ("床位数", CLEAN, num(20, 1800)),
        ("统一社会信用代码", CLEAN, credit("12", 0.5)),
        ("执业许可证登记号", CLEAN, licence_register),
    ]),
    ("学校名录.csv", 50, [
        ("学校名称", CLEAN, pick("江州市第一中学", "江州市实验小学", "白沙县中学")),
        ("学段", CLEAN, pick("小学", "初级中学", "高级中学")),
        ("办学性质", CLEAN, pick("公办", "民办")),
        ("地址", CLEAN, place),
        ("邮政编码", CLEAN, pick("332000", "332100", "332500")),
        ("联系电话", CLEAN, phone("paren")),
        ("学校网址", CLEAN, lambda r, i: f"http://www.jzs{i + 1}z.edu.cn"),
        ("经度", CLEAN, coordinate(115.8, 116.1, 8)),
        ("纬度", CLEAN, coordinate(29.5, 29.9, 11)),
    ]),
    ("政府采购合同公告.csv", 50, [
        ("合同编号", CLEAN, lambda r, i: f"JZCG-2024-{i + 1:05d}"),
        ("订单号", CLEAN, order_number),
        ("采购单位", CLEAN, pick("江州市教育局", "江州市卫生健康委员会", "江州市城市管理局")),
        ("供应商名称", CLEAN, company),
        ("供应商统一社会信用代码", CLEAN, credit()),
        ("合同金额(元)", CLEAN, contract_amount),
        ("签订日期", CLEAN, day(2024, 2024, "%Y%m%d")),
        ("采购流水号", CLEAN, serial()),
    ]),
    ("行政许可双公示.csv", 60, [
        ("行政许可决定文书号", CLEAN, lambda r, i: f"江审批许字〔2025〕第{1000 + i}号"),
        ("行政相对人名称", CLEAN, company),
        ("行政相对人统一社会信用代码", CLEAN, credit()),
        ("法定代表人", CLEAN, names(0.1)),
        ("许可证书名称", CLEAN, pick("食品经营许可证", "建筑施工许可证", "排污许可证")),
        ("许可证书编号", CLEAN, serial()),
        ("许可决定日期", CLEAN, day(2025, 2025)),
        ("许可机关", CLEAN, pick("江州市行政审批服务局",)),
        ("许可机关统一社会信用代码", CLEAN, pick("11361000MB16211085",)),
    ]),
    ("空气质量日报.csv", 60, [
        ("监测日期", CLEAN, day(2025, 2025)),
        ("站点编码", CLEAN, lambda r, i: f"JZ{r.randint(1, 6):03d}"),
        ("AQI", CLEAN, num(20, 180)),
        ("PM2.5(μg/m³)", CLEAN, num(5, 120)),
        ("PM10(μg/m³)", CLEAN, num(10, 200)),
        ("首要污染物", CLEAN, pick("PM2.5", "O3_8h", "PM10", "—")),
        ("空气质量级别", CLEAN, pick("一级", "二级", "三级")),
    ]),
    ("财政支出月报.csv", 50, [
        ("年度", CLEAN, pick("2024", "2025")),
        ("月份", CLEAN, num(1, 12)),
        ("科目编码", CLEAN, budget_code),
        ("科目名称", CLEAN, pick("一般公共服务支出", "教育支出", "卫生健康支出")),
        ("本月数(元)", CLEAN, large_amount),
        ("累计数(元)", CLEAN, money(1e8, 9e10)),
        ("年初预算数(元)", CLEAN, whole_yuan),
        ("完成预算(%)", CLEAN, lambda r, i: f"{r.uniform(5, 110):.1f}"),
    ]),
    ("就业招聘会信息.csv", 50, [
        ("招聘会名称", CLEAN, pick("2025年江州市春风行动专场招聘会", "高校毕业生就业服务月招聘会")),
        ("举办日期", CLEAN, day(2025, 2025)),
        ("举办地点", CLEAN, pick("江州职业技术学院体育馆", "白沙县人力资源市场")),
        ("参会企业", CLEAN, company),
        ("招聘岗位", CLEAN, pick("会计", "电工", "销售", "焊工")),
        ("招聘人数", CLEAN, num(1, 30)),
        ("薪资范围(元/月)", CLEAN, pick("4500-7000", "5000-8000", "3500-5000")),
        ("咨询电话", CLEAN, hotline),
        ("服务热线", CLEAN, pick("12345", "12333", "400-820-8820", "0792-12333")),
    ]),
    ("食品生产许可证.csv", 50, [
        ("许可证编号", CLEAN, food_licence),
        ("生产者名称", CLEAN, company),
        ("统一社会信用代码", CLEAN, credit()),
        ("食品类别", CLEAN, pick("饮料", "糕点", "调味品", "粮食加工品")),
        ("生产地址", CLEAN, place),
        ("发证日期", CLEAN, day(2021, 2025, "%Y%m%d")),
        ("有效期至", CLEAN, day(2026, 2030, "%Y%m%d")),
    ]),
    ("出租汽车运营车辆.csv", 50, [
        ("车牌号", ["licence_plate"], plate),
        ("车辆识别代号", CLEAN, lambda r, i: "LSVAM4187C" + f"{r.randrange(10**7):07d}"),
        ("发动机号", CLEAN, lambda r, i: f"{r.randrange(10**6):06d}{r.choice('ABC')}"),
        ("道路运输证号", CLEAN, digits(12, "3610")),
        ("经营者名称", CLEAN, lambda r, i: f"江州{r.choice(f.COMPANY_WORDS)}出租汽车有限公司"),
        ("车辆品牌型号", CLEAN, pick("大众朗逸", "比亚迪秦", "丰田卡罗拉")),
        ("注册日期", CLEAN, day(2018, 2024)),
    ]),
    ("地名信息.csv", 50, [
        ("标准地名", CLEAN, pick("人民路", "九龙街", "龙山公园", "清水湾")),
        ("汉语拼音", CLEAN, pick("Renmin Lu", "Jiulong Jie", "Longshan Gongyuan")),
        ("地名类别", CLEAN, pick("道路", "公园", "居民点")),
        ("所在区县", CLEAN, lambda r, i: f.district(r)),
        ("经度", CLEAN, longitude),
        ("纬度", CLEAN, lambda r, i: f"29.{r.randrange(10**11):011d}"),
        ("邮政编码", CLEAN, pick("332000", "332100")),
        ("批准日期", CLEAN, day(2000, 2024)),
    ]),
    ("银行网点名录.csv", 50, [
        ("网点名称", CLEAN, pick("建设银行江北支行", "工商银行沿江支行", "农业银行白沙支行")),
        ("地址", CLEAN, place),
        ("营业时间", CLEAN, pick("09:00-17:00", "08:30-17:30")),
        ("联系电话", CLEAN, phone()),
        ("联行号", CLEAN, digits(12, "10")),
        ("对公账号", CLEAN, digits(20, "3605")),
        ("客服热线", CLEAN, pick("95533", "95588", "95599")),
    ]),
    ("公共停车场.csv", 50, [
        ("停车场名称", CLEAN, pick("市政府停车场", "人民公园停车场", "火车站停车场")),
        ("地址", CLEAN, place),
        ("车位数", CLEAN, num(50, 900)),
        ("收费标准", CLEAN, pick("首小时5元，之后每小时2元", "免费")),
        ("经度", CLEAN, coordinate(115.8, 116.1)),
        ("纬度", CLEAN, coordinate(29.5, 29.9)),
        ("管理单位", CLEAN, pick("江州城投停车运营有限公司",)),
        ("咨询电话", CLEAN, phone("bare")),
    ]),
    ("养老机构名录.csv", 45, [
        ("机构名称", CLEAN, care_home),
        ("地址", CLEAN, place),
        ("床位数", CLEAN, num(30, 600)),
        ("负责人", NAME, names()),
        ("联系电话", CLEAN, phone()),
        ("电子邮箱", EMAIL, lambda r, i: f"jzyl{i + 1:03d}@163.com"),
        ("统一社会信用代码", CLEAN, credit("52", 0.5)),
        ("备案日期", CLEAN, day(2015, 2024)),
    ]),
    ("低保公示（已脱敏）.csv", 50, [
        ("序号", CLEAN, seq),
        ("户主姓名", CLEAN, masked_name),
        ("身份证号", CLEAN, lambda r, i: f.masked_id(r)),
        ("联系电话", CLEAN, lambda r, i: f.masked_mobile(r)),
        ("家庭住址", CLEAN, lambda r, i: f"江州市{f.district(r)}"),
        ("银行卡号", CLEAN, masked_card),
        ("保障金额(元)", CLEAN, money(300, 2400)),
    ]),
    ("统计用区划代码.csv", 50, [
        ("统计用区划代码", CLEAN, statistics_code),
        ("城乡分类代码", CLEAN, pick("111", "112", "121", "210", "220")),
        ("名称", CLEAN, lambda r, i: f"{r.choice(f.VILLAGES)[:2]}社区居委会"),
        ("上级代码", CLEAN, lambda r, i: f"{r.choice(f.DISTRICT_CODES)}{r.randint(1, 20):03d}000"),
    ]),
    ("快递网点与运单抽检.csv", 50, [
        ("运单号", CLEAN, waybill),
        ("寄件网点", CLEAN, pick("江北区营业部", "白沙县营业部")),
        ("抽检日期", CLEAN, day(2025, 2025)),
        ("抽检结果", CLEAN, pick("合格", "不合格")),
        ("网点电话", CLEAN, phone()),
    ]),
    ("计划停电公告.csv", 50, [
        ("停电编号", CLEAN, digits(11, "2")),
        ("线路名称", CLEAN, lambda r, i: f"10kV{r.choice(f.ROADS)}线"),
        ("停电时间", CLEAN, lambda r, i: f.day(r, 2025, 2025, "%Y-%m-%d 08:00至%Y-%m-%d 18:00")),
        ("停电范围", CLEAN, lambda r, i: f"{r.choice(f.ROADS)}1-{r.randint(50, 300)}号沿线"),
        ("电表资产号", CLEAN, lambda r, i: f"1{r.choice('012')}{r.randrange(10**9):09d}"),
        ("供电所电话", CLEAN, phone("bare")),
    ]),
    ("古树名木名录.csv", 50, [
        ("古树编号", CLEAN, digits(11, "36")),
        ("树种", CLEAN, pick("樟树", "银杏", "桂花", "枫香")),
        ("树龄(年)", CLEAN, num(100, 1200)),
        ("保护级别", CLEAN, pick("一级", "二级", "三级")),
        ("生长位置", CLEAN, lambda r, i: f"{f.district(r)}{r.choice(f.VILLAGES)}"),
        ("经度", CLEAN, coordinate(115.8, 116.1)),
        ("纬度", CLEAN, coordinate(29.5, 29.9)),
    ]),
    ("建设工程施工许可.csv", 50, [
        ("施工许可证编号", CLEAN, serial(2023, 2026)),
        ("项目名称", CLEAN, project),
        ("建设单位", CLEAN, company),
        ("项目地址", CLEAN, place),
        ("合同金额(元)", CLEAN, lambda r, i: f"{r.randrange(10**6, 10**10)}.00"),
        ("开工日期", CLEAN, day(2023, 2026, "%Y%m%d")),
    ]),
    ("药品经营许可证.csv", 50, [
        ("企业名称", CLEAN, company),
        ("许可证编号", CLEAN, drug_licence),
        ("统一社会信用代码", CLEAN, credit()),
        ("法定代表人", CLEAN, names()),
        ("经营方式", CLEAN, pick("零售（连锁）", "批发")),
        ("仓库地址", CLEAN, place),
        ("有效期至", CLEAN, day(2026, 2030)),
    ]),
    ("社会组织登记信息.csv", 50, [
        ("社会组织名称", CLEAN, association),
        ("统一社会信用代码", CLEAN, credit("51", 0.6)),
        ("业务主管单位", CLEAN, pick("江州市体育局", "江州市民政局")),
        ("成立登记日期", CLEAN, day(2005, 2024)),
        ("住所", CLEAN, place),
        ("联系人", CLEAN, pick("办公室", "秘书处", "党政办", "综合科")),
        ("联系电话", CLEAN, switchboard),
    ]),
    ("行政处罚公示.csv", 50, [
        ("处罚决定书文号", CLEAN, lambda r, i: f"江市监罚〔2024〕{i + 1}号"),
        ("行政相对人名称", CLEAN, company),
        ("统一社会信用代码", CLEAN, credit("92", 0.3)),
        ("申请人", CLEAN, company),
        ("当事人姓名", CLEAN, anonymised),
        ("违法行为类型", CLEAN, pick("未按规定明码标价", "销售过期食品")),
        ("罚款金额(万元)", CLEAN, money(0.1, 50)),
        ("处罚日期", CLEAN, day(2024, 2024)),
    ]),
    # hard negatives under headers that announce no code (or even an ID): only the checksum
    # ratio and the credit-code rule keep them apart from ID numbers
    ("行政许可公示（法人）.csv", 60, [
        ("行政相对人名称", CLEAN, company),
        ("证件类型", CLEAN, pick("统一社会信用代码",)),
        ("证件号码", CLEAN, legal_person_code),
        ("许可内容", CLEAN, pick("食品经营", "道路货物运输", "建筑施工")),
        ("关联业务", CLEAN, serial()),
        ("平台单据", CLEAN, lambda r, i: f"{r.choice(f.DISTRICT_CODES)}{r.randrange(10**9):09d}"),
        ("办件说明", CLEAN, case_note),
    ]),
]
# fmt: on
