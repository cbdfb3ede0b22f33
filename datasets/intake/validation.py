"""The one place that calls Frictionless: validate a table file and return a stored report.

``validate_table`` is a pure function of its arguments (a path and plain values) so that it can run
in a worker process. The report it returns is a plain dict, stored with the resource and shown on
the dataset page and in the API.
"""

from __future__ import annotations

import logging
from collections import OrderedDict
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)

SUCCESS = "success"
FAILURE = "failure"
ERROR = "error"  # the table could not be read at all

TABLE_FORMATS = ("csv", "xlsx", "xls", "json", "ods", "tsv")
_MAX_EXAMPLES = 5
# Error types that mean "the check could not run", as opposed to problems in the data.
_FATAL_TYPES = {
    "resource-error",
    "source-error",
    "scheme-error",
    "format-error",
    "encoding-error",
    "schema-error",
    "dialect-error",
    "package-error",
}


def _quiet_frictionless() -> None:
    for name in ("frictionless", "charset_normalizer", "chardet"):
        logging.getLogger(name).setLevel(logging.ERROR)


def validate_table(
    path: Path,
    *,
    fmt: str,
    encoding: str | None = "utf-8",
    schema: dict[str, Any] | None = None,
    row_limit: int = 0,
    keep_cell_values: bool = True,
    header_row: int = 0,
    sheet: str | None = None,
    delimiter: str | None = None,
) -> dict[str, Any]:
    """Validate one table with Frictionless.

    ``header_row`` (0-based), ``sheet`` and ``delimiter`` say where the table is, as the
    product's table reader found it (rows above the header are titles and notes).
    ``keep_cell_values=False`` leaves cell contents out of the stored messages; use it for tables
    whose values must not be shown (the report of a conditional dataset is public).
    """
    import frictionless
    from frictionless import Resource, Schema

    _quiet_frictionless()
    fmt = fmt.lower()
    options = _resource_options(path, fmt, encoding, header_row, sheet, delimiter)
    try:
        if schema and schema.get("fields"):
            options["schema"] = Schema.from_descriptor(_plain_schema(schema))
        resource = Resource(**options)
        report = resource.validate(limit_rows=row_limit or None, limit_errors=10_000)
    except frictionless.FrictionlessException as exc:
        return error_report(f"{exc.error.title}: {exc.error.message}", exc.error.type)
    except Exception as exc:  # noqa: BLE001 — any crash of the validator is an "error" report
        log.exception("frictionless crashed on %s", path)
        return error_report(f"校验程序无法读取该文件：{type(exc).__name__}", "resource-error")
    return _stored_report(resource, report, row_limit, keep_cell_values)


def _resource_options(
    path: Path,
    fmt: str,
    encoding: str | None,
    header_row: int,
    sheet: str | None,
    delimiter: str | None,
) -> dict[str, Any]:
    """What Frictionless needs to read the table where the product's reader found it."""
    from frictionless import Dialect, formats

    options: dict[str, Any] = {"path": path.name, "basepath": str(path.parent), "format": fmt}
    if fmt in ("csv", "tsv") and encoding:
        options["encoding"] = encoding
    controls: list[Any] = []
    if fmt in ("csv", "tsv") and delimiter:
        controls.append(formats.CsvControl(delimiter=delimiter))
    if fmt in ("xlsx", "xls") and sheet:
        controls.append(formats.ExcelControl(sheet=sheet))
    if header_row or controls:
        options["dialect"] = Dialect(header_rows=[header_row + 1], controls=controls)
    return options


