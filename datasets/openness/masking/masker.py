"""Apply per-column policies to rows."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from itertools import islice

from datasets.errors import ValidationError
from datasets.openness.masking.policies import (
    Transform,
    check_key,
    check_rules,
    column_name,
    transform,
)
from datasets.openness.masking.values import to_text


class Masker:
    """Masks rows of a table whose header is ``header`` by the ``{column: policy}`` rules.

    Cells of columns without a rule are returned unchanged (as text). Cells beyond the header
    have no column to be ruled by: they are always masked with ``mask-text``. A row whose length
    differs from the header's may have shifted columns (an unquoted comma in an address moves
    the ID number one column right), so in such a row the cells of unruled and ``keep`` columns
    are masked with ``mask-text`` too as soon as any rule masks.
    """

    def __init__(self, rules: Mapping[str, str], *, key: bytes, header: Sequence[object]) -> None:
        if isinstance(key, str):
            key = key.encode("utf-8")
        names = [column_name(c) for c in header]
        check_rules(rules, names)
        check_key(rules, key)
        by_name = {column_name(c): code for c, code in rules.items()}
        self.header: tuple[str, ...] = tuple(to_text(c) for c in header)
        self._names = frozenset(names)
        self.rules = {name: by_name[name] for name in names if name in by_name}
        self._transforms: dict[str, Transform] = {
            code: transform(code, key) for code in set(self.rules.values())
        }
        # (position, transform) of each ruled column; a name used twice is ruled twice.
        self._ruled = [
            (i, self._transforms[by_name[name]])
            for i, name in enumerate(names)
            if by_name.get(name, "keep") != "keep"
        ]
        self._width = len(names)
        self._text = transform("mask-text", key)
        self._guard = self._text if self._ruled else None
        self._guarded = {i for i, _ in self._ruled}

    def mask_row(self, row: Sequence[object]) -> list[str]:
        """The row with the rules applied by position; ``None`` becomes ``""``."""
        return [c if c.__class__ is str else to_text(c) for c in self.mask_cells(row)]

    def mask_cells(self, row: Sequence[object]) -> list[object]:
        """Like ``mask_row`` but cells of unruled columns keep their type (for spreadsheets)."""
        out = list(row)
        size = len(out)
        for i, apply in self._ruled:
            if i < size:
                out[i] = apply(out[i])
        if size != self._width and self._guard is not None:
            for i in range(size):
                if i not in self._guarded:
                    out[i] = self._guard(out[i])
        elif size > self._width:
            for i in range(self._width, size):
                out[i] = self._text(out[i])
        return out

    def mask_value(self, column: str, value: object) -> str:
        """One value of ``column`` masked by that column's rule (unchanged text if it has none)."""
        name = column_name(column)
        if name not in self._names:
            raise ValidationError(f"数据表中没有“{column}”这一列", {column: ["unknown column"]})
        code = self.rules.get(name)
        return to_text(value) if code is None else self._transforms[code](value)


def mask_rows(
    header: Sequence[object],
    rows: Iterable[Sequence[object]],
    rules: Mapping[str, str],
    *,
    key: bytes,
    limit: int | None = None,
) -> list[list[str]]:
    """The first ``limit`` rows (all when ``None``) masked, for previews."""
    masker = Masker(rules, key=key, header=header)
    return [masker.mask_row(row) for row in islice(rows, limit)]
