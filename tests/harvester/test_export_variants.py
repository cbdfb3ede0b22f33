"""The ``export`` kind on real Chinese portal catalogs (realdata/cn-portal-catalogs-cnpds).

Every catalog file is harvested through the real pipeline (add_source → run_source). Publishing
costs some 40–100 ms per dataset, so the two biggest catalogs (Fuzhou 2300 entries, Chizhou
1648) are harvested in full in one slow test, and the others as a copy of at most 150 entries
that keeps every entry with a special problem (see ``SPECIAL``).
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from datasets.accounts.permissions import command_line_actor
from datasets.catalog import services as catalog
from datasets.errors import NotFound, SourceError
from datasets.models import Dataset
from datasets.runtime import Runtime
from harvester.base import SourceConfig
from harvester.export import ExportSource
from harvester.jobs import JobResult, run_source
from harvester.normalise import clean_line
from harvester.sources import add_source, get_sources
from tests.conftest import REALDATA
from tests.factories import make_runtime

CNPDS = REALDATA / "cn-portal-catalogs-cnpds"
SLICE = 150


def _load(name: str) -> list[dict[str, Any]]:
    return json.loads((CNPDS / name).read_text(encoding="utf-8"))


def _modified_before_issued(row: dict[str, Any]) -> bool:
    issued = row.get("发布时间") or row.get("发布日期")
    modified = row.get("更新时间") or row.get("更新日期")
    return bool(issued and modified and modified < issued)


# entries a slice must keep: every one with a problem worth testing
SPECIAL: dict[str, Callable[[dict[str, Any]], bool]] = {
    "anhui_anhui.json": lambda r: (
        r["更新频率"] != "每年"
        or r["所属领域"] in ("", "长三角高价值清单")
        and r["开放属性"] != "无条件开放"
        or r["数据格式"] == "[]"
        or _modified_before_issued(r)
    ),
    "anhui_huainan.json": lambda r: True,
    "anhui_luan.json": lambda r: (
        r["更新频率"] in ("每天", "每季度", "每半年") or r["标题"] in LUAN_REPEATED
    ),
    "anhui_suzhou.json": lambda r: (
        "文件数" in r
        or "数据量" not in r
        or r["开放类型"] == "无条件开放"
        or r["更新频率"] == "每季度"
    ),
    "fujian_xiamen.json": lambda r: (
        _modified_before_issued(r)
        or " " in r["更新频率"]
        or r["开放类型"] == "安全开放"
        and r["发布时间"] is None
        or "," in (r["主题领域"] or "")
        and r["开放类型"] != "普遍开放"
    ),
    "guangxi_guilin.json": lambda r: True,
    "guangxi_nanning.json": lambda r: (
        r["更新频率"] in ("每天", "实时", "每周", "每季度")
        or r["数据格式"] == "[]"
        and r["所属行业"]
    ),
    "guizhou_qianxinan.json": lambda r: (
        r["更新频率"] == "每年" or r["主题名称"] == "默认主题" and r["开放属性"] == "无条件开放"
    ),
    "jiangxi_jiangxi.json": lambda r: r["数据更新时间"] is None or r["数据格式"] == "",
}
# titles Lu'an repeats: under other departments, or (the last two) as exact copies
LUAN_REPEATED = (
    "工商_企业基本信息",
    "组织机构代码信息",
    "信息公开行政审批信息",
    "信息公开行政处罚信息",
    "六安市市级部门专项资金管理清单",
    "建筑起重机械使用登记信息",
)

# file → (entries harvested, added, errored): the errors are entries without a 提供方 (a required
# 目录 field: Chizhou 88, Huainan 2) and exact copies of an earlier entry (Fuzhou 2280, Lu'an 2)
FULL = {
    "fujian_fuzhou.json": (2300, 20, 2280),
    "anhui_chizhou.json": (1648, 1560, 88),
}
SLICED = {
    "anhui_anhui.json": (150, 150, 0),
    "anhui_huainan.json": (35, 33, 2),
    "anhui_luan.json": (150, 148, 2),
    "anhui_suzhou.json": (150, 150, 0),
    "fujian_xiamen.json": (150, 150, 0),
    "guangxi_guilin.json": (150, 150, 0),
    "guangxi_nanning.json": (150, 150, 0),
    "guizhou_qianxinan.json": (150, 150, 0),
    "jiangxi_jiangxi.json": (150, 150, 0),
}


def sliced(name: str) -> list[dict[str, Any]]:
    """At most ``SLICE`` entries in catalog order: every special one, then the first others."""
    rows = _load(name)
    keep = [i for i, r in enumerate(rows) if SPECIAL[name](r)][:SLICE]
    for i in range(len(rows)):
        if len(keep) >= SLICE:
            break
        if i not in keep:
            keep.append(i)
    return [rows[i] for i in sorted(keep)]


def _source_name(file: str) -> str:
    return file.removesuffix(".json").replace("_", "-")


def _harvest(rt: Runtime, file: str, location: Path) -> JobResult:
    name = _source_name(file)
    add_source(rt, name=name, kind="export", location=str(location))
    return run_source(rt, get_sources(rt, [name])[0])


class Harvested:
    """Catalogs harvested, each into a runtime of its own (the search index of one big
    instance would make every later commit slower), and the ways to look at the outcome."""

    def __init__(self, base: Path) -> None:
        self.base = base
        self.runtimes: dict[str, Runtime] = {}
        self.results: dict[str, JobResult] = {}
        self.seconds: dict[str, float] = {}

    def run(self, file: str, location: Path) -> None:
        rt = self.runtimes[file] = make_runtime(self.base / _source_name(file) / "instance")
        started = time.perf_counter()
        self.results[file] = _harvest(rt, file, location)
        self.seconds[file] = time.perf_counter() - started

    def close(self) -> None:
        for rt in self.runtimes.values():
            rt.close()

    def dataset(self, file: str, identifier: str) -> dict[str, Any]:
        """The stored dataset of one entry: its package dict as an operator sees it (an entry
        without 摘要 is held by the publish gates, see ``held``) plus ``unnormalised``,
        ``state`` and the ``gates`` it failed."""
        rt = self.runtimes[file]
        with rt.reader() as session:
            ds = session.scalar(select(Dataset).where(Dataset.source_identifier == identifier))
            assert ds is not None, f"{file}: no dataset for {identifier}"
            dataset_id, unnormalised, state = ds.id, dict(ds.unnormalised), ds.state
            gates = [g["code"] for g in ds.quarantine.get("gates", [])]
        pkg = catalog.package_show(
            rt, id_or_name=dataset_id, base_url="http://localhost", actor=command_line_actor()
        )
        return {
            **pkg,
            "unnormalised": unnormalised,
            "tag_names": [t["name"] for t in pkg["tags"]],
            "state": state,
            "gates": gates,
        }

    def held(self, file: str, identifier: str) -> list[str]:
        """The publish gates holding an entry, checked to be hidden from the public."""
        ds = self.dataset(file, identifier)
        assert ds["state"] == "quarantined", (identifier, ds["state"])
        with pytest.raises(NotFound):
            catalog.package_show(self.runtimes[file], id_or_name=ds["id"], base_url="")
        return ds["gates"]

    def unnormalised(self, file: str) -> dict[str, dict[str, Any]]:
        """identifier → unnormalised of every dataset of a catalog."""
        with self.runtimes[file].reader() as session:
            rows = session.execute(select(Dataset.source_identifier, Dataset.unnormalised))
            return {identifier: dict(values) for identifier, values in rows}

    def identifiers(self, file: str) -> list[str]:
        return list(self.unnormalised(file))

    def errors(self, file: str) -> dict[str, str]:
        return {i: m for o, i, m in self.results[file].changes if o == "errored"}


@pytest.fixture(scope="module")
def sliced_catalogs(tmp_path_factory: pytest.TempPathFactory) -> Harvested:
    """The nine smaller catalogs, sliced, each harvested once: Huainan and Guilin (complete)
    from a folder holding the catalog, the others from the JSON file's path."""
    if not CNPDS.is_dir():
        pytest.fail(f"real-data fixtures are missing: {CNPDS}")
    harvested = Harvested(tmp_path_factory.mktemp("cnpds"))
    for file in SLICED:
        folder = harvested.base / _source_name(file) / "export"
        folder.mkdir(parents=True)
        (folder / file).write_text(json.dumps(sliced(file), ensure_ascii=False), encoding="utf-8")
        location = (
            folder if file in ("anhui_huainan.json", "guangxi_guilin.json") else folder / file
        )
        harvested.run(file, location)
    print("\nsliced harvests (s):", {f: round(s, 1) for f, s in harvested.seconds.items()})
    yield harvested
    harvested.close()


