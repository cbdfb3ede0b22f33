"""Rate limits: who a request counts against, which budgets it spends, and the answers when a
budget is spent.

Each request counts against one client: the API key it carries (when the key is valid; its
hash names the budget, never the key), else the client's address (``portal.proxies``: behind
a trusted front server, the address the front server saw). Budgets, each from a setting:

- ``KAIFANG_RATELIMIT_PAGES``: all pages (not ``/api/``) together, generous for browsing;
- ``KAIFANG_RATELIMIT_DEFAULT``: each API address (and file downloads), as before;
- ``KAIFANG_RATELIMIT_SEARCH``: searching with facets (the search page, ``package_search``,
  ``datastore_search_sql``), page and API together, on top of the above;
- ``KAIFANG_RATELIMIT_EXPORTS``: conversions (``?format=``), row exports, whole-catalog lists;
- ``KAIFANG_RATELIMIT_LOGIN``, ``…_REGISTER``, ``…_VERIFICATION``: the forms and API calls of
  signing in, registering and sending or confirming a verification code (their routes' own
  limits).

The counts are kept in ``KAIFANG_RATELIMIT_STORAGE_URI`` (Redis in production, so that every
worker of every machine spends the same budget; ``portal.limit_storage``), as a sliding window.
Answers carry ``X-RateLimit-Limit``, ``-Remaining`` and ``-Reset`` of the budget closest to
being spent; a spent budget answers 429 with ``Retry-After``, in the API's error shape or as a
page.
"""

from __future__ import annotations

import hashlib
import logging
import math
import time

from flask import Flask, Response, current_app, g, request
from flask_limiter import ApplicationLimit, Limiter, RequestLimit
from flask_limiter.errors import RateLimitExceeded
from limits import RateLimitItem, parse_many
from limits.errors import ConfigurationError

from datasets.errors import ConfigError
from datasets.settings import ENV_PREFIX, Settings
from portal.limit_storage import EXTENSION, MODES, SCHEME, Guarded, LimitsUnavailable
from portal.proxies import TrustedProxies, trusted_networks

log = logging.getLogger("portal.limits")

LIMIT_SETTINGS = (
    "ratelimit_default",
    "ratelimit_pages",
    "ratelimit_search",
    "ratelimit_exports",
    "ratelimit_login",
    "ratelimit_register",
    "ratelimit_verification",
)
# the costly classes: endpoints, and CKAN actions (all answered by one endpoint)
COSTLY_ENDPOINTS = {
    "catalog.search": "search",
    "api_v1_rows.resource_rows_export": "exports",
    "transparency.open_list": "exports",
    "transparency.stats": "exports",  # every department's figures, summed on each request
}
COSTLY_ACTIONS = {
    "package_search": "search",
    "datastore_search_sql": "search",
    "current_package_list_with_resources": "exports",
}
ACTION_ENDPOINTS = ("api.action_v3", "api.action_unversioned")
KEY_CACHE_SECONDS = 60.0  # a valid key is looked up again after this long
KEY_CACHE_SIZE = 10_000
_UNITS = {
    "second": "秒",
    "minute": "分钟",
    "hour": "小时",
    "day": "天",
    "month": "个月",
    "year": "年",
}
_valid_keys: dict[str, float] = {}  # budget name of a valid key → until when it counts as valid


def _settings() -> Settings:
    return current_app.extensions["kaifang"].settings


# -- who a request counts against ---------------------------------------------------------------


def key_budget(key: str) -> str:
    """The name of an API key's budget: a hash of the key, never the key."""
    return "key:" + hashlib.sha256(b"kaifang-ratelimit\0" + key.encode()).hexdigest()[:32]


def _valid(key: str, name: str) -> bool:
    """Whether ``key`` is a valid API key (looked up once a minute per key and process): a
    made-up key gets no budget of its own, it counts against the client's address."""
    now = time.monotonic()
    if _valid_keys.get(name, 0.0) > now:
        return True
    from datasets.accounts.keys import actor_for_api_key

    try:
        actor = actor_for_api_key(current_app.extensions["kaifang"], key)
    except Exception as exc:  # noqa: BLE001 — a database not answering: count by address
        log.warning("校验 API 密钥以确定限流对象时出错：%s", type(exc).__name__)
        return False
    if actor is None:
        _valid_keys.pop(name, None)
        return False
    if len(_valid_keys) >= KEY_CACHE_SIZE:
        _valid_keys.clear()
    _valid_keys[name] = now + KEY_CACHE_SECONDS
    return True


def client_key() -> str:
    """The client a request counts against: ``key:<hash>`` or ``ip:<address>`` (found once
    per request, whatever number of budgets it spends)."""
    found = g.get("kaifang_client")
    if found is None:
        from portal.auth import presented_api_key

        key = presented_api_key()
        name = key_budget(key) if key else ""
        found = name if key and _valid(key, name) else "ip:" + (request.remote_addr or "-")
        g.kaifang_client = found
    return str(found)


# -- which budgets a request spends --------------------------------------------------------------


def costly_class() -> str | None:
    """``search`` or ``exports`` for a costly request, else ``None``."""
    endpoint = request.endpoint or ""
    if endpoint in ACTION_ENDPOINTS:
        return COSTLY_ACTIONS.get((request.view_args or {}).get("action") or "")
    if endpoint == "downloads.download" and "format" in request.args:
        return "exports"
    return COSTLY_ENDPOINTS.get(endpoint)


def _pages_limit() -> str:
    return "" if request.path.startswith("/api/") else _settings().ratelimit_pages


