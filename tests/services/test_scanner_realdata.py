"""Real tables nobody here wrote raise no personal-information alarm."""

from pathlib import Path

import pytest

from datasets.openness.pii.reading import scan_table

REALDATA = Path(__file__).resolve().parents[3] / "shared" / "realdata"
UNREADABLE = {"non_utf8_sample.csv", "latin1.csv", "table-infer-iso-8859-7.csv"}


def _tables():
    for path in sorted(REALDATA.rglob("*.csv")) + sorted(REALDATA.rglob("*.xlsx")):
        if path.name not in UNREADABLE:
            yield pytest.param(path, id=str(path.relative_to(REALDATA)))


@pytest.mark.parametrize("path", list(_tables()))
def test_real_open_data_tables_have_no_personal_findings(path, realdata):
    report = scan_table(path, path.suffix.lstrip("."))
    assert [f for f in report.findings if f.personal] == []


def test_the_real_tables_are_really_read(realdata):
    rows = sum(
        scan_table(p.values[0], p.values[0].suffix.lstrip(".")).rows_scanned for p in _tables()
    )
    assert rows > 2000
