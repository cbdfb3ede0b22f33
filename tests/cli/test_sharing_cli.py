"""``kaifang sharing export``: the sharing catalog (共享目录) as CSV for the government data
sharing platform, from the command line (the web export: tests/web/test_terms_web.py)."""

from __future__ import annotations

import csv
import io
import re

import pytest
from click.testing import CliRunner
from sqlalchemy import select

from datasets.intake.publishing import import_record
from datasets.intake.records import FileRecord, HarvestRecord, ProviderRecord
from datasets.models import AuditEntry, HarvestSource
from portal.cli import main
from tests.factories import BUS_ROWS, PHYSICIAN_ROWS, make_runtime, own_rows, write_csv

BASE_URL = "https://data.jiangzhou.example.gov.cn"
PLATFORM = "https://share.jiangzhou.example.gov.cn/catalog"
HEALTH = ProviderRecord("江州市卫生健康委员会", "11361000MB0000002N")
TRANSPORT = ProviderRecord("江州市交通运输局", "11361000MB0000001P")
HEADER = [
    "信息资源代码",
    "信息资源名称",
    "数据集标识",
    "提供方",
    "提供方代码",
    "共享属性",
    "共享条件",
    "共享方式",
    "不予共享依据",
    "开放属性",
    "更新周期",
    "最近更新日期",
    "目录地址",
]


@pytest.fixture(scope="module")
def instance(tmp_path_factory):
    """A catalog declaring each 共享属性, harvested as a department's source declares them."""
    folder = tmp_path_factory.mktemp("sharing-cli")
    rt = make_runtime(folder / "instance")
    with rt.session() as session:
        source = HarvestSource(name="sharing", kind="datapackage", location="/nowhere")
        session.add(source)
        session.flush()
        source_id = source.id
    entries = [
        (
            "bus-lines",
            "公交线路信息",
            TRANSPORT,
            BUS_ROWS,
            {},
            ("无条件共享", None, "数据下发接口"),
        ),
        (
            "physicians",
            "执业医师注册信息",
            HEALTH,
            PHYSICIAN_ROWS,
            {"openness": "有条件开放", "conditions": "仅向医疗卫生科研机构开放"},
            ("有条件共享", "仅向医疗保障部门提供", "系统对接（查询服务）"),
        ),
        (
            "tax",
            "企业纳税明细",
            TRANSPORT,
            [["企业", "税额"], ["甲公司", "100"]],
            {
                "openness": "不予开放",
                "exclusion_rule": "privacy-trade-secret",
                "exclusion_basis": "涉及商业秘密",
            },
            ("不予共享", None, None),
        ),
        ("stops", "公交站点", TRANSPORT, own_rows("stops"), {}, (None, None, None)),
    ]
    for name, title, provider, rows, extra, (share_type, conditions, method) in entries:
        data = write_csv(folder / f"{name}.csv", rows)
        record = HarvestRecord(
            identifier=name,
            name=name,
            title=title,
            provider=provider,
            notes=title,
            topic="交通运输",
            files=(FileRecord(path=data, name=name, format="csv"),),
            share_type=share_type,
            share_conditions=conditions,
            share_method=method,
            share_basis="《中华人民共和国税收征收管理法》第八条" if name == "tax" else None,
            update_cycle="每月",
            **extra,
        )
        import_record(rt, record=record, source_id=source_id)
    yield rt
    rt.close()


@pytest.fixture
def run(instance):
    runner = CliRunner()
    env = {
        "KAIFANG_INSTANCE": str(instance.paths.root),
        "KAIFANG_BASE_URL": BASE_URL,
        "KAIFANG_SHARE_PLATFORM_URL": PLATFORM,
    }

    def invoke(*args):  # type: ignore[no-untyped-def]
        return runner.invoke(main, list(args), env=env)

    return invoke


def _exports(rt) -> int:  # type: ignore[no-untyped-def]
    with rt.reader() as session:
        rows = session.scalars(select(AuditEntry).where(AuditEntry.action == "sharing.export"))
        return len([row for row in rows if row.actor.startswith("cli:")])


def test_the_sharing_catalog_is_exported_as_a_utf8_csv_file_for_the_platform(
    run, instance, tmp_path
):
    before = _exports(instance)
    target = tmp_path / "共享目录.csv"
    result = run("sharing", "export", "--output", str(target))
    assert result.exit_code == 0, result.output
    raw = target.read_bytes()
    # UTF-8 with a byte-order mark, so that spreadsheet programs read the Chinese right
    assert raw.startswith(b"\xef\xbb\xbf") and "不予共享".encode() in raw
    rows = list(csv.reader(io.StringIO(raw.decode("utf-8-sig"), newline="")))
    assert rows[0] == HEADER
    by_name = {row[2]: dict(zip(HEADER, row, strict=True)) for row in rows[1:]}
    assert sorted(by_name) == ["bus-lines", "physicians", "stops", "tax"]
    assert by_name["bus-lines"]["共享属性"] == "无条件共享"
    assert by_name["bus-lines"]["共享方式"] == "数据下发接口"
    assert by_name["bus-lines"]["目录地址"] == f"{BASE_URL}/dataset/bus-lines"
    conditional = by_name["physicians"]
    assert (conditional["提供方"], conditional["提供方代码"]) == (HEALTH.title, HEALTH.code)
    assert [conditional[k] for k in ("共享属性", "共享条件", "共享方式", "开放属性")] == [
        "有条件共享",
        "仅向医疗保障部门提供",
        "系统对接（查询服务）",
        "有条件开放",
    ]
    closed = by_name["tax"]
    assert [closed[k] for k in ("共享属性", "共享条件", "共享方式", "不予共享依据")] == [
        "不予共享",
        "",
        "",
        "《中华人民共和国税收征收管理法》第八条",
    ]
    assert closed["开放属性"] == "不予开放" and closed["更新周期"] == "每月"
    assert by_name["stops"]["共享属性"] == "未填报"  # said, not left empty
    # the operator is told how many entries went where, and where the platform is
    assert f"已导出 4 条共享目录到 {target}；共享平台：{PLATFORM}" in result.stderr
    assert _exports(instance) == before + 1  # recorded in the audit log

    # to standard output: the same bytes
    printed = run("sharing", "export")
    assert printed.exit_code == 0, printed.output
    assert printed.stdout_bytes == raw


@pytest.mark.parametrize(
    ("output", "named"),
    [("没有的目录/共享目录.csv", "没有的目录"), (".", ".")],
    ids=["a file in a missing folder", "a folder"],
)
def test_a_bad_output_is_refused_with_a_one_line_chinese_message(
    run, instance, tmp_path, output, named
):
    before = _exports(instance)
    result = run("sharing", "export", "-o", str(tmp_path / output))
    assert result.exit_code != 0 and result.stdout_bytes == b""
    assert result.exception is None or isinstance(result.exception, SystemExit)  # no traceback
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("错误："), lines
    assert str((tmp_path / named).resolve()) in lines[0] or str(tmp_path / named) in lines[0]
    assert re.search("[\u4e00-\u9fff]", lines[0].removeprefix("错误："))  # said in Chinese
    assert _exports(instance) == before  # nothing exported, nothing recorded