@pytest.fixture(scope="module")
def full_catalogs(tmp_path_factory: pytest.TempPathFactory) -> Harvested:
    harvested = Harvested(tmp_path_factory.mktemp("cnpds-full"))
    for file in FULL:
        harvested.run(file, CNPDS / file)
    print("\nfull harvests (s):", {f: round(s, 1) for f, s in harvested.seconds.items()})
    yield harvested
    harvested.close()


# -- every file -----------------------------------------------------------------------------


def test_every_catalog_file_is_covered():
    files = {p.name for p in CNPDS.glob("*.json")}
    assert files == set(FULL) | set(SLICED) | {"portals.json"}


@pytest.mark.parametrize("file", sorted(SLICED))
def test_sliced_catalogs_are_harvested(sliced_catalogs, file):
    entries, added, errored = SLICED[file]
    assert len(sliced(file)) == entries
    result = sliced_catalogs.results[file]
    assert result.status == "finished", result.message
    assert (result.counts["added"], result.counts["errored"]) == (added, errored), result.changes
    assert len(sliced_catalogs.identifiers(file)) == added


@pytest.mark.slow
def test_the_two_biggest_catalogs_in_full(full_catalogs):
    for file, (entries, added, errored) in FULL.items():
        assert len(_load(file)) == entries
        result = full_catalogs.results[file]
        assert result.status == "finished", result.message
        assert (result.counts["added"], result.counts["errored"]) == (added, errored)

    # Fuzhou: the crawl holds its first 20 entries 115 times over; copies are reported, not
    # published as 2280 more datasets
    errors = full_catalogs.errors("fujian_fuzhou.json")
    first = "重大建设项目批准结果@福州市发展和改革委员会"
    assert errors[f"{first}#重复2"] == "第 21 条与第 1 条完全相同，重复条目未导入"
    assert errors[f"{first}#重复115"] == "第 2281 条与第 1 条完全相同，重复条目未导入"
    fz = full_catalogs.dataset("fujian_fuzhou.json", "重点建设项目信息@福州市发展和改革委员会")
    assert fz["topic"] == "城乡建设" and fz["openness"] == "conditional"
    assert fz["unnormalised"]["主题分类"] == "城乡建设、环境保护"
    assert fz["unnormalised"]["联系方式"] == "0591-83366690、87628397"  # kept, \r\n gone
    assert fz["unnormalised"]["资源格式"] == ["csv", "json", "rdf", "xlsx", "xml"]
    assert fz["unnormalised"]["_normalised"] == {
        "资源格式": "[csv,json,rdf,xlsx,xml] → csv, json, rdf, xlsx, xml",
        "主题分类": "城乡建设、环境保护 → 城乡建设",
    }
    assert fz["tag_names"] == ["重点建设项目"]
    assert fz["url"] == "http://data.fuzhou.gov.cn/data/catalog/toDataCatalog"
    assert fz["issued"] == "2020-07-20" and fz["modified"] == "2022-11-18"

    # Chizhou: 74 repeated titles (91 once an ideographic space counts as a space); identifiers
    # are title@provider, then #2, #3 in catalog order
    rows = _load("anhui_chizhou.json")
    titles = [r["标题"] for r in rows]
    assert len(titles) - len(set(titles)) == 74
    identifiers = full_catalogs.identifiers("anhui_chizhou.json")
    assert len(identifiers) == len(set(identifiers)) == 1560
    expected, seen = [], {}
    for r in rows:
        if r["提供单位"]:
            base = f"{clean_line(r['标题'])}@{r['提供单位']}"
            seen[base] = seen.get(base, 0) + 1
            expected.append(base if seen[base] == 1 else f"{base}#{seen[base]}")
    assert sorted(identifiers) == sorted(expected)
    assert len([i for i in identifiers if "#" in i]) == 57
    assert "13-10 分县区私营工业企业主要经济指标（2019年）@财政局#2" in identifiers
    older = full_catalogs.dataset("anhui_chizhou.json", "国民经济核算@财政局#2")
    newer = full_catalogs.dataset("anhui_chizhou.json", "国民经济核算@财政局")
    assert (newer["modified"], older["modified"]) == ("2022-08-05", "2021-12-04")
    assert newer["topic"] == "金融服务" and newer["unnormalised"]["所属领域"] == "金融服务"
    assert newer["unnormalised"]["数据格式"] == ["xls"] and newer["resources"] == []
    assert set(full_catalogs.errors("anhui_chizhou.json").values()) == {"目录缺少必填项：provider"}


