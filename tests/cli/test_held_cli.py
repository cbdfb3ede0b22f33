"""`kaifang quarantine list` shows held files with their ids and reasons; `kaifang quarantine
confirm` records the 人工确认 and says what became of the dataset, or fails with one line."""

import re

import pytest
from click.testing import CliRunner

from portal.cli import main
from tests.factories import write_package
from tests.services.test_file_confirmations import write_held_package


@pytest.fixture
def run(tmp_path):
    runner = CliRunner()
    env = {"KAIFANG_INSTANCE": str(tmp_path / "instance")}

    def invoke(*args):
        return runner.invoke(main, list(args), env=env, catch_exceptions=False)

    write_held_package(tmp_path / "src")
    stops = [["站点名称", "所在道路"], ["火车站", "站前路"]]
    write_package(tmp_path / "src", "bus", title="公交站点", rows=stops)
    invoke("init")
    invoke("source", "add", "src", "--kind", "datapackage", "--location", str(tmp_path / "src"))
    invoke("harvest")
    return invoke


def _held(output: str) -> dict[str, str]:
    return dict(re.findall(r"待人工确认：(\S+)（([0-9a-f-]{36})）", output))


def test_list_shows_held_files_with_ids_and_reasons(run):
    output = run("quarantine", "list").output
    assert _held(output).keys() == {"线路图", "扫描件"}
    assert "    PNG 图像无法扫描" in output
    assert "    PDF 第 1 页没有可提取的文字（可能是扫描图像），无法扫描" in output


def test_confirm_each_file_then_the_dataset_is_published(run):
    ids = _held(run("quarantine", "list").output)
    first = run("quarantine", "confirm", "stops", ids["线路图"], "--note", "线路示意图")
    assert first.exit_code == 0
    assert "仍在隔离中：还有 1 个文件待人工确认（扫描件）" in first.output
    done = run("quarantine", "confirm", "stops", ids["扫描件"])
    assert done.exit_code == 0 and "数据集 公交线路信息 已发布" in done.output
    assert "隔离区为空" in run("quarantine", "list").output


def test_confirm_fails_with_one_line(run):
    ids = _held(run("quarantine", "list").output)
    for args, reason in (
        (("nope", ids["线路图"]), "错误：未找到数据集 nope"),
        (("stops", "no-such-file"), "错误：该数据集没有这个文件"),
        (("stops", ids["线路图"], "--note", "字" * 2001), "错误：说明不能超过 2000 字"),
    ):
        failed = run("quarantine", "confirm", *args)
        assert failed.exit_code == 1 and failed.output.strip() == reason, failed.output
    run("quarantine", "confirm", "stops", ids["线路图"])
    again = run("quarantine", "confirm", "stops", ids["线路图"])
    assert again.exit_code == 1 and again.output.count("\n") == 1 and "无需人工确认" in again.output


def test_list_shows_the_publish_gates_with_what_to_fix(tmp_path):
    from tests.factories import pdf_bytes

    runner = CliRunner()
    env = {"KAIFANG_INSTANCE": str(tmp_path / "instance")}

    def invoke(*args):
        return runner.invoke(main, list(args), env=env, catch_exceptions=False)

    (tmp_path / "src" / "report").mkdir(parents=True)
    (tmp_path / "src" / "report" / "report.pdf").write_bytes(pdf_bytes("Budget 2025"))
    resources = [{"name": "report", "path": "report.pdf", "format": "pdf"}]
    write_package(tmp_path / "src", "report", title="预算报告", resources=resources)
    invoke("init")
    invoke("source", "add", "src", "--kind", "datapackage", "--location", str(tmp_path / "src"))
    invoke("harvest")
    output = invoke("quarantine", "list").output
    assert "未通过发布检查 machine-readable：仅提供 PDF 格式的文件" in output
    assert "    如何修正：同时报送 CSV、XLSX、JSON 等机器可读格式的数据文件" in output
    released = invoke("quarantine", "release", "report")
    assert released.exit_code == 1
    assert released.output.startswith("错误：未通过发布检查，不能解除隔离：缺少机器可读格式")
