import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from portal.cli import main
from tests.factories import write_package


@pytest.fixture
def run(tmp_path):
    runner = CliRunner()
    env = {"KAIFANG_INSTANCE": str(tmp_path / "instance")}

    def invoke(*args):
        return runner.invoke(main, list(args), env=env, catch_exceptions=False)

    return invoke


def test_init_is_idempotent(run):
    first, second = run("init"), run("init")
    assert first.exit_code == 0 and second.exit_code == 0
    assert "数据库已升级" in second.output


def test_source_add_list_and_harvest(run, tmp_path):
    write_package(tmp_path / "src", "bus-lines")
    run("init")
    added = run("source", "add", "jt", "--kind", "datapackage", "--location", str(tmp_path / "src"))
    assert added.exit_code == 0 and "jt（datapackage）" in added.output
    harvested = run("harvest")
    assert harvested.exit_code == 0
    assert "jt：完成，新增 1" in harvested.output
    listing = run("source", "list")
    assert "jt" in listing.output and "1 个数据集" in listing.output and "完成" in listing.output
    assert "未变 1" in run("harvest", "jt").output


def test_index_rebuild_cuts_words_or_writes_whole_rows(run, tmp_path):
    write_package(tmp_path / "src", "bus-lines")
    run("init")
    run("source", "add", "jt", "--kind", "datapackage", "--location", str(tmp_path / "src"))
    run("harvest")
    assert "已重建索引：1 个文档" in run("index", "rebuild").output
    assert "已重建索引：1 个文档" in run("index", "rebuild", "--packages").output
    assert "已更新 0 个索引文档" in run("index", "sync").output


@pytest.mark.parametrize(
    "args, reason",
    [
        (("source", "add", "xy", "--kind", "ftp", "--location", "/tmp"), "未知的来源类型"),
        (("source", "add", "Bad Name", "--kind", "export", "--location", "/tmp"), "来源名称"),
        (("source", "add", "xy", "--kind", "datapackage", "--location", "/no/such/dir"), "不存在"),
        (("harvest", "nope"), "没有名为 nope 的来源"),
        (("harvest",), "没有可采集的来源"),
    ],
)
def test_failures_exit_non_zero_with_a_one_line_reason(run, args, reason):
    run("init")
    result = run(*args)
    assert result.exit_code == 1
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("错误：") and reason in lines[0]


def test_duplicate_sources_fail_unless_exist_ok(run, tmp_path):
    write_package(tmp_path / "src", "a")
    run("init")
    args = ("source", "add", "jt", "--kind", "datapackage", "--location", str(tmp_path / "src"))
    assert run(*args).exit_code == 0
    assert run(*args).exit_code == 1
    assert run(*args, "--exist-ok").exit_code == 0


def test_commands_before_init_say_what_to_do(run):
    result = run("source", "list")
    assert result.exit_code == 1 and "kaifang init" in result.output


def test_a_failed_source_makes_harvest_exit_non_zero(run, tmp_path):
    folder = tmp_path / "src"
    write_package(folder, "a")
    run("init")
    run("source", "add", "jt", "--kind", "datapackage", "--location", str(folder))
    (folder / "a" / "datapackage.json").unlink()
    result = run("harvest", "jt")
    assert result.exit_code == 1 and "失败" in result.output


def test_settings_lists_every_variable(run):
    output = run("settings").output
    assert "KAIFANG_DATABASE_URL" in output and "KAIFANG_INSTANCE" in output


def test_the_installed_command_reports_bad_configuration(tmp_path):
    kaifang = Path(sys.executable).with_name("kaifang")
    result = subprocess.run(
        [str(kaifang), "init"],
        capture_output=True,
        text=True,
        timeout=120,
        env={
            "KAIFANG_INSTANCE": str(tmp_path / "i"),
            "KAIFANG_PAGE_SIZE": "lots",
            "PATH": "/usr/bin:/bin",
        },
    )
    assert result.returncode == 1
    assert result.stderr.strip() == "错误：setting KAIFANG_PAGE_SIZE must be an integer, got 'lots'"


def test_harvest_due_runs_only_due_sources(run, tmp_path):
    write_package(tmp_path / "a", "bus-lines")
    write_package(tmp_path / "b", "bus-stops", title="公交站点信息")
    run("init")
    run(
        "source",
        "add",
        "daily",
        "--kind",
        "datapackage",
        "--location",
        str(tmp_path / "a"),
        "--frequency",
        "daily",
    )
    run("source", "add", "manual", "--kind", "datapackage", "--location", str(tmp_path / "b"))
    first = run("harvest", "--due")
    assert first.exit_code == 0 and "daily：完成" in first.output
    assert "manual" not in first.output
    assert "没有到期需要采集的来源" in run("harvest", "--due").output
    assert run("harvest", "--due", "daily").exit_code == 1


@pytest.mark.parametrize(
    ("config", "exit_code", "said"),
    [("rows=5000", 1, "rows"), ("rows", 1, "KEY=VALUE"), ("rows=50", 0, "portal（ckan）")],
)
def test_sources_take_kind_specific_configuration(run, config, exit_code, said):
    run("init")
    location = "http://127.0.0.1:9/"
    result = run(
        "source", "add", "portal", "--kind", "ckan", "--location", location, "--config", config
    )
    assert result.exit_code == exit_code and said in result.output