def test_portals_json_is_refused(rt):
    with pytest.raises(SourceError, match="没有可识别的目录字段（缺少名称列）：portals.json"):
        add_source(rt, name="portals", kind="export", location=str(CNPDS / "portals.json"))


def test_a_folder_of_many_catalogs_is_refused(rt):
    with pytest.raises(SourceError, match="多个候选文件"):
        add_source(rt, name="all", kind="export", location=str(CNPDS))


def test_a_catalog_without_a_title_column_is_refused(rt, tmp_path):
    (tmp_path / "目录.json").write_text('[{"部门": "x", "数据量": "1"}]', encoding="utf-8")
    with pytest.raises(SourceError, match="缺少名称列.*现有字段：部门、数据量"):
        add_source(rt, name="untitled", kind="export", location=str(tmp_path))


# -- spot checks per portal -----------------------------------------------------------------


def test_huainan_typos_and_missing_departments(sliced_catalogs):
    h = sliced_catalogs
    ds = h.dataset("anhui_huainan.json", "民办非企业单位@淮南市民政局")
    assert ds["openness"] == "unconditional" and ds["topic"] == "生活服务"
    # Huainan's catalog has no 摘要 column: every entry is held until its department writes one
    assert h.held("anhui_huainan.json", "民办非企业单位@淮南市民政局") == ["catalog-fields"]
    assert ds["unnormalised"]["_normalised"] == {"开放属性": "无条件开发 → unconditional"}
    # unmapped columns are kept as they are
    assert ds["unnormalised"]["数据领域"] == "公共服务" and ds["unnormalised"]["数据类型"] == "file"
    assert ds["unnormalised"]["创建时间"] == "2023-01-10"
    assert ds["issued"] == "2023-01-10" and ds["modified"] == "2023-03-15"
    assert ds["url"].startswith("https://sjzyj.huainan.gov.cn/")
    conditional = h.dataset("anhui_huainan.json", "12329热线电话咨询服务@淮南市数据资源管理局")
    assert conditional["openness"] == "conditional"
    assert conditional["unnormalised"]["_normalised"] == {"开放属性": "有条件开发 → conditional"}
    assert h.errors("anhui_huainan.json") == {
        "粮油全品种收购进度": "目录缺少必填项：provider",
        "“安徽好粮油”产品名单": "目录缺少必填项：provider",
    }


