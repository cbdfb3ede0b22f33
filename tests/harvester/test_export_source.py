import pytest

from datasets.catalog import services as catalog
from datasets.errors import SourceError
from harvester.export import map_headers
from harvester.jobs import run_source
from harvester.sources import add_source, get_sources
from tests.factories import search, write_csv, write_xlsx

HEADERS = [
    "信息资源名称",
    "信息资源代码",
    "提供方",
    "提供方代码",
    "摘要",
    "分类",
    "关键字",
    "开放属性",
    "开放条件",
    "不予开放情形",
    "不予开放依据",
    "更新周期",
    "发布日期",
    "更新日期",
    "数据时间范围",
    "数据文件",
]


def _row(**kw):
    base = dict(
        信息资源名称="医疗机构名录",
        信息资源代码="JZ-WJ-0001",
        提供方="江州市卫生健康委员会",
        提供方代码="",
        摘要="全市医疗机构",
        分类="卫生健康",
        关键字="医院、诊所",
        开放属性="无条件开放",
        开放条件="",
        不予开放情形="",
        不予开放依据="",
        更新周期="每季度",
        发布日期="2024年3月5日",
        更新日期="2026/10/1",
        数据时间范围="2024-01-01至2026-09-30",
        数据文件="hospitals.csv",
    )
    base.update(kw)
    return [base[h] for h in HEADERS]


def _harvest(rt, folder):
    add_source(rt, name="wjw", kind="export", location=str(folder), exist_ok=True)
    return run_source(rt, get_sources(rt, ["wjw"])[0])


def test_xlsx_catalog_with_gb18030_data_file(rt, tmp_path):
    write_csv(
        tmp_path / "hospitals.csv",
        [["机构名称", "地址"], ["江州市第一人民医院", "江南区堃山路1号"]],
        encoding="gb18030",
    )
    write_xlsx(tmp_path / "目录.xlsx", [HEADERS, _row()])
    result = _harvest(rt, tmp_path)
    assert result.counts["added"] == 1, result.changes
    hits = search(rt, q="医疗机构")["results"]
    pkg = hits[0]
    assert pkg["update_cycle"] == "每季" and pkg["issued"] == "2024-03-05"
    assert pkg["modified"] == "2026-10-01" and pkg["temporal_end"] == "2026-09-30"
    assert [t["name"] for t in pkg["tags"]] == ["医院", "诊所"]
    res = pkg["resources"][0]
    assert res["source_encoding"] == "gb18030" and res["validation_status"] == "success"
    found = catalog.resource_download(rt, dataset=pkg["name"], resource_id=res["id"])
    assert "江南区堃山路1号" in found.path.read_text(encoding="utf-8")


def test_csv_catalog_closed_rows_and_bad_rows(rt, tmp_path):
    write_csv(tmp_path / "hospitals.csv", [["机构名称"], ["江州市中医院"]])
    rows = [
        HEADERS,
        _row(),
        _row(
            信息资源名称="不动产登记簿",
            信息资源代码="JZ-ZR-0009",
            开放属性="不予开放",
            不予开放情形="法律、法规和规章规定不得开放或者应当通过其他途径获取的",
            不予开放依据="《不动产登记暂行条例》第二十七条",
            数据文件="",
        ),
        _row(信息资源名称="缺依据的目录", 信息资源代码="JZ-X-1", 开放属性="不予开放", 数据文件=""),
        _row(信息资源名称="文件丢了", 信息资源代码="JZ-X-2", 数据文件="gone.csv"),
    ]
    write_csv(tmp_path / "目录.csv", rows)
    result = _harvest(rt, tmp_path)
    assert (result.counts["added"], result.counts["errored"]) == (2, 2)
    errors = {
        identifier: message
        for outcome, identifier, message in result.changes
        if outcome == "errored"
    }
    assert "缺少不予开放情形或依据" in errors["JZ-X-1"]
    assert "gone.csv" in errors["JZ-X-2"]
    closed = search(rt, q="不动产")["results"][0]
    assert closed["openness"] == "closed" and closed["exclusion_rule"] == "law-other-channel"


def test_real_catalog_header_variants_are_mapped():
    mapping = map_headers(["目录名称", "开放类型", "数据来源", "主题领域", "更新频率", "简介"])
    assert mapping == {
        "title": "目录名称",
        "openness": "开放类型",
        "provider": "数据来源",
        "topic": "主题领域",
        "update_cycle": "更新频率",
        "notes": "简介",
    }


def test_a_folder_without_a_catalog_is_refused_when_added(rt, tmp_path):
    with pytest.raises(SourceError, match="没有目录文件"):
        add_source(rt, name="empty", kind="export", location=str(tmp_path))
