"""Signing in and out; the signed-in actor of each request."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import Blueprint, g, redirect, render_template, request, session, url_for

from datasets.access import ANONYMOUS, Actor
from datasets.accounts import actor_for, authenticate
from datasets.errors import NotAuthorized

from .app import get_runtime
from .extensions import limiter

bp = Blueprint("auth", __name__)


@bp.before_app_request
def load_actor() -> None:
    g.actor = actor_for(get_runtime(), session.get("user_id")) or ANONYMOUS


def current_actor() -> Actor:
    return getattr(g, "actor", ANONYMOUS)


def _safe_next(target: str | None) -> str:
    """Only same-site paths are followed after signing in."""
    if not target:
        return url_for("catalog.home")
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return url_for("catalog.home")
    return target


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit("10 per minute", methods=["POST"])
def login():  # type: ignore[no-untyped-def]
    error = None
    next_url = _safe_next(request.values.get("next"))
    if request.method == "POST":
        try:
            actor = authenticate(
                get_runtime(),
                name=request.form.get("name", ""),
                password=request.form.get("password", ""),
            )
        except NotAuthorized as exc:
            error = exc.message
        else:
            session.clear()  # a fresh session: no fixation
            session["user_id"] = actor.user_id
            return redirect(next_url)
    status = 401 if error else 200
    return render_template("login.html", error=error, next_url=next_url), status


@bp.route("/logout", methods=["POST"])
def logout():  # type: ignore[no-untyped-def]
    session.clear()
    return redirect(url_for("catalog.home"))
