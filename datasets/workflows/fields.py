"""Reading the fields of a request: free text with its limits, and the problems found, by field.

Every typed request of the public services (``step_requests``) is parsed with these, so a
missing or over-long field reads the same everywhere.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from datasets.errors import ValidationError

# the longest free text a form field takes (purpose, reasons, replies)
MAX_TEXT = 4000
Problems = dict[str, list[str]]


def problem(problems: Problems, field: str, message: str) -> None:
    problems.setdefault(field, []).append(message)


def text_field(
    payload: Mapping[str, Any],
    key: str,
    label: str,
    problems: Problems,
    *,
    required: bool = True,
    limit: int = MAX_TEXT,
) -> str:
    """A stripped text value; a problem when it is missing (if required), not text or too long."""
    value = payload.get(key)
    if value is None or value == "":
        if required:
            problem(problems, key, f"请填写{label}")
        return ""
    if not isinstance(value, str):
        problem(problems, key, f"{label}须为文本")
        return ""
    value = value.strip()
    if required and not value:
        problem(problems, key, f"请填写{label}")
    elif len(value) > limit:
        problem(problems, key, f"{label}不超过 {limit} 字")
    return value


def loose_text(payload: Mapping[str, Any], key: str) -> str:
    """Whatever was sent under ``key`` as stripped text ("" for nothing)."""
    return str(payload.get(key) or "").strip()


def as_object(payload: Any) -> Mapping[str, Any]:
    """The request body as a mapping (None reads as empty); ValidationError for anything else."""
    if payload is None:
        return {}
    if not isinstance(payload, Mapping):
        raise ValidationError("请求内容须为 JSON 对象")
    return payload


def name_list(value: Any) -> list[str] | None:
    """Field names as sent: [] for nothing, None when it is not a list of text."""
    if value in (None, "", []):
        return []
    if not isinstance(value, list) or not all(isinstance(f, str) for f in value):
        return None
    return list(dict.fromkeys(value))
