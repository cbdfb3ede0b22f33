from pathlib import Path

from datasets.intake.validation import validate_table


def _types(report):
    return {e["type"]: e["count"] for e in report["errors"]}


def test_structural_errors_of_a_real_fixture_are_reported_by_type(realdata):
    report = validate_table(realdata / "frictionless-py-fixtures" / "invalid.csv", fmt="csv")
    assert report["status"] == "failure" and report["valid"] is False
    assert set(_types(report)) == {
        "blank-label",
        "duplicate-label",
        "missing-cell",
        "blank-row",
        "extra-cell",
    }
    example = report["errors"][0]["examples"][0]
    assert set(example) == {"row", "field", "message"}


def test_schema_type_errors_and_cell_values(tmp_path: Path):
    path = tmp_path / "parking.csv"
    path.write_text("名称,车位数\n江南停车场,120\n临湖停车场,暂无\n", encoding="utf-8")
    schema = {
        "fields": [
            {"name": "名称", "type": "string"},
            {"name": "车位数", "type": "integer", "x-ours": True},
        ]
    }
    report = validate_table(path, fmt="csv", schema=schema)
    assert _types(report) == {"type-error": 1}
    assert "暂无" in report["errors"][0]["examples"][0]["message"]
    hidden = validate_table(path, fmt="csv", schema=schema, keep_cell_values=False)
    message = hidden["errors"][0]["examples"][0]["message"]
    assert "暂无" not in message and "车位数" in message and "3" in message


def test_valid_tables_report_rows_fields_and_inferred_schema(realdata):
    report = validate_table(realdata / "frictionless-py-fixtures" / "table.xlsx", fmt="xlsx")
    assert report["status"] == "success"
    assert report["rows"] == 2 and report["fields"] == 2
    assert [f["name"] for f in report["schema"]["fields"]] == ["id", "name"]


def test_an_unreadable_table_is_an_error_report_not_an_exception(realdata, tmp_path):
    report = validate_table(realdata / "frictionless-py-fixtures" / "empty.csv", fmt="csv")
    assert report["status"] == "error"
    broken = tmp_path / "broken.xlsx"
    broken.write_bytes(b"not a spreadsheet")
    assert validate_table(broken, fmt="xlsx")["status"] == "error"