def test_xiamen_class_names_cycles_and_dates(sliced_catalogs):
    h = sliced_catalogs
    lidar = h.dataset("fujian_xiamen.json", "厦门市大气超级站激光雷达监测数据@厦门市生态环境局")
    assert lidar["openness"] == "conditional" and lidar["topic"] == "气象服务"
    assert (lidar["issued"], lidar["modified"]) == ("2023-02-16", "2022-12-20")  # both kept
    assert lidar["unnormalised"]["_notes"] == ["更新时间早于发布时间：2022-12-20 < 2023-02-16"]
    assert lidar["unnormalised"]["_normalised"]["开放类型"] == "依申请开放 → conditional"
    assert sorted(lidar["tag_names"]) == sorted(["水利、环境和公共设施管理业", "气象服务"])
    assert lidar["unnormalised"]["联系方式"] == "xmdata@xm.gov.cn"
    assert lidar["url"].startswith("https://data.xm.gov.cn/opendata-server/catalog/detail?")

    anomalies = [
        h.dataset("fujian_xiamen.json", identifier)
        for identifier, values in h.unnormalised("fujian_xiamen.json").items()
        if values.get("_notes")
    ]
    assert len(anomalies) == 12
    assert all(d["modified"] < d["issued"] for d in anomalies)

    abnormal = h.dataset(
        "fujian_xiamen.json", "厦门市市场监管局经营异常名录信息@厦门市市场监督管理局"
    )
    assert abnormal["openness"] == "conditional" and abnormal["update_cycle"] == "每周"
    assert abnormal["unnormalised"]["_normalised"] == {
        "开放类型": "安全开放 → conditional",
        "更新频率": "每 2 日 → 每周",
        "数据格式": "[db] → db",
    }
    water = h.dataset("fujian_xiamen.json", "厦门市水位情况信息@厦门市信息中心")
    assert water["openness"] == "unconditional"
    assert water["unnormalised"]["_normalised"]["开放类型"] == "普遍开放 → unconditional"
    assert water["topic"] == "其他" and water["unnormalised"]["主题领域"] == "其他"

    no_date = h.dataset(
        "fujian_xiamen.json", "厦门市数字湖里公共集成多媒体信息@厦门市湖里区城市管理局工会委员会"
    )
    assert no_date["issued"] is None and no_date["modified"] == "2022-10-17"
    unknown = h.dataset(
        "fujian_xiamen.json", "厦门市公共资源电子服务系统住建中标结果公示@厦门市行政审批管理局"
    )
    assert unknown["update_cycle"] is None
    assert unknown["unnormalised"]["更新频率"] == "每 null null"  # kept, not guessed
    assert unknown["topic"] is None and unknown["tag_names"] == []


