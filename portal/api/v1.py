"""The public-services JSON API under /api/v1/: the same services as the HTML forms.

A step on a case is ``POST /api/v1/<plural>/<id>/<step>`` with the step names of the machine's
table (``datasets.workflows.machine``), resolved and parsed into its typed request by
``datasets.workflows.steps`` exactly as the HTML forms are.

Callers authenticate with an API key in the ``Authorization`` header (as CKAN clients do) or a
signed-in session (then CSRF applies). Answers are plain JSON objects; errors keep the portal's
envelope ``{"success": false, "error": {"__type", "message", ...}}`` with 400 for bad input, 401
without credentials, 403 when not allowed, 404, and 409 when the case's state forbids the step.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from flask import Blueprint, Response, jsonify, request, send_file

from datasets.errors import ValidationError
from datasets.rows.formats import attachment_header
from datasets.workflows import applications, attachments, grants, objections, steps
from datasets.workflows.machine import APPLICATION, GRANT, OBJECTION, Machine, Transition
from datasets.workflows.step_requests import Application, ScopeConfirmation
from portal.api import edge
from portal.api.openapi import schema_ref
from portal.api.openapi_services import schema_name
from portal.app import get_runtime
from portal.auth import current_actor
from portal.extensions import limiter

bp = Blueprint("api_v1", __name__, url_prefix="/api/v1")
limiter.limit(lambda: get_runtime().settings.ratelimit_default)(bp)


def payload(schema: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """The JSON object of the request body, checked against its endpoint's ``schema`` (the one
    the OpenAPI document shows): 400 for anything else (``portal.api.edge``). Called once the
    endpoint has checked who is asking."""
    raw = request.get_data(cache=True)
    body = edge.read_json(raw) if raw.strip() else {}
    if not isinstance(body, dict):
        raise ValidationError("请求内容须为 JSON 对象", {"body": ["须为 JSON 对象"]})
    if schema is not None:
        edge.check(body, schema)
    return body


def created(result: dict[str, Any]) -> tuple[Response, int]:
    return jsonify(result), 201


def service(func: Callable[..., Any]) -> Callable[..., Any]:
    """Bind a service taking ``(rt, actor, …)`` to the request's runtime and actor."""

    def call(*args: Any, **kwargs: Any) -> Any:
        return func(get_runtime(), current_actor(), *args, **kwargs)

    return call


# -- applications for conditional data ------------------------------------------------------


@bp.post("/applications")
def application_submit() -> tuple[Response, int]:
    applications.authorize_submit(current_actor())  # who is asking before what is asked
    body = payload(schema_ref(schema_name(Application)))
    request_ = Application.parse(body, get_runtime().settings)
    return created(service(applications.submit)(request_))


@bp.get("/applications")
def application_list() -> Response:
    return jsonify({"applications": service(applications.list_applications)()})


@bp.get("/applications/<application_id>")
def application_show(application_id: str) -> Response:
    return jsonify(service(applications.get)(application_id))


@bp.post("/applications/<application_id>/attachments")
def application_attach(application_id: str) -> tuple[Response, int]:
    """The applicant adds a supporting document (multipart field ``attachment``: PDF, PNG or
    JPEG); who is asking is checked by the service before the file is looked at."""
    upload = request.files.get("attachment")
    received = attachments.Upload(
        filename=(upload.filename or "") if upload else "",
        content=upload.read() if upload else b"",
    )
    item = service(attachments.attach)(application_id, received)
    keys = ("id", "name", "media_type", "size", "sha256", "at")
    url = f"/api/v1/applications/{application_id}/attachments/{item['id']}"
    return created({**{k: item[k] for k in keys}, "url": url})


@bp.get("/applications/<application_id>/attachments/<attachment_id>")
def application_attachment(application_id: str, attachment_id: str) -> Response:
    """One supporting document, for the applicant and the case's handlers only."""
    found = service(attachments.open_attachment)(application_id, attachment_id)
    response = send_file(found.path, mimetype=found.media_type, conditional=False, etag=False)
    response.headers["Content-Disposition"] = attachment_header(found.name)
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Cache-Control"] = "no-store"
    return response


def _step(machine: Machine, key: str, step: str) -> tuple[Transition, dict[str, Any]]:
    """Take the URL step ``step`` of ``machine``'s table on ``key`` (404 for another step):
    who is asking is checked before the body is read, the body against the step's schema."""
    rt, actor = get_runtime(), current_actor()
    found = steps.admit(rt, actor, machine, step, key)
    # a scope confirmation's fields are refused by its service, once it checked the party
    lenient = found.request is ScopeConfirmation
    body = payload(None if lenient else schema_ref(schema_name(found.request)))
    return steps.take(rt, actor, machine, step, key, body)


@bp.post("/applications/<application_id>/<step>")
def application_step(application_id: str, step: str) -> Response | tuple[Response, int]:
    transition, result = _step(APPLICATION, application_id, step)
    # filing an objection creates one (OBJECTION.submit): 201 with the objection
    return created(result) if transition.name == "object" else jsonify(result)


@bp.get("/agreement")
def agreement() -> Response:
    current = applications.current_agreement()
    return jsonify({"version": current.version, "sha256": current.sha256, "text": current.text})


# -- objections (异议 → 复核) ----------------------------------------------------------------


@bp.get("/objections/<objection_id>")
def objection_show(objection_id: str) -> Response:
    return jsonify(service(objections.get_objection)(objection_id))


@bp.post("/objections/<objection_id>/<step>")
def objection_step(objection_id: str, step: str) -> Response:
    return jsonify(_step(OBJECTION, objection_id, step)[1])


# -- grants ------------------------------------------------------------------------------------


@bp.get("/grants")
def grant_list() -> Response:
    return jsonify({"grants": service(grants.list_grants)()})


@bp.get("/grants/<grant_id>")
def grant_show(grant_id: str) -> Response:
    return jsonify(service(grants.get_grant)(grant_id))


@bp.post("/grants/<grant_id>/<step>")
def grant_step(grant_id: str, step: str) -> Response | tuple[Response, int]:
    transition, result = _step(GRANT, grant_id, step)
    # objecting to a suspension or revocation creates an objection: 201 with the objection
    return created(result) if transition.name == "object" else jsonify(result)


from portal.api import (  # noqa: E402, F401
    openapi_services,
    v1_held,
    v1_participation,
    v1_verification,
)
