"""Jinja filters for plain values (sizes, dates, numbers)."""

from __future__ import annotations

from datetime import UTC, datetime

from flask import Flask

from datasets.workdays import SHANGHAI


def filesize(value: int | None) -> str:
    if value is None:
        return "—"
    size = float(value)
    for unit in ("B", "KB", "MB", "GB"):
        if size < 1024 or unit == "GB":
            return f"{size:.0f} {unit}" if unit == "B" else f"{size:.1f} {unit}"
        size /= 1024
    return f"{size:.1f} GB"


def number(value: int | None) -> str:
    return "—" if value is None else f"{value:,}"


def day(value: str | None) -> str:
    """An ISO date or timestamp shown as YYYY-MM-DD."""
    return value[:10] if value else "—"


def shanghai_time(value: str | None) -> str:
    """A stored UTC timestamp (ISO) as local time in Shanghai, e.g. ``2026-11-23 09:30``."""
    if not value:
        return "—"
    try:
        at = datetime.fromisoformat(value)
    except ValueError:
        return value
    if at.tzinfo is None:
        at = at.replace(tzinfo=UTC)  # stored times are UTC
    return at.astimezone(SHANGHAI).strftime("%Y-%m-%d %H:%M")


def register(app: Flask) -> None:
    app.jinja_env.filters.update(
        filesize=filesize, number=number, day=day, shanghai_time=shanghai_time
    )
