"""The departments (提供部门) of the fictional 江州市 and their 统一社会信用代码."""

from __future__ import annotations

from dataclasses import dataclass

from checksums import make_uscc

CITY_REGION = "361000"  # 江州市 (fictional 行政区划代码, used consistently)
CITY_AREA_CODE = "0792"  # telephone area code used in the demo


@dataclass(frozen=True)
class Department:
    slug: str  # short ASCII slug, used only for folder names
    name: str
    org8: str  # first 8 characters of the 组织机构代码 (the check character is computed)

    @property
    def code(self) -> str:
        """18-character 统一社会信用代码 of a 机关 (登记管理部门 1, 类别 1)."""
        return make_uscc("11", CITY_REGION, self.org8)


DEPARTMENTS: tuple[Department, ...] = (
    Department("gaj", "江州市公安局", "01451203"),
    Department("jtysj", "江州市交通运输局", "01451318"),
    Department("sthjj", "江州市生态环境局", "01451422"),
    Department("wjw", "江州市卫生健康委员会", "01451537"),
    Department("jyj", "江州市教育局", "01451641"),
    Department("mzj", "江州市民政局", "01451756"),
    Department("scjgj", "江州市市场监督管理局", "MB162048"),
    Department("zrzyghj", "江州市自然资源和规划局", "MB162051"),
    Department("zjj", "江州市住房和城乡建设局", "01451860"),
    Department("rsj", "江州市人力资源和社会保障局", "01451975"),
    Department("wglj", "江州市文化广电旅游局", "01452083"),
    Department("qxj", "江州市气象局", "40100372"),
    Department("xzspj", "江州市行政审批服务局", "MB162110"),
    Department("cgj", "江州市城市管理局", "01452198"),
    Department("fgw", "江州市发展和改革委员会", "01450105"),
    Department("swj", "江州市商务局", "01452201"),
    Department("yjglj", "江州市应急管理局", "MB162070"),
    Department("sfj", "江州市司法局", "01452316"),
    Department("nyncj", "江州市农业农村局", "01452420"),
    Department("czj", "江州市财政局", "01450210"),
    Department("kjj", "江州市科学技术局", "01452535"),
    Department("tjj", "江州市统计局", "01452640"),
    Department("ybj", "江州市医疗保障局", "MB162081"),
    Department("sws", "国家税务总局江州市税务局", "MB158724"),
)

BY_SLUG: dict[str, Department] = {d.slug: d for d in DEPARTMENTS}


def dept(slug: str) -> Department:
    """Department by slug (KeyError for an unknown slug)."""
    return BY_SLUG[slug]