def _costly_limit() -> str:
    kind = costly_class()
    return getattr(_settings(), f"ratelimit_{kind}") if kind else ""


def _costly_scope(_endpoint: str) -> str:
    return costly_class() or "none"


def application_limits() -> list[ApplicationLimit]:
    """The budgets spent by requests of a class rather than of one route."""
    return [
        ApplicationLimit(limit_provider=_pages_limit, scope="pages"),
        ApplicationLimit(limit_provider=_costly_limit, scope=_costly_scope),
    ]


def _disabled() -> bool:
    return not _settings().ratelimit_enabled


class PortalLimiter(Limiter):
    """Flask-Limiter's limiter, its headers telling of the budget closest to being spent (a
    search answer shows the search budget, not the API's larger one)."""

    @property
    def current_limit(self) -> RequestLimit | None:
        evaluated = self.context.view_rate_limits
        chosen = self.context.view_rate_limit
        if chosen is None or chosen.breached or len(evaluated) < 2:
            return chosen
        return min(evaluated, key=lambda limit: limit.remaining)


def make_limiter() -> PortalLimiter:
    """The process's limiter; each app's own settings and storage are in ``configure``."""
    limiter = PortalLimiter(
        key_func=client_key,
        application_limits=list(application_limits()),
        strategy="sliding-window-counter",
        storage_uri=f"{SCHEME}://",
        headers_enabled=True,
        swallow_errors=False,
        in_memory_fallback_enabled=False,
    )
    limiter.request_filter(_disabled)
    return limiter


# -- each app -----------------------------------------------------------------------------------


def configure(app: Flask, settings: Settings) -> None:
    """Check the limit settings (``ConfigError`` naming a wrong one), give the app its storage
    and read client addresses through the trusted proxies."""
    for name in LIMIT_SETTINGS:
        try:
            parse_many(getattr(settings, name))
        except ValueError:
            raise ConfigError(
                f"setting {ENV_PREFIX}{name.upper()} must be limits such as '60 per minute' "
                f"or '10/minute;100/hour', got {getattr(settings, name)!r}"
            ) from None
    if settings.ratelimit_storage_down not in MODES:
        raise ConfigError(
            f"setting {ENV_PREFIX}RATELIMIT_STORAGE_DOWN must be one of {', '.join(MODES)}"
        )
    networks = trusted_networks(settings.trusted_proxies)
    try:
        storage = Guarded(
            settings.ratelimit_storage_uri,
            mode=settings.ratelimit_storage_down,
            key_prefix=settings.ratelimit_key_prefix,
        )
    except ConfigurationError as exc:
        raise ConfigError(f"setting {ENV_PREFIX}RATELIMIT_STORAGE_URI: {exc}") from None
    app.extensions[EXTENSION] = storage
    app.wsgi_app = TrustedProxies(app.wsgi_app, networks)  # type: ignore[method-assign]
    # always bound: an app with limits off is exempted per request (``_disabled``), so that
    # one app's setting never switches another's limits in the same process
    app.config.update(RATELIMIT_ENABLED=True, RATELIMIT_HEADERS_ENABLED=True)
    # registered before the limiter's own, so it runs after it: a 429's Retry-After is the
    # wait its message gives (the limiter's rounds down, to 0 in the last second), and a
    # successful answer has none (the limiter writes one on every answer)
    app.after_request(_retry_after)


def _retry_after(response: Response) -> Response:
    seconds = g.get("kaifang_retry_after")
    if seconds and response.status_code == 429:
        response.headers["Retry-After"] = str(seconds)
    elif response.status_code < 400:
        response.headers.pop("Retry-After", None)
    return response


def install(app: Flask, settings: Settings, limiter: Limiter) -> None:
    """The limits of ``app``: its settings and storage, the limiter, the answers."""
    configure(app, settings)
    limiter.init_app(app)
    register(app, limiter)


def phrase(item: RateLimitItem) -> str:
    """A limit in words: 每分钟 60 次, 每 2 小时 100 次."""
    unit = _UNITS.get(item.GRANULARITY.name, item.GRANULARITY.name)
    every = f"每 {item.multiples} {unit}" if item.multiples > 1 else f"每{unit}"
    return f"{every} {item.amount} 次"


def _retry_seconds(limiter: Limiter, item: RateLimitItem) -> int:
    """Seconds until the spent budget ``item`` takes a request again (at most its window)."""
    current = limiter.current_limit
    try:
        wait = math.ceil(current.reset_at - time.time()) if current else 1
    except Exception:  # noqa: BLE001 — the storage gone meanwhile: a second is as good a guess
        wait = 1
    return max(1, min(wait, item.get_expiry()))


def register(app: Flask, limiter: Limiter) -> None:
    """The answers of a spent budget (429) and of a storage down in ``refuse`` mode (503)."""
    from portal.errors import error_response, is_api_request

    @app.errorhandler(RateLimitExceeded)
    def rate_limited(exc: RateLimitExceeded) -> Response:
        seconds = _retry_seconds(limiter, exc.limit.limit)
        limit = phrase(exc.limit.limit)
        message = f"访问过于频繁，请 {seconds} 秒后再试（此类请求的限额为{limit}）"
        extra = {"retry_after": seconds, "limit": limit} if is_api_request() else None
        g.kaifang_retry_after = seconds
        return error_response(429, message, extra)

    @app.errorhandler(LimitsUnavailable)
    def limits_unavailable(exc: LimitsUnavailable) -> Response:
        response = error_response(503, exc.description or LimitsUnavailable.description)
        response.headers["Retry-After"] = str(LimitsUnavailable.retry_after)
        return response
