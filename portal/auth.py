"""Signing in and out; the signed-in actor of each request."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import (
    Blueprint,
    Response,
    current_app,
    g,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask.typing import ResponseReturnValue

from datasets.accounts.keys import actor_for_api_key
from datasets.accounts.permissions import ANONYMOUS, Actor
from datasets.accounts.users import actor_for, authenticate
from datasets.errors import NotAuthorized
from portal.app import get_runtime
from portal.extensions import csrf, limiter

bp = Blueprint("auth", __name__)


def presented_api_key() -> str | None:
    """The API key a request carries, if any: ``X-CKAN-API-Key: KEY``, ``Authorization: KEY``
    (what CKAN clients send) or ``Authorization: Bearer KEY``.

    Other ``Authorization`` schemes (Basic, Digest …) are not ours: they belong to a proxy in
    front of the portal. They are also what a browser adds to cross-site requests by itself, so
    treating them as a key would reopen the CSRF hole that skipping the token check leaves.
    """
    key = request.headers.get("X-CKAN-API-Key", "").strip()
    if key:
        return key
    value = request.headers.get("Authorization", "").strip()
    if not value:
        return None
    scheme, _, rest = value.partition(" ")
    if not rest.strip():
        return value
    return rest.strip() if scheme.lower() == "bearer" else None


def _public_read() -> bool:
    """A call CKAN answers as anonymous when its key is invalid: any Action API call (they all
    read) and any GET of the services API (what needs a user then answers 403 as usual)."""
    if request.path.startswith(("/api/3/action/", "/api/action/")):
        return True
    return request.method in ("GET", "HEAD") and request.path.startswith("/api/")


def _has_session_cookie() -> bool:
    return current_app.config["SESSION_COOKIE_NAME"] in request.cookies


@bp.before_app_request
def load_actor() -> None:
    """Who is calling: the owner of an API key sent in a header, else the signed-in user.

    Also the CSRF check of every form (``WTF_CSRF_CHECK_DEFAULT`` is off in the app factory so
    that it runs here, after the caller is known): a request authenticated by an API key and
    carrying no session cookie is exempt. Browsers never add such a header on their own, so a
    forged cross-site request cannot have one; a request with a session cookie is checked even
    with a key.
    """
    g.actor = ANONYMOUS
    key = presented_api_key()
    if key is not None:
        actor = actor_for_api_key(get_runtime(), key)
        if actor is None and not _public_read():
            raise NotAuthorized("API 密钥无效或已吊销")
        g.actor = actor or ANONYMOUS  # a public read with a bad key is answered as anonymous
        if not _has_session_cookie():
            g.stateless = True  # see drop_session_cookie
            return
    else:
        g.actor = actor_for(get_runtime(), session.get("user_id")) or ANONYMOUS
        if request.path.startswith("/api/") and not _has_session_cookie():
            return  # an API call with no credentials at all: nothing a forgery could borrow
    if current_app.config.get("WTF_CSRF_ENABLED", True):
        csrf.protect(apply_exemptions=True)


@bp.after_app_request
def drop_session_cookie(response: Response) -> Response:
    """A request made with an API key and no cookie gets no cookie back (a page rendering a
    CSRF token would otherwise start a session): the client stays stateless, and its next POST
    is not made subject to the CSRF check by a cookie it never asked for."""
    if g.get("stateless"):
        session.modified = False
    return response


def current_actor() -> Actor:
    return getattr(g, "actor", ANONYMOUS)


def _safe_next(target: str | None) -> str:
    """Only same-site paths are followed after signing in; "" when there is none to follow."""
    if not target:
        return ""
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return ""
    return target


# where each role's work is, for one who signs in without a page to go back to
LANDING = (
    ("reviewer", "applications.workspace"),
    ("bureau", "applications.bureau"),
    ("operator", "admin.quarantine"),
)


def landing(actor: Actor) -> str:
    """The page a role lands on after signing in: 工作台, 复核与督办, 隔离区, else the home page."""
    endpoint = next((e for role, e in LANDING if role in actor.roles), "catalog.home")
    return url_for(endpoint)


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(lambda: get_runtime().settings.ratelimit_login, methods=["POST"])
def login() -> ResponseReturnValue:
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
            return redirect(next_url or landing(actor))
    status = 401 if error else 200
    return render_template("login.html", error=error, next_url=next_url), status


@bp.route("/logout", methods=["POST"])
def logout() -> ResponseReturnValue:
    session.clear()
    return redirect(url_for("catalog.home"))
