"""The demo catalog: vocabularies, licences, and the full list of datasets.

Dataset entries live in ``catalog_packages.py`` (open data packages), ``catalog_special.py``
(conditional, closed and flawed packages) and ``catalog_exports.py`` (department exports).
"""

from __future__ import annotations

from catalog_exports import EXPORT_DATASETS, EXPORT_STYLES
from catalog_packages import OPEN_PACKAGES
from catalog_special import SPECIAL_PACKAGES
from model import Dataset

# fmt: off
TOPICS = (
    "经济建设", "信用服务", "财税金融", "交通运输", "教育文化", "科技创新", "卫生健康", "社保就业",
    "生态环境", "资源能源", "城建住房", "社会救助", "公共安全", "农业农村", "商贸流通", "市场监管",
    "机构团体", "气象服务", "法律服务", "安全生产", "生活服务", "文化休闲", "地理空间",
)
# fmt: on
CYCLES = ("实时", "每日", "每周", "每旬", "每月", "每季", "每半年", "每年", "不定期")
SHARE_TYPES = ("无条件共享", "有条件共享", "不予共享")
OPENNESS_ZH = {"unconditional": "无条件开放", "conditional": "有条件开放", "closed": "不予开放"}
RULE_TITLES = {
    "security": "开放后可能危及国家安全、公共安全、经济安全和社会稳定的",
    "privacy-trade-secret": "涉及商业秘密、个人隐私等，开放会对第三方合法权益造成损害的",
    "agreement-ip": "因协议或者知识产权限制而无法开放的",
    "law-other-channel": "法律、法规和规章规定不得开放或者应当通过其他途径获取的",
}
RULE_ITEMS = {
    "security": "第二项",
    "privacy-trade-secret": "第三项",
    "agreement-ip": "第四项",
    "law-other-channel": "第五项",
}
# fmt: off
LICENSES = {
    "cc-by": {"name": "CC-BY-4.0", "title": "知识共享署名 4.0",
              "path": "https://creativecommons.org/licenses/by/4.0/"},
    "cc0": {"name": "CC0-1.0", "title": "知识共享 CC0 1.0 公共领域贡献",
            "path": "https://creativecommons.org/publicdomain/zero/1.0/"},
    "jz-agreement": {"name": "JZ-DUA-1.0", "title": "江州市公共数据开放利用协议（有条件开放）",
                     "path": "https://data.jiangzhou.gov.cn/agreement/conditional"},
}
# fmt: on
LICENSE_LABELS = {
    "cc-by": "CC-BY-4.0",
    "cc0": "CC0-1.0",
    "jz-agreement": "江州市公共数据开放利用协议",
}

ALL_DATASETS: tuple[Dataset, ...] = OPEN_PACKAGES + SPECIAL_PACKAGES + EXPORT_DATASETS


def check_catalog(datasets: tuple[Dataset, ...] = ALL_DATASETS) -> list[str]:
    """Consistency problems of the catalog (empty list when it is sound)."""
    from departments import BY_SLUG

    problems: list[str] = []
    for field in ("slug", "code", "title"):
        values = [getattr(d, field) for d in datasets]
        dupes = {v for v in values if values.count(v) > 1}
        if dupes:
            problems.append(f"duplicate {field}: {sorted(dupes)}")
    for d in datasets:
        where = f"{d.slug}: "
        if d.dept not in BY_SLUG:
            problems.append(where + f"unknown department {d.dept}")
        if d.topic not in TOPICS:
            problems.append(where + f"topic {d.topic} not in the list")
        if d.cycle not in CYCLES:
            problems.append(where + f"update cycle {d.cycle}")
        if d.share not in SHARE_TYPES:
            problems.append(where + f"share type {d.share}")
        if d.openness not in OPENNESS_ZH:
            problems.append(where + f"openness {d.openness}")
        if d.openness == "conditional" and not d.conditions:
            problems.append(where + "conditional without conditions")
        if d.openness == "closed" and (d.rule not in RULE_TITLES or not d.basis):
            problems.append(where + "closed needs rule and basis")
        if d.openness == "closed" and d.resources and not d.masking:
            problems.append(where + "closed with data files needs masking rules")
        if d.masking and not (
            d.openness == "closed" and d.rule == "privacy-trade-secret" and d.resources
        ):
            problems.append(where + "masking only for a closed (privacy) dataset with data files")
        if d.masking and d.where != "packages":
            problems.append(where + "masking can only be declared in a datapackage.json")
        if d.openness != "closed" and not d.resources:
            problems.append(where + "open dataset without data files")
        if d.where != "packages" and d.where not in EXPORT_STYLES:
            problems.append(where + f"unknown location {d.where}")
        if d.slug != d.slug.lower() or not d.slug.isascii():
            problems.append(where + "slug must be lowercase ASCII")
    return problems
