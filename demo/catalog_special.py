"""Catalog entries: conditional (personal data), closed (one released de-identified) and flawed packages."""

from __future__ import annotations

from catalog_packages import pkg
from model import Dataset
from model import Resource as R

CONDITIONS_RESEARCH = (
    "仅向开展学术研究或公共服务开发的法人开放，须签署数据使用协议并说明用途、范围和安全保障措施。"
)


def conditional(*args, conditions: str, **extra) -> Dataset:
    """A 有条件开放 data package (its files hold unmasked personal data)."""
    extra.setdefault("share", "有条件共享")
    extra.setdefault("license", "jz-agreement")
    return pkg(*args, openness="conditional", conditions=conditions, **extra)


def closed(
    slug: str,
    title: str,
    code: str,
    dept: str,
    topic: str,
    cycle: str,
    description: str,
    keywords: str,
    issued: str,
    modified: str,
    temporal: str,
    rule: str,
    basis: str,
    resources: tuple[R, ...] = (),
    **extra,
) -> Dataset:
    """A 不予开放 entry: catalog metadata only, no data files (``resources: []``).

    The one exception passes ``resources`` together with ``masking`` rules covering every personal
    column: closed for privacy, but published once de-identified (第二十六条第二款).
    """
    extra.setdefault("share", "有条件共享")
    return pkg(
        slug,
        title,
        code,
        dept,
        topic,
        cycle,
        description,
        keywords,
        issued,
        modified,
        temporal,
        resources,
        openness="closed",
        rule=rule,
        basis=basis,
        **extra,
    )


