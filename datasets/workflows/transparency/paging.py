"""Page arguments of the public log, the audit log and the notifications."""

from __future__ import annotations

from typing import Any

from datasets.errors import ValidationError

MAX_PAGE_NUMBER = 100_000  # deeper pages would only make the database skip rows


def page_args(page: Any, per_page: Any, largest: int) -> tuple[int, int]:
    """``page`` (1 to ``MAX_PAGE_NUMBER``) and ``per_page`` (1 to ``largest``) as sent, as
    numbers; ValidationError naming the parameter otherwise."""
    numbers = []
    for name, value, most in (("page", page, MAX_PAGE_NUMBER), ("per_page", per_page, largest)):
        text = str(value).strip()
        if not (text.isascii() and text.isdigit()) or len(text) > 9 or not 1 <= int(text) <= most:
            message = f"{name} 须为 1–{most} 的整数"
            raise ValidationError(message, {name: [message]})
        numbers.append(int(text))
    return numbers[0], numbers[1]


def pages(total: int, per_page: int) -> int:
    return max(1, -(-total // per_page))
