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
    """An ISO date or timestamp shown as YYYY-MM-DD; a timestamp (stored in UTC) gives its date
    in Shanghai."""
    if not value:
        return "—"
    if len(value) > 10:
        try:
            at = datetime.fromisoformat(value)
        except ValueError:
            return value[:10]
        if at.tzinfo is None:
            at = at.replace(tzinfo=UTC)
        return at.astimezone(SHANGHAI).date().isoformat()
    return value[:10]


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


# actors named by the portal itself, as pages name them
ACTOR_NAMES = {"harvester": "采集程序", "system": "平台"}


def actor_name(value: str | None) -> str:
    """Who did something: a user name, or the portal's own actors in Chinese."""
    return ACTOR_NAMES.get(value or "", value or "—")


def openness_title(value: str | None) -> str:
    """A declared openness as the department wrote it (``unconditional``, 无条件, …) in the
    portal's words; what it cannot read stays as written."""
    from datasets.openness.rules import OPENNESS_TITLES, parse_openness

    if not value:
        return "—"
    code = parse_openness(value)
    return OPENNESS_TITLES.get(code or "", value)


def policy_title(value: str | None) -> str:
    """A masking rule by its Chinese title (its code when unknown)."""
    from datasets.openness.masking.policies import POLICIES_BY_CODE

    policy = POLICIES_BY_CODE.get(value or "")
    return policy.title if policy else (value or "—")


def field_type(value: str | None) -> str:
    """A Table Schema field type (``integer``) in Chinese (整数)."""
    from datasets.intake.validation_words import TYPE_WORDS

    return TYPE_WORDS.get(value or "", value or "—")


def register(app: Flask) -> None:
    # every href built from harvested or user input goes through ``safe_url`` (http, https,
    # mailto only); package dicts are cleaned with the same function before they get here
    app.jinja_env.filters.update(
        filesize=filesize,
        number=number,
        day=day,
        shanghai_time=shanghai_time,
        safe_url=safe_url,
        actor_name=actor_name,
        openness_title=openness_title,
        policy_title=policy_title,
        field_type=field_type,
    )
