"""Page arguments of the public log and the audit log."""

from __future__ import annotations

from typing import Any

from datasets.errors import ValidationError


def page_args(page: Any, per_page: Any, largest: int) -> tuple[int, int]:
    try:
        page, per_page = int(page), int(per_page)
    except (TypeError, ValueError):
        raise ValidationError("page 和 per_page 须为正整数") from None
    if page < 1 or not 1 <= per_page <= largest:
        raise ValidationError(f"page 须为正整数，per_page 须为 1–{largest}")
    return page, per_page


def pages(total: int, per_page: int) -> int:
    return max(1, -(-total // per_page))
