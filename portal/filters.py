"""Jinja filters for plain values (sizes, dates, numbers) and links built from data."""

from __future__ import annotations

from datetime import UTC, datetime

from flask import Flask

from datasets.text import safe_url
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
    # every href built from harvested or user input goes through ``safe_url`` (http, https,
    # mailto only); package dicts are cleaned with the same function before they get here
    app.jinja_env.filters.update(
        filesize=filesize, number=number, day=day, shanghai_time=shanghai_time, safe_url=safe_url
    )
