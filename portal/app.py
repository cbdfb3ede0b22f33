"""The application factory."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from flask import Flask, Response, current_app, has_request_context, request
from flask.json.provider import DefaultJSONProvider

from datasets.runtime import Runtime
from datasets.settings import load_settings
from portal import limits, production
from portal.extensions import csrf, limiter

STATIC = Path(__file__).resolve().parent.parent / "static"


class _ChineseJSON(DefaultJSONProvider):
    """JSON as written: Chinese characters unescaped, keys in the order the services give."""

    ensure_ascii = False
    sort_keys = False


def create_app(overrides: dict[str, Any] | None = None) -> Flask:
    """Build the web app. ``overrides`` take precedence over ``KAIFANG_*`` variables."""
    settings = load_settings(overrides)
    runtime = Runtime(settings)
    # search's dictionaries load as a worker starts, not on its first search
    from datasets.search import analysis

    analysis.use_synonyms(Path(settings.search_synonyms) if settings.search_synonyms else None)
    analysis.load(writer=False)
    app = Flask(__name__, static_folder=str(STATIC), static_url_path="/static")
    app.config.update(
        SECRET_KEY=runtime.secret_key(),
        JSON_AS_ASCII=False,
        # a supporting document (attachments) and its form fit in one request
        MAX_CONTENT_LENGTH=max(2 * 1024 * 1024, settings.attachment_max_bytes + 64 * 1024),
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        WTF_CSRF_TIME_LIMIT=None,
        # checked in portal.auth.load_actor instead, which exempts requests made with an API key
        WTF_CSRF_CHECK_DEFAULT=False,
    )
    app.json = _ChineseJSON(app)
    app.extensions["kaifang"] = runtime
    logging.getLogger("portal").setLevel(settings.log_level.upper())

    production.install(app, settings)  # first: a request for another host touches nothing
    csrf.init_app(app)
    limits.install(app, settings, limiter)

    _register_blueprints(app)

    @app.after_request
    def security_headers(response: Response) -> Response:
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("X-Frame-Options", "DENY")
        response.headers.setdefault("Referrer-Policy", "strict-origin-when-cross-origin")
        response.headers.setdefault(
            "Content-Security-Policy",
            "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
            "frame-ancestors 'none'; base-uri 'self'; form-action 'self'",
        )
        return response

    @app.context_processor
    def site() -> dict[str, Any]:
        s = runtime.settings
        return {
            "site": {
                "name": s.site_name,
                "region": s.region_name,
                "supervisor": s.supervisor_name,
                "base_url": base_url() if has_request_context() else s.base_url.rstrip("/"),
            }
        }

    from portal import observe  # probes, metrics, request ids and JSON logs around the app

    observe.register(app)
    return app


def _register_blueprints(app: Flask) -> None:
    """One blueprint per area: pages, the APIs, and the error handlers."""
    from portal import auth, errors, filters
    from portal.api import ckan as api
    from portal.api import (
        ckan_activity,  # noqa: F401 - registers CKAN's activity actions
        ckan_read,  # noqa: F401 - registers CKAN's other read actions
        datastore,  # noqa: F401 - registers CKAN's DataStore actions
        edge,
        openapi,
        transport,
        v1_reuses,
        v1_rows,
    )
    from portal.api import v1 as api_v1
    from portal.pages import (
        account,
        admin,
        applications,
        case_documents,
        catalog,
        developers,
        discovery,
        downloads,
        metadata,
        notifications,
        participation,
        reuses,
        rows,
        sharing,
        transparency,
    )

    filters.register(app)
    app.register_blueprint(auth.bp)
    app.register_blueprint(account.bp)
    app.register_blueprint(admin.bp)
    app.register_blueprint(catalog.bp)
    app.register_blueprint(downloads.bp)
    app.register_blueprint(api.bp)
    app.register_blueprint(api_v1.bp)
    app.register_blueprint(v1_rows.bp)
    app.register_blueprint(participation.bp)
    app.register_blueprint(rows.bp)
    app.register_blueprint(applications.bp)
    app.register_blueprint(case_documents.bp)
    app.register_blueprint(openapi.bp)
    app.register_blueprint(developers.bp)
    app.register_blueprint(notifications.bp)
    app.register_blueprint(notifications.api_bp)
    app.register_blueprint(transparency.bp)
    app.register_blueprint(transparency.api_bp)
    app.register_blueprint(metadata.bp)
    app.register_blueprint(discovery.bp)
    app.register_blueprint(reuses.bp)
    app.register_blueprint(v1_reuses.api_bp)
    app.register_blueprint(sharing.bp)
    errors.register(app)
    transport.register(app)
    edge.register(app)


def get_runtime() -> Runtime:
    return current_app.extensions["kaifang"]


def base_url() -> str:
    """The public base URL for links in API results."""
    configured = get_runtime().settings.base_url
    return configured.rstrip("/") if configured else request.url_root.rstrip("/")