# fmt: off
SPECIAL_PACKAGES: tuple[Dataset, ...] = (
    conditional("jiangzhou-licensed-physicians", "执业医师注册信息", "JZ-WJ-2022-0011", "wjw", "卫生健康", "每月", """
全市注册执业医师的执业类别、执业范围、主要执业机构和注册日期。

本数据集包含**个人信息**（姓名、身份证号、手机号码、电子邮箱），按有条件开放管理：
公众可查看脱敏样例；申请获批并签署协议后，方可在授权范围内获取。
""", "执业医师 医师注册 卫生人员", "2022-10-10", "2026-11-04", "2000-01-01/2026-09-30",
        (R("physicians", "licensed-physicians.csv", "执业医师注册信息", "licensed-physicians"),),
        conditions="仅向医疗卫生科研机构、医学院校及经卫生健康部门认可的信息化服务单位开放；须说明应用场景，"
                   "具备网络安全等级保护第二级以上的数据安全保障能力，签署数据使用协议后以接口方式获取。",
        notes=("有条件开放：姓名、身份证号、手机号码、电子邮箱",)),
    conditional("jiangzhou-motor-vehicle-drivers", "机动车驾驶人信息", "JZ-GA-2022-0008", "gaj", "交通运输", "每日", """
江州市登记的机动车驾驶人准驾车型、初次领证日期、驾驶证有效期、状态和累积记分。
含姓名、身份证号、联系电话、联系地址等个人信息，**仅在授权范围内提供脱敏后的核验服务**。
""", "驾驶人 驾驶证 交通管理", "2022-05-01", "2026-11-21", "1990-01-01/2026-11-20",
        (R("drivers", "motor-vehicle-drivers.csv", "机动车驾驶人信息", "motor-vehicle-drivers"),),
        conditions="仅向保险、交通安全研究等有明确应用场景的法人开放，须经公安机关交通管理部门审核并签署数据使用协议；"
                   "原则上以接口核验方式提供，禁止批量留存原始数据。",
        openness_label="有条件开放", notes=("有条件开放：姓名、身份证号、手机、住址",)),
    conditional("jiangzhou-public-rental-tenants", "公租房承租人信息", "JZ-ZJ-2023-0011", "zjj", "城建住房", "每月", """
市本级公共租赁住房承租人、房源和租赁合同信息。“备注”栏为经办人员自由填写的文字，**可能包含电话号码**。
""", "公租房 承租人 保障性住房 租赁", "2023-09-01", "2026-11-08", "2021-01-01/2026-10-31",
        (R("public_rental_tenants", "public-rental-tenants.xlsx", "公租房承租人", "public-rental-tenants"),),
        conditions=CONDITIONS_RESEARCH,
        notes=("有条件开放：姓名、身份证号；手机号藏在“备注”自由文本中",)),
    conditional("jiangzhou-medical-assistance", "医疗救助对象名单", "JZ-YB-2024-0003", "ybj", "社会救助", "每月", """
特困人员、低保对象等困难群众的医疗救助结算记录（医疗总费用、医保统筹支付和医疗救助金额）。
""", "医疗救助 困难群众 医保", "2024-03-01", "2026-11-09", "2026-01-05/2026-10-22",
        (R("medical_assistance", "medical-assistance.csv", "医疗救助对象", "medical-assistance", schema=False),),
        conditions="仅向开展社会救助政策研究的高等院校、科研机构和承担政府购买服务的社会组织开放；"
                   "须签署数据使用协议，使用期限不超过一年，期满提交数据使用情况报告。",
        share_conditions="仅向民政、医疗保障部门提供，用于救助对象资格核验", share_method="系统对接（查询服务）",
        notes=("有条件开放：姓名、身份证号；无 Table Schema",)),
    pkg("jiangzhou-public-parking", "公共停车场信息", "JZ-CG-2023-0005", "cgj", "交通运输", "每月", """
全市路外公共停车场和路内泊位的地址、类型、泊位数、充电车位数、收费标准和开放时间。
""", "停车场 停车 泊位 交通", "2023-04-01", "2026-10-26", "2023-01-01/2026-10-31",
        (R("parking_flawed", "public-parking.csv", "公共停车场", "public-parking"),),
        notes=("故意有缺陷：暂无、缺列、多列、空行",)),
    closed("jiangzhou-key-target-security", "反恐怖防范重点目标安全防范信息", "JZ-GA-2023-0015", "gaj", "公共安全", "每季", """
全市防范恐怖袭击重点目标的安全防范等级、技防物防配置和值守部署情况。
""", "重点目标 安全防范 反恐", "2023-06-01", "2026-09-30", "2023-01-01/2026-09-30",
        rule="security",
        basis="《中华人民共和国反恐怖主义法》第三十一条规定由公安机关会同有关部门确定防范恐怖袭击的重点目标；"
              "重点目标的安防部署信息公开后可能危及公共安全和社会稳定。",
        share="不予共享", share_basis="《中华人民共和国反恐怖主义法》第三十一条：重点目标的安全防范信息由公安机关和重点目标管理单位按规定管理，不宜提供给其他政务部门共享使用。",
        openness_label="不予开放"),
    closed("jiangzhou-real-estate-registration", "不动产登记信息", "JZ-ZR-2022-0001", "zrzyghj", "城建住房", "每日", """
不动产权利人、不动产单元、抵押及查封登记等信息。
权利人、利害关系人可持有效证件到江州市不动产登记中心或通过“江州不动产”网上办事平台依法查询。
""", "不动产登记 房产 产权", "2022-01-01", "2026-11-20", "2016-01-01/2026-11-20",
        rule="law-other-channel",
        basis="《不动产登记暂行条例》第二十七条：权利人、利害关系人可以依法查询、复制不动产登记资料，"
              "不动产登记机构应当提供——应当通过不动产登记机构依法查询，不通过开放平台开放。"),
    closed("jiangzhou-hd-topographic-maps", "1:500 高精度地形图数据", "JZ-ZR-2022-0002", "zrzyghj", "地理空间", "每年", """
中心城区 1:500 数字线划图（DLG）与 0.2 米分辨率正射影像。
""", "地形图 测绘 遥感影像 基础地理信息", "2022-01-01", "2026-06-30", "2022-01-01/2026-06-30",
        rule="agreement-ip",
        basis="江州市自然资源和规划局与江州天图测绘地理信息有限公司签订的《江州市高精度基础地理信息数据授权使用协议》"
              "（合同编号 JZZR-2022-017）第六条约定数据仅限授权单位内部使用，不得向社会公开或再许可。"),
    closed("jiangzhou-taxpayer-information", "纳税人涉税信息", "JZ-SS-2023-0001", "sws", "财税金融", "每月", """
纳税人申报、缴纳税款、发票使用及税务登记明细。
""", "税务 纳税人 涉税信息", "2023-01-01", "2026-10-31", "2023-01-01/2026-10-31",
        rule="privacy-trade-secret",
        basis="《中华人民共和国税收征收管理法》第八条：纳税人、扣缴义务人有权要求税务机关为纳税人、扣缴义务人的情况保密；"
              "涉税明细涉及商业秘密和个人隐私。",
        share="不予共享", share_basis="《中华人民共和国税收征收管理法》第八条：纳税人的商业秘密及个人隐私依法保密，不宜提供给其他政务部门共享使用。",
        openness_label="不予开放"),
    closed("jiangzhou-traffic-violations", "道路交通违法行为处理记录", "JZ-GA-2024-0002", "gaj", "交通运输", "每日", """
全市电子警察（交通技术监控设备）抓拍和民警现场查处的道路交通违法行为及其处理情况，
包括决定书编号、违法时间、违法地点、违法行为、罚款金额、记分、车牌号码和处理状态，滚动发布最近 60 日的记录。

- 原始记录含**个人信息**（当事人姓名、驾驶证号、联系电话），未经处理公开会损害当事人合法权益，因此列为不予开放；
- 平台依据《中华人民共和国个人信息保护法》和第二十六条第二款（涉及个人隐私的数据经脱敏处理后予以开放），
  按本数据包声明的脱敏规则对上述三项作**脱敏处理**后发布，其余信息项原样公开；
- 尚未处理的违法记录暂无决定书编号。
""", "交通违法 电子警察 处罚", "2024-03-01", "2026-11-20", "2026-09-21/2026-11-19",
        rule="privacy-trade-secret",
        basis="《中华人民共和国个人信息保护法》第二十八条、第三十四条：原始记录含当事人姓名、驾驶证号、联系电话等个人信息，"
              "未经处理公开会损害当事人合法权益。",
        resources=(R("traffic_violations", "traffic-violations.csv", "道路交通违法行为处理记录", "traffic-violations"),),
        masking=(
            ("当事人姓名", "mask-name"),
            ("驾驶证号", "mask-id"),
            ("联系电话", "mask-mobile"),
            ("车牌号码", "mask-plate"),
        ),
        notes=("不予开放（个人隐私），附数据文件和脱敏规则：脱敏后开放",)),
)
# fmt: on