def test_guangxi_class_in_conditions_counts_and_tags(sliced_catalogs):
    h = sliced_catalogs
    gl = h.dataset(
        "guangxi_guilin.json", "桂林市市场监督管理局农专年报基本信息补充@桂林市市场监督管理局"
    )
    assert gl["openness"] == "unconditional" and gl["conditions"] is None
    assert gl["update_cycle"] == "每年" and gl["topic"] == "市场监管"
    assert gl["unnormalised"]["_normalised"] == {
        "开放条件": "无条件开放 → 开放属性 unconditional",
        "数据量": "44,270 → 44270",
        "数据格式": "['xls', 'json', 'csv'] → xls, json, csv",
    }
    assert gl["unnormalised"]["数据格式"] == ["xls", "json", "csv"]
    for placeholder in ("部门电话", "部门邮箱", "所属行业", "标签"):  # 暂无 and "" are empty
        assert placeholder not in gl["unnormalised"]
    assert gl["url"] == "https://gl.data.gxzf.gov.cn/gl/catalog/a78e442493454c21b48ee5a1c3adfafa"

    nn = h.dataset("guangxi_nanning.json", "联交所项目中标公告@南宁市公共资源交易中心")
    assert nn["update_cycle"] == "每日"
    assert nn["unnormalised"]["_normalised"]["更新频率"] == "每天 → 每日"
    assert nn["unnormalised"]["_normalised"]["所属行业"] == "其他 → （空）"
    assert "公共管理、社会保障和社会组织" in nn["tag_names"] and "联交所项目" in nn["tag_names"]
    assert not any(c in t for t in nn["tag_names"] for c in "\r\n\t")
    vets = h.dataset("guangxi_nanning.json", "乡村兽医备案信息@南宁市良庆区发展和改革局")
    assert vets["openness"] == "conditional" and "数据格式" not in vets["unnormalised"]
    assert sorted(vets["tag_names"]) == sorted(["信息", "备案", "乡村", "兽医"])


