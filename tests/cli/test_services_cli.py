"""``kaifang services sweep`` (overdue cases, grants, e-mail) and ``kaifang audit export``."""

from __future__ import annotations

import csv
import io
import os

import pytest
from click.testing import CliRunner

from portal.cli import main
from tests.services.test_mail import Sink
from tests.services.test_transparency import build_world


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    built = build_world(tmp_path_factory.mktemp("services-cli") / "instance")
    yield built
    built.rt.close()


@pytest.fixture
def run(world):
    runner = CliRunner()

    def invoke(*args, **env):  # type: ignore[no-untyped-def]
        environment = {"KAIFANG_INSTANCE": str(world.rt.paths.root), **env}
        return runner.invoke(main, list(args), env=environment, catch_exceptions=False)

    return invoke


def test_sweep_flags_overdue_cases_once_and_mails_when_smtp_is_set(run):
    first = run("services", "sweep")
    assert first.exit_code == 0, first.output
    assert "逾期事项：新标记 1 件（当前逾期共 1 件），发出通知 2 条" in first.output
    assert "授权：到期 0 个，暂停 0 个" in first.output
    assert "邮件：未配置 SMTP 服务器（KAIFANG_SMTP_HOST）" in first.output

    second = run("services", "sweep")
    assert "逾期事项：新标记 0 件（当前逾期共 1 件），发出通知 0 条" in second.output

    sink = Sink().start()
    try:
        mailed = run(
            "services", "sweep", KAIFANG_SMTP_HOST="127.0.0.1", KAIFANG_SMTP_PORT=str(sink.port)
        )
    finally:
        sink.stop()
    assert mailed.exit_code == 0, mailed.output
    line = next(x for x in mailed.output.splitlines() if x.startswith("邮件："))
    sent = int(line.split("发送 ")[1].split(" 封")[0])
    assert sent == len(sink.messages) > 0 and "失败 0 封" in line
    subjects = [m["Subject"] for _, m in sink.messages]
    assert any("已逾期" in s for s in subjects)


def test_audit_export_writes_a_csv_file(run, tmp_path):
    target = tmp_path / "audit.csv"
    result = run("audit", "export", "--output", str(target))
    assert result.exit_code == 0, result.output
    raw = target.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(raw.decode("utf-8-sig"))))
    assert rows[0] == ["id", "at", "actor", "action", "object_type", "object_id", "detail"]
    assert f"已导出 {len(rows) - 1} 条审计记录" in result.output
    assert any(r[3] == "application.decide" for r in rows[1:])


def test_audit_export_to_standard_output_with_a_period(run):
    result = run("audit", "export", "--since", "2999-01-01", "--action", "application.*")
    assert result.exit_code == 0
    lines = result.stdout_bytes.decode("utf-8-sig").splitlines()
    assert lines == ["id,at,actor,action,object_type,object_id,detail"]


def test_audit_export_rejects_a_bad_date(run):
    result = run("audit", "export", "--since", "last week")
    assert result.exit_code == 1
    assert result.output.strip().startswith("错误：") and "since" in result.output


def test_a_failed_export_leaves_the_file_there_as_it_was(run, tmp_path):
    target = tmp_path / "audit.csv"
    target.write_bytes(b"an earlier export\n")
    result = run("audit", "export", "--since", "last week", "--output", str(target))
    assert result.exit_code == 1 and result.output.strip().startswith("错误：")
    assert target.read_bytes() == b"an earlier export\n"
    assert [p.name for p in tmp_path.iterdir()] == ["audit.csv"]  # no partial file beside it
    written = run("audit", "export", "--output", str(target))
    assert written.exit_code == 0 and target.read_bytes().startswith(b"\xef\xbb\xbf")
    assert target.stat().st_mode & 0o777 == 0o666 & ~_umask()


def _umask() -> int:
    umask = os.umask(0)
    os.umask(umask)
    return umask
