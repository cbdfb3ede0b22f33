"""``kaifang user add`` for companies and departments, ``user token`` and ``user list``."""

import pytest
from click.testing import CliRunner

from datasets.accounts.keys import actor_for_api_key
from datasets.models import Organization
from datasets.runtime import Runtime
from datasets.settings import load_settings
from portal.cli import main

PASSWORD = "a long enough password\n"
XIAOMI = "91110108551385082Q"


@pytest.fixture
def instance(tmp_path):
    return tmp_path / "instance"


@pytest.fixture
def run(instance):
    runner = CliRunner()
    env = {"KAIFANG_INSTANCE": str(instance)}

    def invoke(*args, input=None):
        return runner.invoke(main, list(args), env=env, input=input, catch_exceptions=False)

    assert invoke("init").exit_code == 0
    return invoke


@pytest.fixture
def runtime(instance, run):
    rt = Runtime(load_settings({"instance": str(instance)}, environ={}))
    yield rt
    rt.close()


def _company(run, name, code, *extra):
    return run(
        "user",
        "add",
        name,
        "--role",
        "company",
        "--org-name",
        "小米科技有限责任公司",
        "--credit-code",
        code,
        "--legal-representative",
        "雷军",
        "--phone",
        "010-60606666",
        "--password-stdin",
        *extra,
        input=PASSWORD,
    )


def test_an_invalid_credit_code_is_refused_before_the_password_is_asked(run):
    result = run(
        "user", "add", "xiaomi", "--role", "company", "--org-name", "小米科技有限责任公司",
        "--credit-code", "91110108551385082A", "--legal-representative", "雷军",
        "--phone", "010-60606666",
    )  # fmt: skip
    assert result.exit_code == 1
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("错误：")  # no prompt came first
    assert "统一社会信用代码 91110108551385082A 无效" in lines[0] and "校验位应为 Q" in lines[0]
    assert _company(run, "xiaomi", "9111010855138508").exit_code == 1


def test_a_company_with_a_valid_code_is_created(run, runtime):
    result = _company(run, "xiaomi", XIAOMI.lower(), "--email", "it@example.com")
    assert result.exit_code == 0 and "已创建用户 xiaomi（company）" in result.output
    assert _company(run, "xiaomi2", XIAOMI).exit_code == 1  # one account per code
    listing = run("user", "list").output
    assert "xiaomi" in listing and "company" in listing and "小米科技有限责任公司" in listing


def test_every_missing_company_field_is_named(run):
    result = run("user", "add", "acme", "--role", "company", "--password-stdin", input=PASSWORD)
    assert result.exit_code == 1
    for message in ("请填写企业名称", "请填写统一社会信用代码", "请填写法定代表人", "联系电话"):
        assert message in result.output
    citizen = run(
        "user", "add", "zhang", "--role", "citizen", "--credit-code", XIAOMI, "--password-stdin",
        input=PASSWORD,
    )  # fmt: skip
    assert citizen.exit_code == 1 and "只有企业账户" in citizen.output


def test_reviewers_name_their_department_in_chinese_or_by_its_code(run, runtime):
    with runtime.session() as session:
        session.add(Organization(name="jzjtj", title="江州市交通运输局", code="11360400MB0000001X"))
    args = ("user", "add", "--role", "reviewer", "--password-stdin")
    missing = run(
        "user", "add", "nobody", *args[2:], "--department", "江州市无此局", input=PASSWORD
    )
    assert missing.exit_code == 1 and "没有部门“江州市无此局”" in missing.output
    for user, department in (("rev1", "江州市交通运输局"), ("rev2", "11360400MB0000001X")):
        assert (
            run(
                "user", "add", user, *args[2:], "--department", department, input=PASSWORD
            ).exit_code
            == 0
        )
    listed = run("user", "list").output
    assert listed.count("jzjtj") == 2


def test_user_token_prints_a_working_key_last(run, runtime):
    run("user", "add", "zhang", "--role", "citizen", "--password-stdin", input=PASSWORD)
    result = run("user", "token", "zhang", "--label", "nightly sync")
    assert result.exit_code == 0
    lines = result.output.strip().splitlines()
    assert len(lines) == 2 and "只显示这一次" in lines[0]
    actor = actor_for_api_key(runtime, lines[-1])
    assert actor is not None and actor.name == "zhang" and actor.api_key_id
    second = run("user", "token", "zhang").output.strip().splitlines()[-1]
    assert second != lines[-1] and actor_for_api_key(runtime, second).name == "zhang"


def test_user_token_for_nobody_fails(run):
    result = run("user", "token", "nobody")
    assert result.exit_code == 1 and "没有用户 nobody" in result.output


def test_user_list_when_empty(run):
    assert "还没有用户" in run("user", "list").output


def test_user_password_checks_the_rules_and_ends_the_sessions(run, runtime):
    from datasets.accounts.users import actor_for, authenticate_session

    weak = run(
        "user", "add", "zhao", "--role", "operator", "--password-stdin", input="aaaaaaaaaa\n"
    )
    assert weak.exit_code == 1 and "至少要有 4 个不同的字符" in weak.output
    run("user", "add", "zhang", "--role", "citizen", "--password-stdin", input=PASSWORD)
    actor, generation = authenticate_session(runtime, name="zhang", password=PASSWORD.strip())
    common = run("user", "password", "zhang", "--password-stdin", input="password2026\n")
    assert common.exit_code == 1 and "密码过于常见" in common.output
    assert run("user", "password", "nobody", "--password-stdin", input=PASSWORD).exit_code == 1
    done = run("user", "password", "zhang", "--password-stdin", input="a new secret of mine\n")
    assert done.exit_code == 0 and "此前的登录已全部失效" in done.output
    assert actor_for(runtime, actor.user_id, generation) is None
    assert (
        authenticate_session(runtime, name="zhang", password="a new secret of mine")[0].name
        == "zhang"
    )
