import pytest
from click.testing import CliRunner

from portal.cli import main
from tests.factories import write_package

ROWS = [["队伍名称", "负责人", "联系电话"], ["江南区青年志愿服务队", "欧阳明", "13912345678"]]


@pytest.fixture
def run(tmp_path):
    runner = CliRunner()
    env = {"KAIFANG_INSTANCE": str(tmp_path / "instance")}

    def invoke(*args, input=None):
        return runner.invoke(main, list(args), env=env, input=input, catch_exceptions=False)

    write_package(tmp_path / "src", "volunteers", title="志愿者服务队名单", rows=ROWS)
    invoke("init")
    invoke("source", "add", "src", "--kind", "datapackage", "--location", str(tmp_path / "src"))
    invoke("harvest")
    return invoke


def test_quarantine_list_shows_masked_findings(run):
    output = run("quarantine", "list").output
    assert "volunteers" in output and "联系电话: 手机号码 1 处（100%），示例 139****5678" in output
    assert "13912345678" not in output and "欧阳明" not in output


def test_release_after_masking_rules(run):
    refused = run("quarantine", "release", "volunteers")
    assert refused.exit_code == 1 and "负责人" in refused.output
    assert run("masking", "set", "volunteers", "负责人", "mask-name").exit_code == 0
    assert run("masking", "set", "volunteers", "联系电话", "mask-mobile").exit_code == 0
    released = run("quarantine", "release", "volunteers")
    assert released.exit_code == 0 and "脱敏后开放" in released.output
    assert "隔离区为空" in run("quarantine", "list").output


def test_bad_masking_policy_and_unknown_dataset(run):
    bad = run("masking", "set", "volunteers", "负责人", "blur")
    assert bad.exit_code == 1 and "blur" in bad.output
    missing = run("masking", "set", "nope", "负责人", "mask-name")
    assert missing.exit_code == 1 and "未找到数据集 nope" in missing.output


def test_reclassify_from_the_command_line(run):
    result = run(
        "reclassify",
        "volunteers",
        "--openness",
        "closed",
        "--rule",
        "privacy-trade-secret",
        "--basis",
        "《个人信息保护法》第二十八条",
        "--reason",
        "志愿者个人信息",
    )
    assert result.exit_code == 0 and "closed" in result.output
    invalid = run("reclassify", "volunteers", "--openness", "closed", "--reason", "x")
    assert invalid.exit_code == 1 and "不予开放" in invalid.output


def test_user_add_reads_the_password_from_stdin(run):
    ok = run(
        "user",
        "add",
        "ops",
        "--role",
        "operator",
        "--password-stdin",
        input="a long enough password\n",
    )
    assert ok.exit_code == 0 and "已创建用户 ops（operator）" in ok.output
    short = run("user", "add", "ops2", "--role", "operator", "--password-stdin", input="short\n")
    assert short.exit_code == 1 and "密码至少" in short.output
    reviewer = run(
        "user",
        "add",
        "rev",
        "--role",
        "reviewer",
        "--password-stdin",
        input="a long enough password\n",
    )
    assert reviewer.exit_code == 1 and "--department" in reviewer.output


def test_masking_policies_are_listed(run):
    output = run("masking", "policies").output
    for code in ("suppress", "pseudonym", "year", "district", "mask-id", "mask-name"):
        assert code in output
