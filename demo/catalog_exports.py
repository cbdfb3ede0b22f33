"""Catalog entries of the three department exports (目录 spreadsheet + data files).

Each export folder has its own habits, as real ones do: the catalog format, the keyword
separator, the date style and how the 不予开放情形 is written.
"""

from __future__ import annotations

from model import Dataset
from model import Resource as R

# fmt: off
EXPORT_STYLES: dict[str, dict[str, str]] = {
    "mzj": {"catalog": "目录.xlsx", "title": "江州市民政局政务信息资源目录导出", "keyword_sep": "、",
            "dates": "mixed", "rule": "text"},
    "wglj": {"catalog": "目录.csv", "title": "江州市文化广电旅游局数据目录导出（CSV）", "keyword_sep": "，",
             "dates": "zh", "rule": "code"},
    "rsj": {"catalog": "目录.xlsx", "title": "江州市人力资源和社会保障局数据目录导出", "keyword_sep": "、",
            "dates": "iso", "rule": "number"},
}
# fmt: on


def exp(
    where: str,
    title: str,
    code: str,
    topic: str,
    cycle: str,
    openness: str,
    description: str,
    keywords: str,
    issued: str,
    modified: str,
    temporal: str,
    resources: tuple[R, ...] = (),
    **extra,
) -> Dataset:
    """A dataset listed in the 目录 of export folder ``where`` (also the department slug)."""
    start, end = temporal.split("/")
    slug = extra.pop("slug")
    return Dataset(
        slug=slug,
        title=title,
        code=code,
        dept=where,
        topic=topic,
        cycle=cycle,
        openness=openness,
        description=description.strip(),
        keywords=tuple(keywords.split()),
        issued=issued,
        modified=modified,
        temporal=(start, end),
        where=where,
        resources=resources,
        **extra,
    )


_C_WELFARE = (
    "申请人须为在江州市依法登记的法人或非法人组织，用于社会救助政策研究、公益服务等场景；须签署《江州市公共数据开放利用协议》，"
    "数据仅限在申请范围内使用，不得向第三方提供，使用期限不超过一年，到期后应提交数据使用情况报告。"
)

