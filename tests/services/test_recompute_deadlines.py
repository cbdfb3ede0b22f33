"""Provisional deadlines are recomputed when the operators' holiday table changes: the cases
that moved are listed by the command and noted on each case's history."""

from __future__ import annotations

import shutil
from datetime import UTC, date, datetime

from click.testing import CliRunner
from sqlalchemy import select

from datasets.models import AuditEntry, Case
from datasets.workdays import DEFAULT_TABLE
from datasets.workflows import cases as c
from datasets.workflows.machine import OPENING_REQUEST
from datasets.workflows.recompute import recompute
from portal.cli import main
from tests.factories import make_runtime

EXTRA = '\n[2028]\nholidays = ["2028-01-03"]\n'


def _open(rt, at: datetime) -> str:
    with rt.session() as session:
        case = c.open_case(
            rt,
            session,
            machine=OPENING_REQUEST,
            actor="system",
            status="submitted",
            organization_id=None,
            at=at,
            days=10,
        )
        return case.reference


def _case(rt, reference):
    with rt.reader() as session:
        case = session.scalar(select(Case).where(Case.reference == reference))
        return case.received_on, case.due_on, case.due_provisional, c.history(session, case)


def test_a_changed_table_moves_provisional_deadlines_and_notes_them(tmp_path):
    table = tmp_path / "holidays.toml"
    shutil.copy(DEFAULT_TABLE, table)
    rt = make_runtime(tmp_path / "instance", holiday_table=str(table))
    try:
        monday = _open(rt, datetime(2027, 1, 25, 2, tzinfo=UTC))
        thursday = _open(rt, datetime(2027, 1, 28, 2, tzinfo=UTC))
        settled = _open(rt, datetime(2026, 11, 2, 2, tzinfo=UTC))  # 2026: official days only
        assert _case(rt, monday)[:3] == (date(2027, 1, 25), date(2027, 2, 16), True)
        assert _case(rt, thursday)[:2] == (date(2027, 1, 28), date(2027, 2, 19))

        first = recompute(rt)
        assert first.first and not first.moved
        assert not recompute(rt).changed  # nothing changed since

        text = table.read_text(encoding="utf-8")
        table.write_text(
            text.replace(
                '"2027-01-01", "2027-01-02", "2027-01-03",',
                '"2027-01-01", "2027-01-02", "2027-01-03", "2027-01-28", "2027-01-29",',
            ),
            encoding="utf-8",
        )
        done = recompute(rt)
        assert done.changed and done.checked == 2
        lines = {m.reference: m.line() for m in done.moved}
        assert lines == {
            monday: f"{monday}：期限 2027-02-16 → 2027-02-18（仍为暂定）",
            thursday: f"{thursday}：受理日 2027-01-28 → 2027-02-01，期限 2027-02-19 → 2027-02-23"
            "（仍为暂定）",
        }
        received, due, provisional, history = _case(rt, thursday)
        assert (received, due, provisional) == (date(2027, 2, 1), date(2027, 2, 23), True)
        assert history[-1]["label"] == "节假日安排更新，重新计算期限"
        assert (
            history[-1]["note"] == "节假日安排更新：受理日 2027-01-28 → 2027-02-01，期限 "
            "2027-02-19 → 2027-02-23（仍为暂定）"
        )
        assert len(_case(rt, settled)[3]) == 1  # only its opening: never recomputed
        assert not recompute(rt).changed

        # the command says the same, after the table changes again
        table.write_text(table.read_text(encoding="utf-8") + EXTRA, encoding="utf-8")
        env = {"KAIFANG_INSTANCE": str(rt.paths.root), "KAIFANG_HOLIDAY_TABLE": str(table)}
        result = CliRunner().invoke(main, ["services", "recompute-deadlines"], env=env)
        assert result.exit_code == 0, result.output
        assert "节假日安排已更新，核对办理中的暂定期限 2 件，调整 0 件" in result.output
        again = CliRunner().invoke(main, ["services", "recompute-deadlines"], env=env)
        assert "节假日安排未变化，无需重新计算" in again.output
        with rt.reader() as session:
            rows = session.scalars(
                select(AuditEntry).where(AuditEntry.action == "case.deadline_recomputed")
            ).all()
        assert len(rows) == 2 and rows[0].detail["previous_due_on"] == "2027-02-16"
    finally:
        rt.close()