def _stored_report(
    resource: Any, report: Any, row_limit: int, keep_cell_values: bool
) -> dict[str, Any]:
    """Frictionless's report as the plain dict stored with the resource."""
    import frictionless

    task = report.tasks[0] if report.tasks else None
    errors = list(task.errors) if task else list(report.errors)
    stats: dict[str, Any] = dict(task.stats) if task else {}
    fields = []
    if resource.schema is not None:
        fields = [
            {"name": f.name, "type": f.type, "description": f.description or ""}
            for f in resource.schema.fields
        ]
    grouped: OrderedDict[str, dict[str, Any]] = OrderedDict()
    for error in errors:
        entry = grouped.setdefault(
            error.type,
            {
                "type": error.type,
                "title": error.title,
                "description": error.description,
                "count": 0,
                "examples": [],
            },
        )
        entry["count"] += 1
        if len(entry["examples"]) < _MAX_EXAMPLES:
            entry["examples"].append(_example(error, keep_cell_values))
    fatal = any(t in _FATAL_TYPES for t in grouped)
    status = SUCCESS if report.valid else (ERROR if fatal else FAILURE)
    return {
        "status": status,
        "valid": bool(report.valid),
        "rows": stats.get("rows"),
        "fields": stats.get("fields"),
        "error_count": len(errors),
        "errors": list(grouped.values()),
        "schema": {"fields": fields},
        "row_limit": row_limit or None,
        "validator": f"frictionless {frictionless.__version__}",
    }


def _plain_schema(schema: dict[str, Any]) -> dict[str, Any]:
    """Keep only what Table Schema knows, so our own field properties do not break it."""
    keep = {
        "name",
        "type",
        "format",
        "title",
        "description",
        "constraints",
        "trueValues",
        "falseValues",
        "decimalChar",
        "groupChar",
        "bareNumber",
        "missingValues",
    }
    fields = [{k: v for k, v in f.items() if k in keep} for f in schema.get("fields", [])]
    out: dict[str, Any] = {"fields": fields}
    for key in ("missingValues", "primaryKey"):
        if key in schema:
            out[key] = schema[key]
    return out


def _example(error: Any, keep_cell_values: bool) -> dict[str, Any]:
    row = getattr(error, "row_number", None)
    field = getattr(error, "field_name", None)
    if not keep_cell_values:
        return {"row": row, "field": field, "message": _cell_free_message(error.title, row, field)}
    example = {"row": row, "field": field, "message": error.message}
    cell = getattr(error, "cell", None)
    if cell is not None:
        example["cell"] = str(cell)[:200]
    if getattr(error, "note", None):
        example["note"] = str(error.note)[:200]
    return example


def _cell_free_message(title: str, row: int | None, field: str | None) -> str:
    where = []
    if row is not None:
        where.append(f"第 {row} 行")
    if field:
        where.append(f"字段“{field}”")
    return f"{title}（{'，'.join(where) or '表头'}）"


# what a redacted report says of a table that could not be read: the original message names
# the file (the department's file name, or a path) and may quote its bytes
_UNREADABLE = "文件无法读取或解析，未能完成校验。"


def redact_report(report: dict[str, Any]) -> dict[str, Any]:
    """The same report with every message rebuilt from its type, row and field only.

    Frictionless quotes cell values in its messages, and the messages of a table it could not
    read name the file; reports of data the public may not see are stored and shown in this
    form. Redacting a redacted report changes nothing.
    """
    if not report:
        return report
    errors = []
    for entry in report.get("errors", []):
        examples = [
            {
                "row": ex.get("row"),
                "field": ex.get("field"),
                "message": _cell_free_message(entry["title"], ex.get("row"), ex.get("field")),
            }
            for ex in entry.get("examples", [])
        ]
        redacted = {**entry, "examples": examples}
        messages = {ex.get("message") for ex in entry.get("examples", [])}
        if entry.get("type") in _FATAL_TYPES or entry.get("description") in messages:
            redacted["description"] = _UNREADABLE  # a message, not a generic description
        errors.append(redacted)
    return {**report, "errors": errors, "redacted": True}


def error_report(message: str, error_type: str, title: str = "无法校验") -> dict[str, Any]:
    """A report saying the table could not be validated at all (status ``error``)."""
    import frictionless

    return {
        "status": ERROR,
        "valid": False,
        "rows": None,
        "fields": None,
        "error_count": 1,
        "errors": [
            {
                "type": error_type,
                "title": title,
                "description": message,
                "count": 1,
                "examples": [{"row": None, "field": None, "message": message}],
            }
        ],
        "schema": {"fields": []},
        "row_limit": None,
        "validator": f"frictionless {frictionless.__version__}",
    }