# fmt: off
EXPORT_DATASETS: tuple[Dataset, ...] = (
    exp("mzj", "城乡最低生活保障对象名单", "JZ-MZ-2022-0001", "社会救助", "每月", "conditional", """
全市城市和农村最低生活保障对象的户主姓名、身份证号、家庭住址、保障人口和月保障金额。

含**个人敏感信息**，按有条件开放管理；按月公示的低保名单请见各县（区）政府网站的脱敏公示。
""", "低保 最低生活保障 社会救助", "2022-03-01", "2026-11-05", "2021-01-01/2026-10-31",
        (R("dibao", "城乡最低生活保障对象名单.xlsx"),), slug="jiangzhou-dibao-recipients",
        conditions=_C_WELFARE, share="有条件共享", license="jz-agreement",
        notes=("有条件开放：姓名、身份证号、住址、手机",)),
    exp("mzj", "高龄津贴发放名单", "JZ-MZ-2022-0002", "社会救助", "每月", "conditional", """
80 周岁以上老年人高龄津贴的月度发放名单，含身份证号、户籍地址、开户银行和**银行卡号**。
部分高龄老人仍登记一代 15 位身份证号。
""", "高龄津贴 老年人 养老服务", "2022-03-01", "2026-11-05", "2026-10-01/2026-10-31",
        (R("elderly_allowance", "高龄津贴发放名单_2026年10月.csv"),), slug="jiangzhou-elderly-allowance",
        conditions="仅向开展学术研究或公共服务开发的法人开放，须签署数据使用协议并说明用途、范围和安全保障措施。",
        share="有条件共享", license="jz-agreement",
        notes=("有条件开放：银行卡号（Luhn）、7 个 15 位旧身份证号",)),
    exp("mzj", "养老机构名录", "JZ-MZ-2021-0005", "社会救助", "每年", "unconditional", """
全市公办、公建民营和民办养老机构的地址、床位数、护理型床位数、收费标准和联系电话。
""", "养老机构 养老院 敬老院 医养结合", "2021-06-01", "2024-06-30", "2021-01-01/2024-06-30",
        (R("elderly_homes", "养老机构名录.xlsx"),), slug="jiangzhou-elderly-care-homes"),
    exp("mzj", "社会组织登记信息", "JZ-MZ-2021-0008", "机构团体", "每月", "unconditional", """
在民政部门登记的社会团体、民办非企业单位（社会服务机构）和基金会的登记信息。
""", "社会组织 社会团体 民办非企业 基金会", "2021-09-01", "2026-11-02", "2000-01-01/2026-10-31",
        (R("social_orgs", "社会组织登记信息.csv"),), slug="jiangzhou-social-organisations"),
    exp("mzj", "志愿者服务队名单", "JZ-MZ-2023-0011", "机构团体", "每季", "unconditional", """
各街道、社区志愿服务队的服务领域、队员人数、累计服务时长及负责人联系方式。欢迎市民就近加入！
""", "志愿服务 志愿者 社区", "2023-03-05", "2026-10-01", "2015-01-01/2026-09-30",
        (R("volunteers", "志愿者服务队名单.csv"),), slug="jiangzhou-volunteer-teams",
        notes=("声明无条件开放，但“负责人”“联系电话”为个人姓名和手机号：扫描器须拦截",)),
    exp("mzj", "殡葬服务机构名录", "JZ-MZ-2022-0013", "生活服务", "每年", "unconditional", """
殡仪馆、公益性公墓、经营性公墓和殡葬服务站的地址与服务电话。
""", "殡葬 公墓 殡仪馆", "2022-04-01", "2026-04-01", "2022-01-01/2026-03-31",
        (R("funeral_services", "殡葬服务机构名录.csv"),), slug="jiangzhou-funeral-services"),
    exp("mzj", "婚姻登记档案信息", "JZ-MZ-2022-0015", "社会救助", "每日", "closed", """
结婚、离婚登记及补领婚姻登记证的档案信息。当事人可持本人身份证件到婚姻登记机关查询本人档案。
""", "婚姻登记 档案", "2022-01-01", "2026-11-20", "1980-01-01/2026-11-20", slug="jiangzhou-marriage-records",
        rule="privacy-trade-secret", share="有条件共享",
        basis="《中华人民共和国个人信息保护法》第二十八条（婚姻状况等属于敏感个人信息）；《婚姻登记档案管理办法》关于档案查询利用的规定。"),
    exp("wglj", "旅游景区名录", "JZ-WL-2022-0001", "文化休闲", "每季", "unconditional", """
江州市主要旅游景区、公园和文化场馆的类型、门票价格、开放时间、咨询电话及位置。

摘自江州文旅网景区介绍页面：<script>alert(1)</script>欢迎来江州！<img src=x onerror=alert(1)>

- 门票价格为 0 表示免费开放
- 节假日开放时间以景区公告为准
""", "旅游景区 景点 旅游 门票", "2022-05-01", "2026-10-18", "2022-01-01/2026-09-30",
        (R("scenic_spots", "旅游景区名录.csv"),), slug="jiangzhou-scenic-spots",
        notes=("摘要含 <script> 和 <img onerror>：渲染须净化",)),
    exp("wglj", "A级旅游景区名录", "JZ-WL-2022-0002", "文化休闲", "每年", "unconditional", """
经评定的 **A 级旅游景区**名录（5A、4A、3A、2A），含评定年份和管理单位。
""", "A级景区 旅游 5A 4A", "2022-05-01", "2026-01-15", "2006-01-01/2025-12-31",
        (R("a_level_scenic", "A级旅游景区名录.csv"),), slug="jiangzhou-a-level-scenic-areas"),
    exp("wglj", "文物保护单位名录", "JZ-WL-2021-0004", "教育文化", "不定期", "unconditional", """
全国重点、省级、市级和县级文物保护单位的类别、时代、地址和公布批次。同时提供 XLSX 和 CSV 两种格式。
""", "文物保护单位 文物 历史文化", "2021-10-01", "2026-03-01", "2001-01-01/2026-03-01",
        (R("heritage_sites", "文物保护单位名录.xlsx"), R("heritage_sites", "文物保护单位名录.csv")),
        slug="jiangzhou-heritage-sites"),
    exp("wglj", "公共图书馆名录", "JZ-WL-2022-0006", "文化休闲", "每年", "unconditional", """
江州市图书馆总分馆及“城市书房”的地址、开放时间、藏书量和阅览座位数。全部免费开放。
""", "图书馆 城市书房 阅读", "2022-04-23", "2026-04-23", "2022-01-01/2026-04-23",
        (R("libraries", "公共图书馆名录.csv", encoding="utf-8-sig", newline="\r\n"),), slug="jiangzhou-public-libraries",
        notes=("UTF-8 带 BOM、CRLF 换行",)),
    exp("wglj", "体育场馆名录", "JZ-WL-2023-0009", "文化休闲", "每半年", "unconditional", """
公共体育场馆、全民健身中心和社区健身设施的地址、开放时间和免费或低收费开放情况。
""", "体育场馆 全民健身 运动", "2023-08-08", "2026-08-08", "2023-01-01/2026-08-08",
        (R("sports_venues", "体育场馆名录.csv"),), slug="jiangzhou-sports-venues"),
    exp("wglj", "旅行社名录", "JZ-WL-2022-0011", "文化休闲", "每季", "unconditional", """
经许可设立的旅行社名称、许可证编号、业务范围和质量保证金。
""", "旅行社 旅游 许可证", "2022-06-01", "2026-10-20", "2022-01-01/2026-09-30",
        (R("travel_agencies", "旅行社名录.csv"),), slug="jiangzhou-travel-agencies"),
    exp("wglj", "非物质文化遗产代表性项目名录", "JZ-WL-2024-0016", "教育文化", "不定期", "unconditional", "",
        "非物质文化遗产 非遗 传统技艺", "2024-06-08", "2026-06-13", "2006-01-01/2026-06-13",
        (R("intangible_heritage", "非物质文化遗产代表性项目名录.csv"),), slug="jiangzhou-intangible-heritage",
        notes=("目录行的摘要为空：发布检查“目录必填项缺失”暂停发布，待文广旅局补写摘要",)),
    exp("wglj", "馆藏文物数字化影像资源", "JZ-WL-2023-0014", "教育文化", "不定期", "closed", """
江州博物馆馆藏文物的高清数字化影像和三维模型。
""", "文物 数字化 影像 博物馆", "2023-05-18", "2025-12-01", "2023-01-01/2025-12-01",
        slug="jiangzhou-museum-digital-images", rule="agreement-ip", share="有条件共享",
        basis="江州博物馆与江州博古数字科技有限公司签订的《馆藏文物数字化合作协议》约定数字影像著作权归属及使用范围，"
              "并依据《中华人民共和国著作权法》保护，未经许可不得向社会开放。"),
    exp("rsj", "就业招聘会信息", "JZ-RS-2022-0001", "社保就业", "每月", "unconditional", """
江州市人力资源和社会保障局主办的各类专场招聘会的举办时间、地点、参会企业、招聘岗位和薪资范围。
""", "招聘会 就业 岗位 招聘", "2022-02-01", "2026-10-31", "2025-01-01/2026-10-31",
        (R("job_fairs_2025", "就业招聘会信息_2025.csv", encoding="gb18030", newline="\r\n"),
         R("job_fairs_2026", "就业招聘会信息_2026.csv", encoding="gb18030", newline="\r\n")),
        slug="jiangzhou-job-fairs", notes=("两个 GB18030 编码的 CSV（含 堃 喆 昇 垚）",)),
    exp("rsj", "失业保险金领取人员名单", "JZ-RS-2022-0004", "社保就业", "每月", "conditional", """
正在领取失业保险金人员的缴费月数、核定领取月数、领取标准及联系方式（含电子邮箱）。
""", "失业保险 失业金 社会保险", "2022-06-01", "2026-11-10", "2025-06-01/2026-10-31",
        (R("unemployment", "失业保险金领取人员名单.csv"),), slug="jiangzhou-unemployment-benefit-recipients",
        conditions="仅向开展就业形势分析的高等院校和科研机构开放；须提交研究方案，签署数据使用协议，数据在江州市公共数据开放平台"
                   "安全沙箱内使用，结果数据经审核后方可导出。",
        share="有条件共享", license="jz-agreement", notes=("有条件开放：姓名、身份证号、手机、电子邮箱、住址",)),
    exp("rsj", "人力资源服务机构名录", "JZ-RS-2022-0007", "社保就业", "每季", "unconditional", """
取得《人力资源服务许可证》的经营性人力资源服务机构名录。
""", "人力资源服务 职业中介 劳务派遣", "2022-07-01", "2026-10-15", "2020-01-01/2026-09-30",
        (R("hr_agencies", "人力资源服务机构名录.xlsx"),), slug="jiangzhou-hr-service-agencies"),
    exp("rsj", "职业技能培训机构名录", "JZ-RS-2023-0010", "社保就业", "每半年", "unconditional", """
经人力资源社会保障部门审批的民办职业技能培训机构及培训工种。
""", "职业技能培训 技能 培训机构", "2023-03-01", "2026-09-01", "2023-01-01/2026-08-31",
        (R("training_orgs", "职业技能培训机构名录.csv"),), slug="jiangzhou-vocational-training"),
    exp("rsj", "社会保险个人权益记录", "JZ-RS-2022-0012", "社保就业", "每日", "closed", """
参保人员的社会保险缴费、视同缴费年限和待遇享受记录。
""", "社会保险 缴费记录 个人权益", "2022-01-01", "2026-11-21", "1992-01-01/2026-11-20",
        slug="jiangzhou-social-insurance-records", rule="law-other-channel", share="有条件共享",
        basis="《中华人民共和国社会保险法》第七十四条：用人单位和个人可以免费向社会保险经办机构查询、核对其缴费和享受社会保险待遇记录"
              "——应当通过社会保险经办机构或“江州人社”平台查询，不通过开放平台开放。"),
)
# fmt: on
