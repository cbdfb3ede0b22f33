"""The one rule turning a cell value into text, for every reader, scanner, masker and writer."""

from __future__ import annotations

import math
from datetime import date, datetime, time


def cell_text(value: object) -> str:
    """A cell as text: ``None`` → ``""``; whole floats without ``.0`` (Excel keeps 15 significant
    digits, so an 18-digit ID stored as a number must come back as its digits, not as
    ``3.61002196505114e+17``); dates and times in ISO form, midnight without its time."""
    if type(value) is str:
        return value
    if value is None:
        return ""
    if isinstance(value, str):
        return str(value)
    if isinstance(value, float):
        if math.isfinite(value) and value.is_integer():
            return str(int(value))
        return repr(value)
    if isinstance(value, datetime):
        if value.time() == time(0, 0) and value.tzinfo is None:
            return value.date().isoformat()
        return value.isoformat(sep=" ")
    if isinstance(value, date | time):
        return value.isoformat()
    return str(value)


def row_text(row: list[object] | tuple[object, ...]) -> list[str]:
    return [cell_text(v) for v in row]


def is_blank(row: list[object] | tuple[object, ...] | list[str]) -> bool:
    return all(cell_text(v).strip() == "" for v in row)


PREVIEW_CELL_CHARS = 500
_TOKEN = frozenset("0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ._%+-@")


def preview_cell(value: object) -> str:
    """A cell as text for a preview: at most ``PREVIEW_CELL_CHARS`` characters, then "…".

    The cut never leaves part of a number or an address (letters, digits and ``._%+-@``) in
    front of the "…": masking, which reads previews after this, finds only whole identifiers,
    and would leave ``4306021990`` of a cut ID number as it is."""
    text = cell_text(value)
    if len(text) <= PREVIEW_CELL_CHARS:
        return text
    end = PREVIEW_CELL_CHARS
    if text[end] in _TOKEN:
        while end and text[end - 1] in _TOKEN:
            end -= 1
    return text[:end] + "…"


def preview_row(row: list[object] | tuple[object, ...]) -> list[str]:
    return [preview_cell(v) for v in row]
