"""The small set of exceptions the services raise, mapped to HTTP in one place (portal.errors).

An exception means "could not do it"; results such as validation reports or harvest outcomes are
values, not exceptions.
"""

from __future__ import annotations

from collections.abc import Mapping


class KaifangError(Exception):
    """Base class: a one-line message fit to show a user."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class NotFound(KaifangError):
    """The object asked for does not exist (or is not visible to the caller)."""


class NotAuthorized(KaifangError):
    """The caller may not do this. ``next_steps``: what the caller can do instead, as (label,
    path) pairs a page offers as links (e.g. to apply for the data)."""

    def __init__(self, message: str, next_steps: tuple[tuple[str, str], ...] = ()) -> None:
        super().__init__(message)
        self.next_steps = next_steps


class SharedElsewhere(NotAuthorized):
    """Government staff asked the portal for conditional data: they obtain it through the
    government sharing platform (the page that says so names its address)."""


class ValidationError(KaifangError):
    """Input was rejected. ``errors`` maps a field name to its messages."""

    def __init__(self, message: str, errors: Mapping[str, list[str]] | None = None) -> None:
        super().__init__(message)
        self.errors: dict[str, list[str]] = {k: list(v) for k, v in (errors or {}).items()}


class MalformedInput(ValidationError):
    """Input that no endpoint takes, whatever it asks (text with NUL or lone surrogates, over its
    size bound, JSON nested too deep or with an infinite number): 400 on every API, CKAN's too."""


def raise_problems(problems: Mapping[str, list[str]]) -> None:
    """One ValidationError naming every field at once (its message is the first problem);
    nothing when there is no problem."""
    if problems:
        raise ValidationError(next(iter(problems.values()))[0], problems)


class ConfigError(KaifangError):
    """A setting or configuration file is wrong; the program cannot start."""


class SourceError(KaifangError):
    """A harvest source could not be read at all (down, malformed, too large)."""


class LoginRequired(NotAuthorized):
    """The caller must sign in (or send an API key) first."""


class Conflict(KaifangError):
    """The object is no longer in a state that allows this (e.g. already decided)."""


class TooMany(Conflict):
    """A limit per requester, address or day is reached; try again later (HTTP 429)."""
