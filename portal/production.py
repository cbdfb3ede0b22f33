"""Production mode (``KAIFANG_PRODUCTION=1``): Secure session cookies and the Host of every
request checked against the public address.

Links in answers come from ``KAIFANG_BASE_URL`` whenever it is set (``portal.app.base_url``);
production mode requires it (``datasets.settings``), so no link there is built from a ``Host``
header. The check below also keeps a forged ``Host`` out of anything else that reads it
(logs, redirects made by the framework).
"""

from __future__ import annotations

from flask import Flask, Response, request
from flask.typing import ResponseReturnValue

from datasets.settings import Settings


def request_host_name(host: str) -> str:
    """The host name of a ``Host`` header value: lower case, without port or trailing dot
    (``[::1]:8000`` → ``::1``)."""
    host = host.strip().lower()
    name = host[1:].partition("]")[0] if host.startswith("[") else host.partition(":")[0]
    return name.rstrip(".")


HSTS_SECONDS = 365 * 24 * 3600


def install(app: Flask, settings: Settings) -> None:
    """In production mode: Secure cookies (named ``__Host-…``: the browser keeps them from
    other hosts and paths) and the host check, registered before every other request hook so
    that a refused request touches nothing else; Strict-Transport-Security on every answer.
    Outside production mode: nothing."""
    if not settings.production:
        return
    app.config.update(
        SESSION_COOKIE_SECURE=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_NAME="__Host-kaifang",
        SESSION_COOKIE_DOMAIN=None,
        SESSION_COOKIE_PATH="/",
        PREFERRED_URL_SCHEME=settings.base_url.partition(":")[0],
    )
    allowed = settings.host_names
    public = settings.base_url.rstrip("/")

    def check_host() -> ResponseReturnValue | None:
        if request.environ.get("kaifang.uncounted"):
            return None  # the static build's own renders in this process (portal.publish)
        if request_host_name(request.host) in allowed:
            return None
        from portal.errors import error_response

        return error_response(400, f"请求的主机名不是本平台的地址，请通过 {public} 访问")

    app.before_request_funcs.setdefault(None, []).insert(0, check_host)

    @app.after_request
    def https_only(response: Response) -> Response:
        """Browsers that met the portal over HTTPS never try plain HTTP for a year (no
        subdomains: the province's other hosts decide for themselves)."""
        response.headers.setdefault("Strict-Transport-Security", f"max-age={HSTS_SECONDS}")
        return response
