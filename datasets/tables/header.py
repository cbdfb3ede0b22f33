"""Which row of a sheet is its header: government exports often put a title (江州市低保对象名单)
and notes (填报单位：…　单位：元) above it."""

from __future__ import annotations

import re
from collections.abc import Sequence

SEARCHED_ROWS = 20  # a header further down than this is not looked for

# a note above a table: 填报单位：民政局, 单位：元, 统计时间: 2024年
_NOTE = re.compile(r"^[^:：]{1,20}[:：]\s*\S")


def header_index(rows: Sequence[Sequence[str]]) -> int:
    """The index in ``rows`` (the first rows of a sheet, as text) of the header row.

    The header is the first non-empty row that is neither a title — a single cell above a wider
    table — nor a line of notes, every cell of it ``名称：值``. A table of one column has its
    header in its first non-empty row. Rows are never skipped unless a wider row follows.
    """
    counts = [sum(1 for cell in row if cell.strip()) for row in rows[:SEARCHED_ROWS]]
    widest = max(counts, default=0)
    for index, count in enumerate(counts):
        if count == 0:
            continue
        if widest >= 2 and count < widest and _is_title_or_note(rows[index], count):
            continue
        return index
    return 0


def _is_title_or_note(row: Sequence[str], count: int) -> bool:
    if count == 1:
        return True  # a title, usually merged across the table
    return all(_NOTE.match(cell.strip()) for cell in row if cell.strip())
