"""Catalog entries: unconditional datasets published as Frictionless data packages."""

from __future__ import annotations

from model import Dataset
from model import Resource as R


def pkg(
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
    resources: tuple[R, ...],
    **extra,
) -> Dataset:
    """An unconditional dataset in ``packages/`` (keywords separated by spaces)."""
    start, end = temporal.split("/")
    return Dataset(
        slug=slug,
        title=title,
        code=code,
        dept=dept,
        topic=topic,
        cycle=cycle,
        openness=extra.pop("openness", "unconditional"),
        description=description.strip(),
        keywords=tuple(keywords.split()),
        issued=issued,
        modified=modified,
        temporal=(start, end),
        where="packages",
        resources=resources,
        **extra,
    )


# fmt: off
OPEN_PACKAGES: tuple[Dataset, ...] = (
    pkg("jiangzhou-bus-lines", "公交线路信息", "JZ-JT-2023-0001", "jtysj", "交通运输", "每月", """
江州市城区及白沙县、云溪县城乡公交线路的基础信息，包括线路编号、起讫站点、首末班时间、全程里程、站点数和票价。

- 数据来源：江州市公共交通集团有限责任公司线路运营台账
- 票价单位为元，**刷江州通卡及移动支付享受九折优惠**，老年人凭证免费乘车
- 线路调整以 [江州市交通运输局官网](https://jtj.jiangzhou.gov.cn) 公告为准
""", "公交 线路 公共交通 出行", "2023-03-15", "2026-10-28", "2023-01-01/2026-10-31",
        (R("bus_lines", "bus-lines.csv", "公交线路表", "bus-lines"),), share_method="数据下发接口"),
    pkg("jiangzhou-bus-stops", "公交站点信息", "JZ-JT-2023-0002", "jtysj", "交通运输", "每月", """
江州市公交站点名称、所属线路、站序及经纬度（GCJ-02 坐标系）。可与“公交线路信息”按**线路编号**关联使用。
""", "公交 站点 公交站 经纬度", "2023-03-15", "2025-12-31", "2023-01-01/2025-12-31",
        (R("bus_stops", "bus-stops.csv", "公交站点表", "bus-stops"),)),
    pkg("jiangzhou-coach-routes", "道路客运班线信息", "JZ-JT-2023-0005", "jtysj", "交通运输", "每季", """
经江州市交通运输局许可的道路旅客运输班线，含始发站、终点站、班线类别、日发班次、运距和经营企业。
班线类别按《道路旅客运输及客运站管理规定》划分为一类至四类。
""", "道路客运 班线 长途汽车 客运站", "2023-06-01", "2026-10-10", "2023-01-01/2026-09-30",
        (R("coach_routes", "coach-routes.xlsx", "道路客运班线表", "coach-routes"),)),
    pkg("jiangzhou-public-bikes", "公共自行车站点", "JZ-JT-2024-0011", "jtysj", "交通运输", "每月", """
城区公共自行车租赁站点位置与锁桩数量。运营时间内可使用“江州出行”App 扫码租车，**首小时免费**。
""", "公共自行车 共享单车 慢行交通", "2024-04-20", "2026-11-02", "2024-01-01/2026-10-31",
        (R("public_bikes", "public-bikes.csv", "公共自行车站点表", "public-bikes", schema=False),)),
    pkg("jiangzhou-air-quality-daily", "空气质量监测日报", "JZ-HB-2022-0003", "sthjj", "生态环境", "每日", """
江州市 6 个环境空气质量自动监测站点的日均监测结果，按 HJ 633-2012《环境空气质量指数（AQI）技术规定》计算 AQI 和首要污染物。

- `AQI` ≤ 50 时不设首要污染物
- 浓度单位：CO 为 mg/m³，其余为 μg/m³
- 数据为实时发布的审核前数据，以年度环境质量公报为准
""", "空气质量 AQI PM2.5 环境监测 日报", "2022-01-10", "2026-11-01", "2026-09-02/2026-10-31",
        (R("aq_stations", "stations.csv", "监测站点", "aq-stations"),
         R("aq_daily", "air-quality-daily.csv", "空气质量日报", "air-quality-daily"))),
    pkg("jiangzhou-surface-water-quality", "地表水水质监测月报", "JZ-HB-2022-0007", "sthjj", "生态环境", "每月", """
国控、省控、市控地表水监测断面的月度水质类别及主要指标（pH、溶解氧、高锰酸盐指数、氨氮、总磷）。
评价依据 GB 3838-2002《地表水环境质量标准》。
""", "水质监测 地表水 断面 水环境", "2022-05-18", "2026-11-12", "2025-11-01/2026-10-31",
        (R("surface_water", "surface-water-quality.xlsx", "地表水水质月报", "surface-water-quality"),)),
    pkg("jiangzhou-key-polluters", "重点排污单位名录", "JZ-HB-2023-0012", "sthjj", "生态环境", "每年", """
依据《环境监管重点单位名录管理办法》确定的江州市年度环境监管重点单位，含统一社会信用代码和排污许可证编号。
""", "重点排污单位 排污许可 环境监管", "2023-04-01", "2026-03-31", "2024-01-01/2026-12-31",
        (R("key_polluters", "key-polluters.csv", "重点排污单位", "key-polluters"),)),
    pkg("jiangzhou-medical-institutions", "医疗机构名录", "JZ-WJ-2022-0001", "wjw", "卫生健康", "每季", """
全市医疗卫生机构的名称、类别、等级、地址、床位数与医保定点情况。联系电话为机构办公电话。

> 就医前请通过“健康江州”公众号预约挂号。
""", "医院 医疗机构 卫生院 社区卫生服务中心", "2022-02-14", "2026-10-15", "2022-01-01/2026-09-30",
        (R("hospitals", "medical-institutions.csv", "医疗机构名录", "medical-institutions"),)),
    pkg("jiangzhou-vaccination-clinics", "预防接种门诊名录", "JZ-WJ-2023-0006", "wjw", "卫生健康", "每半年", """
全市儿童、成人预防接种门诊和狂犬病暴露预防处置门诊的地址、服务时间及咨询电话。
""", "预防接种 疫苗 门诊 狂犬病", "2023-02-01", "2026-07-01", "2023-01-01/2026-06-30",
        (R("vaccination_clinics", "vaccination-clinics.csv", "预防接种门诊", "vaccination-clinics"),),
        openness_label="无条件开放"),
    pkg("jiangzhou-schools", "中小学校名录", "JZ-JY-2022-0002", "jyj", "教育文化", "每年", """
江州市公办、民办中小学校基本信息：学段、办学性质、地址、班级数、在校生数、教职工数和建校年份。
数据口径为 **2026/2027 学年初** 教育事业统计。
""", "中小学 学校 义务教育 高中", "2022-09-01", "2026-10-20", "2026-09-01/2027-08-31",
        (R("schools", "schools.xlsx", "中小学校名录", "schools"),)),
    pkg("jiangzhou-kindergartens", "幼儿园名录", "JZ-JY-2022-0003", "jyj", "教育文化", "每年", """
全市幼儿园名称、办园性质（公办/普惠性民办/民办）、等级、核定学位数及保教费标准。
保教费标准按江州市发展和改革委员会核定的收费标准公布。
""", "幼儿园 学前教育 普惠 学位", "2022-09-01", "2026-09-15", "2026-09-01/2027-08-31",
        (R("kindergartens", "kindergartens.csv", "幼儿园名录", "kindergartens"),)),
    pkg("jiangzhou-enterprise-registration", "企业登记信息", "JZ-SJ-2022-0001", "scjgj", "市场监管", "每周", """
在江州市登记注册的企业主体信息，包括企业名称、**统一社会信用代码**、企业类型、注册资本、成立日期、登记机关、登记状态和经营范围。

信息来源于国家企业信用信息公示系统（江西）江州市登记数据，仅公示企业主体信息，不含自然人投资人信息。
""", "企业 登记 统一社会信用代码 市场主体", "2022-01-05", "2026-11-16", "1998-01-01/2026-11-15",
        (R("enterprises", "enterprises.csv", "企业登记信息", "enterprises"),)),
    pkg("jiangzhou-food-production-licences", "食品生产许可信息", "JZ-SJ-2022-0004", "scjgj", "市场监管", "每月", """
食品生产许可证发证信息。许可证编号为 `SC` 加 14 位阿拉伯数字；发证日期、有效期至按 YYYYMMDD 格式记录。
""", "食品生产许可 SC 食品安全", "2022-03-01", "2026-11-03", "2021-01-01/2026-10-31",
        (R("food_licences", "food-production-licences.csv", "食品生产许可", "food-production-licences"),),
        openness_label="无条件开放"),
    pkg("jiangzhou-pharmacies", "药店名录", "JZ-SJ-2023-0009", "scjgj", "生活服务", "每季", """
持有《药品经营许可证》的零售药店名录，含连锁门店、医保定点和 24 小时营业情况。
""", "药店 药房 药品经营许可 医保定点", "2023-05-12", "2026-10-08", "2023-01-01/2026-09-30",
        (R("pharmacies", "pharmacies.csv", "药店名录", "pharmacies"),)),
    pkg("jiangzhou-administrative-licensing", "行政许可信息", "JZ-SP-2022-0001", "xzspj", "信用服务", "每日", """
“双公示”行政许可信息：行政许可决定文书号、许可证书名称及编号、行政相对人名称和统一社会信用代码、许可内容与有效期。

依据《国家发展改革委关于进一步规范“信用中国”网站和地方信用门户网站行政处罚信息公示工作的通知》等文件，
行政许可信息自作出决定之日起 7 个工作日内公示。
""", "行政许可 双公示 信用 审批", "2022-01-04", "2026-11-20", "2025-11-03/2026-11-19",
        (R("admin_licensing", "administrative-licensing.csv", "行政许可信息", "administrative-licensing"),)),
    pkg("jiangzhou-construction-sites", "在建建筑工地信息", "JZ-ZJ-2023-0003", "zjj", "城建住房", "每月", """
全市在建房屋建筑和市政工程项目的施工许可、参建单位、合同金额、建筑面积和施工进度状态。
**施工许可证编号**由行政区划代码、发证日期和流水号组成。
""", "建筑工地 施工许可 在建工程 扬尘", "2023-07-01", "2026-11-05", "2023-03-01/2026-10-31",
        (R("construction_sites", "construction-sites.csv", "在建建筑工地", "construction-sites"),)),
    pkg("jiangzhou-affordable-housing-projects", "保障性住房项目", "JZ-ZJ-2022-0006", "zjj", "城建住房", "每季", """
公共租赁住房、保障性租赁住房、共有产权住房和棚改安置房项目的建设与分配情况。
""", "保障性住房 公租房 保障房 安居", "2022-06-30", "2026-10-09", "2012-01-01/2026-09-30",
        (R("affordable_housing", "affordable-housing-projects.xlsx", "保障性住房项目", "affordable-housing-projects"),)),
    pkg("jiangzhou-presale-permits", "商品房预售许可信息", "JZ-ZJ-2023-0008", "zjj", "城建住房", "每月", """
商品房预售许可证核发信息，含项目名称、开发企业、预售幢号、套数与面积。
""", "商品房 预售许可 房地产", "2023-01-20", "2026-11-10", "2025-01-01/2026-10-31",
        (R("presale_permits", "presale-permits.csv", "商品房预售许可", "presale-permits"),)),
    pkg("jiangzhou-place-names", "标准地名录", "JZ-ZR-2021-0004", "zrzyghj", "地理空间", "不定期", """
经批准的道路、河流、湖泊、山体、广场等标准地名及其汉语拼音、含义和位置。
""", "地名 标准地名 道路 地理", "2021-12-01", "2026-05-20", "1985-01-01/2026-05-20",
        (R("place_names", "place-names.csv", "标准地名录", "place-names"),)),
    pkg("jiangzhou-land-use-planning-permits", "建设用地规划许可信息", "JZ-ZR-2024-0010", "zrzyghj", "城建住房", "每月", """
建设用地规划许可证核发信息（用地位置、面积、用地性质、核发日期）。
""", "规划许可 建设用地 国土空间规划", "2024-02-01", "2026-11-06", "2024-01-01/2026-10-31",
        (R("land_permits", "land-use-planning-permits.csv", "建设用地规划许可", "land-use-planning-permits"),)),
    pkg("jiangzhou-public-toilets", "公共厕所分布", "JZ-CG-2023-0002", "cgj", "生活服务", "每季", """
城市公共厕所的位置、类别、厕位数量、第三卫生间配置及开放时间。也可在“江州城管”小程序中查询最近的公厕。
""", "公厕 公共厕所 厕所革命 便民", "2023-03-01", "2026-10-02", "2023-01-01/2026-09-30",
        (R("public_toilets", "public-toilets.csv", "公共厕所", "public-toilets", schema=False),)),
    pkg("jiangzhou-ev-chargers", "充电桩分布", "JZ-FG-2023-0004", "fgw", "资源能源", "每月", """
全市公共充电站位置、运营商、直流/交流充电桩数量与额定功率。设备编号为 11 位设备编码。
""", "充电桩 充电站 新能源汽车 能源", "2023-08-08", "2026-11-11", "2019-01-01/2026-10-31",
        (R("ev_chargers", "ev-chargers.csv", "充电桩分布", "ev-chargers"),)),
    pkg("jiangzhou-farmers-markets", "农贸市场名录", "JZ-SW-2023-0001", "swj", "商贸流通", "每年", """
城区和县城农贸市场、菜市场的地址、摊位数、营业面积和开办单位。
""", "农贸市场 菜市场 民生 商贸", "2023-05-05", "2026-04-30", "2023-01-01/2026-04-30",
        (R("farmers_markets", "farmers-markets.csv", "农贸市场", "farmers-markets", schema=False),)),
    pkg("jiangzhou-weather-observations", "地面气象观测数据", "JZ-QX-2022-0001", "qxj", "气象服务", "实时", """
江州国家基本气象站逐小时地面观测数据（气温、相对湿度、降水、风向风速、气压、能见度）及观测站点信息。

数据按 [CC0 1.0](https://creativecommons.org/publicdomain/zero/1.0/) 发布，可自由使用。
""", "气象观测 天气 气温 降水", "2022-04-01", "2026-10-31", "2026-10-18/2026-10-31",
        (R("weather_stations", "stations.csv", "观测站点", "weather-stations"),
         R("weather_hourly", "hourly-observations.csv", "逐小时观测", "hourly-observations")),
        license="cc0"),
    pkg("jiangzhou-weather-warnings", "气象灾害预警信号发布信息", "JZ-QX-2022-0002", "qxj", "气象服务", "实时", """
江州市气象台及县气象台发布的暴雨、高温、大风、雷电、大雾、寒潮、道路结冰等预警信号及解除时间。
""", "气象预警 暴雨 高温 预警信号", "2022-04-01", "2026-11-21", "2025-11-20/2026-11-21",
        (R("weather_warnings", "weather-warnings.csv", "预警信号", "weather-warnings"),), license="cc0"),
    pkg("jiangzhou-emergency-shelters", "应急避难场所", "JZ-YJ-2023-0001", "yjglj", "公共安全", "每年", """
全市应急避难场所的类型、位置、有效避难面积、可容纳人数和设施配置。
""", "应急避难场所 应急 防灾减灾", "2023-05-12", "2026-05-12", "2023-01-01/2026-05-12",
        (R("shelters", "emergency-shelters.csv", "应急避难场所", "emergency-shelters"),)),
    pkg("jiangzhou-hazchem-licences", "危险化学品经营许可信息", "JZ-YJ-2023-0004", "yjglj", "安全生产", "每月", """
危险化学品经营许可证核发信息：企业名称、统一社会信用代码、许可证编号、许可范围、经营方式、有效期。
""", "危险化学品 经营许可 安全生产", "2023-06-16", "2026-10-30", "2023-01-01/2026-10-31",
        (R("hazchem_licences", "hazchem-licences.csv", "危化品经营许可", "hazchem-licences"),)),
    pkg("jiangzhou-law-firms", "律师事务所名录", "JZ-SF-2022-0002", "sfj", "法律服务", "每半年", """
在江州市设立的律师事务所名称、组织形式、执业律师人数和联系方式。需要法律援助请拨打 **12348**。
""", "律师事务所 法律服务 律师", "2022-08-01", "2026-07-15", "2022-01-01/2026-06-30",
        (R("law_firms", "law-firms.csv", "律师事务所名录", "law-firms", schema=False),)),
    pkg("jiangzhou-farmer-cooperatives", "农民专业合作社名录", "JZ-NY-2023-0003", "nyncj", "农业农村", "每季", """
依法登记的农民专业合作社及示范社级别、主营业务和成员情况。
""", "农民专业合作社 农业 示范社 乡村振兴", "2023-03-20", "2026-10-12", "2008-01-01/2026-09-30",
        (R("cooperatives", "farmer-cooperatives.csv", "农民专业合作社", "farmer-cooperatives"),)),
    pkg("jiangzhou-police-service-points", "户政业务办理网点", "JZ-GA-2022-0003", "gaj", "公共安全", "每年", """
公安户政业务（户口迁移、居民身份证、居住证、户籍证明）办理网点及办公时间。
""", "户政 身份证办理 派出所 网点", "2022-03-10", "2024-05-20", "2022-01-01/2024-05-20",
        (R("police_points", "police-service-points.csv", "户政业务办理网点", "police-service-points"),)),
    pkg("jiangzhou-budget-execution", "市本级一般公共预算收入执行情况", "JZ-CZ-2024-0001", "czj", "财税金融", "每月", """
2026 年市本级一般公共预算收入分科目执行情况，金额单位为**万元**。
""", "财政 预算 收入 执行", "2024-02-15", "2026-11-15", "2026-01-01/2026-10-31",
        (R("budget_execution", "budget-execution.csv", "预算收入执行情况", "budget-execution"),)),
    pkg("jiangzhou-tech-smes", "科技型中小企业名录", "JZ-KJ-2024-0002", "kjj", "科技创新", "每年", """
通过评价入库的科技型中小企业名单，含入库登记编号和技术领域。
""", "科技型中小企业 科技创新 入库", "2024-06-01", "2026-08-30", "2024-01-01/2026-08-30",
        (R("tech_smes", "tech-smes.csv", "科技型中小企业", "tech-smes"),)),
    pkg("jiangzhou-economic-indicators", "主要经济指标", "JZ-TJ-2022-0001", "tjj", "经济建设", "每季", """
江州市地区生产总值、规模以上工业增加值、固定资产投资、社会消费品零售总额、居民收入等主要经济指标的季度累计值与同比增速。
数据为初步核算数，以《江州统计年鉴》为准。
""", "经济指标 GDP 统计 国民经济", "2022-04-25", "2026-10-24", "2024-01-01/2026-09-30",
        (R("economic_indicators", "economic-indicators.csv", "主要经济指标", "economic-indicators"),)),
    pkg("jiangzhou-statistical-bulletin-2025", "江州市2025年国民经济和社会发展统计公报", "JZ-TJ-2026-0002", "tjj", "经济建设", "每年", """
全市 2025 年国民经济和社会发展统计公报全文：地区生产总值、农业、工业和建筑业、固定资产投资、国内贸易和人民生活等主要指标。
""", "统计公报 国民经济 统计", "2026-03-20", "2026-03-20", "2025-01-01/2025-12-31",
        (R("statistical_bulletin", "statistical-bulletin-2025.docx", "统计公报全文", "bulletin", schema=False),),
        notes=("只有 Word 文档：发布检查“缺少机器可读格式”暂停发布，待统计局补报数据表",)),
)
# fmt: on
