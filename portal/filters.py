"""Jinja filters for plain values (sizes, dates, numbers)."""

from __future__ import annotations

from flask import Flask


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


def register(app: Flask) -> None:
    app.jinja_env.filters.update(filesize=filesize, number=number, day=day)
