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

from datasets.accounts import guard
from datasets.accounts.keys import actor_for_api_key
from datasets.accounts.permissions import ANONYMOUS, Actor
from datasets.accounts.users import actor_for, end_sessions
from datasets.errors import NotAuthorized
from datasets.runtime import Runtime
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
        actor = _key_actor(get_runtime(), key)
        if actor is None and not _public_read():
            raise NotAuthorized("API 密钥无效或已吊销")
        g.actor = actor or ANONYMOUS  # a public read with a bad key is answered as anonymous
        if not _has_session_cookie():
            g.stateless = True  # see drop_session_cookie
            return
    else:
        g.actor = _session_actor(get_runtime())
        if request.path.startswith("/api/") and not _has_session_cookie():
            return  # an API call with no credentials at all: nothing a forgery could borrow
    if current_app.config.get("WTF_CSRF_ENABLED", True):
        csrf.protect(apply_exemptions=True)


def client_address() -> str:
    """The address failed sign-ins and invalid keys are counted against."""
    return request.remote_addr or ""


def _key_actor(rt: Runtime, key: str) -> Actor | None:
    """The owner of an API key; an address that sent too many invalid keys is refused (429)
    before its key is looked at, and each invalid key counts."""
    guard.check_key_sender(rt, client_address())
    actor = actor_for_api_key(rt, key)
    if actor is None:
        guard.invalid_key_sent(rt, client_address())
    return actor


def _session_actor(rt: Runtime) -> Actor:
    """The signed-in user of the session cookie. A session the account has ended since
    (signed out, password changed: another generation) is dropped."""
    user_id = session.get("user_id")
    actor = actor_for(rt, user_id, session.get("generation", 0))
    if actor is None and user_id:
        session.clear()
    return actor or ANONYMOUS


def start_session(user_id: str, generation: int) -> None:
    """A fresh session for a user who just signed in (none of the old one kept: no fixation)."""
    session.clear()
    session["user_id"] = user_id
    session["generation"] = generation


@bp.app_errorhandler(guard.Locked)
def locked(exc: guard.Locked) -> Response:
    """429 with Retry-After, in the API's error shape or as a page."""
    from portal.errors import error_response

    response = error_response(429, exc.message)
    response.headers["Retry-After"] = str(exc.retry_after())
    return response


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
    error, status, wait = None, 200, None
    next_url = _safe_next(request.values.get("next"))
    if request.method == "POST":
        try:
            actor, generation = guard.sign_in(
                get_runtime(),
                name=request.form.get("name", ""),
                password=request.form.get("password", ""),
                address=client_address(),
            )
        except guard.Locked as exc:
            error, status, wait = exc.message, 429, exc.retry_after()
        except NotAuthorized as exc:
            error, status = exc.message, 401
        else:
            start_session(actor.user_id or "", generation)
            return redirect(next_url or landing(actor))
    html = render_template("login.html", error=error, next_url=next_url)
    headers = {"Retry-After": str(wait)} if wait else {}
    return html, status, headers


@bp.route("/logout", methods=["POST"])
def logout() -> ResponseReturnValue:
    """Signing out ends the account's sessions on the server: a copy of the cookie is worth
    nothing afterwards (nor are the account's sessions in other browsers)."""
    actor = current_actor()
    if actor.user_id is not None and actor.api_key_id is None:
        end_sessions(get_runtime(), actor.user_id)
    session.clear()
    return redirect(url_for("catalog.home"))