def test_anhui_province_luan_and_suzhou(sliced_catalogs):
    h = sliced_catalogs
    farms = h.dataset("anhui_anhui.json", "省级示范家庭农场@安徽省农业农村厅")
    assert farms["openness"] == "conditional" and farms["update_cycle"] == "不定期"
    assert farms["topic"] == "长三角高价值清单"  # kept as a facet, and reported
    assert farms["unnormalised"]["所属领域"] == "长三角高价值清单"
    assert farms["unnormalised"]["_normalised"] == {
        "更新频率": "自定义 → 不定期",
        "数据格式": "['xlsx'] → xlsx",
    }
    incubators = h.dataset("anhui_anhui.json", "省级科技企业孵化器认定信息@省科技厅")
    assert incubators["unnormalised"]["_notes"] == ["更新日期早于发布日期：2018-06-22 < 2018-07-27"]

    companies = h.dataset("anhui_luan.json", "工商_企业基本信息@六安市市场监管局")
    assert sorted(companies["tag_names"]) == sorted(["商贸流通", "公共管理、社会保障和社会组织"])
    assert companies["unnormalised"]["_normalised"]["数据量"] == "469,585 → 469585"
    assert companies["unnormalised"]["_normalised"]["数据格式"] == "['xls', 'api'] → xls, api"
    assert companies["unnormalised"]["数据格式"] == ["xls", "api"]
    air = h.dataset("anhui_luan.json", "六安市空气质量预报@六安市生态环境局")
    assert air["update_cycle"] == "每日"
    copy = "完全相同，重复条目未导入"
    assert h.errors("anhui_luan.json") == {
        "六安市市级部门专项资金管理清单@六安市财政局#重复2": f"第 129 条与第 126 条{copy}",
        "建筑起重机械使用登记信息@六安市住建局#重复2": f"第 130 条与第 127 条{copy}",
    }
    luan = h.identifiers("anhui_luan.json")
    assert sorted(i for i in luan if i.startswith("工商_企业基本信息@")) == [
        "工商_企业基本信息@六安市市场监管局",
        "工商_企业基本信息@舒城县数管局",
        "工商_企业基本信息@裕安区数管局",
        "工商_企业基本信息@霍山县数管局",
    ]

    tax = h.dataset("anhui_suzhou.json", "纳税信用信息@国家税务总局宿州市税务局")
    assert tax["openness"] == "unconditional" and tax["tag_names"] == ["金融业"]
    assert tax["topic"] == "信用" and tax["unnormalised"]["重点领域"] == "信用"
    env = h.dataset("anhui_suzhou.json", "环境保护能力建设投资情况@市生态环境局")
    assert env["unnormalised"]["文件数"] == "1" and env["resources"] == []


def test_qianxinan_and_jiangxi(sliced_catalogs):
    h = sliced_catalogs
    report = h.dataset(
        "guizhou_qianxinan.json", "2022年1-12月经济月报@黔西南布依族苗族自治州统计局"
    )
    assert report["topic"] is None and report["tag_names"] == []
    assert report["unnormalised"]["_normalised"] == {
        "主题名称": "默认主题 → （空）",
        "所属行业": "默认行业 → （空）",
    }
    assert report["unnormalised"]["数据格式"] == ["json"]  # a real JSON list: no note
    assert report["update_cycle"] == "实时"
    training = h.dataset(
        "guizhou_qianxinan.json", "黔西南州职业技能培训机构基本信息@黔西南州人力资源和社会保障局"
    )
    assert training["update_cycle"] == "每年" and training["topic"] == "社保就业"
    assert "主题名称" not in training["unnormalised"]  # in our vocabulary: nothing to report

    assert report["state"] == "active"  # its 数据摘要 is its 摘要
    done = h.dataset("jiangxi_jiangxi.json", "全省一窗本年已办结办件数据@省信息中心应用二部")
    assert done["modified"] is None and done["issued"] == "2023-05-16"
    assert h.held("jiangxi_jiangxi.json", "全省一窗本年已办结办件数据@省信息中心应用二部") == [
        "catalog-fields"
    ]
    assert "数据格式" not in done["unnormalised"]
    assert done["unnormalised"]["数据领域"] == "民生服务" and done["topic"] == "民生服务"


def test_record_level_values(tmp_path):
    """What the kind hands to the catalog (some fields, such as the declared record count of a
    metadata-only entry, are not all shown by the catalog yet)."""
    kind = ExportSource(
        SourceConfig("s", "guilin", "export", str(CNPDS / "guangxi_guilin.json"), {}), None
    )
    gathered = kind.gather()
    record = kind.fetch(gathered.items[0])
    assert record.record_count == 44270 and record.files == ()
    assert record.provider.title == "桂林市市场监督管理局"
    assert (record.issued, record.modified) == (date(2021, 11, 26), date(2023, 3, 4))


def test_a_second_harvest_changes_nothing(sliced_catalogs):
    """Identifiers, normalised values and notes are stable: nothing is updated or withdrawn."""
    for file in ("anhui_huainan.json", "anhui_luan.json"):
        rt = sliced_catalogs.runtimes[file]
        again = run_source(rt, get_sources(rt, [_source_name(file)])[0])
        _, added, errored = SLICED[file]
        assert again.counts["unchanged"] == added, again.changes
        assert (again.counts["added"], again.counts["updated"]) == (0, 0)
        assert (again.counts["withdrawn"], again.counts["errored"]) == (0, errored)
