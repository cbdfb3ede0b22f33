"""The public-services JSON API under /api/v1/: the same services as the HTML forms.

Callers authenticate with an API key in the ``Authorization`` header (as CKAN clients do) or a
signed-in session (then CSRF applies). Answers are plain JSON objects; errors keep the portal's
envelope ``{"success": false, "error": {"__type", "message", ...}}`` with 400 for bad input, 401
without credentials, 403 when not allowed, 404, and 409 when the case's state forbids the step.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from flask import Blueprint, Response, jsonify, request

from datasets.errors import NotFound, ValidationError
from datasets.workflows import applications, grants, objections
from portal.app import get_runtime
from portal.auth import current_actor
from portal.extensions import limiter

bp = Blueprint("api_v1", __name__, url_prefix="/api/v1")
limiter.limit(lambda: get_runtime().settings.ratelimit_default)(bp)


def payload() -> dict[str, Any]:
    """The JSON object of the request body (400 for anything else)."""
    raw = request.get_data(cache=True)
    if not raw.strip():
        return {}
    try:
        body = json.loads(raw)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ValidationError(f"请求内容不是有效的 JSON：{exc}") from None
    if not isinstance(body, dict):
        raise ValidationError("请求内容须为 JSON 对象")
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
def application_submit():  # type: ignore[no-untyped-def]
    return created(service(applications.submit)(payload()))


@bp.get("/applications")
def application_list():  # type: ignore[no-untyped-def]
    return jsonify({"applications": service(applications.list_applications)()})


@bp.get("/applications/<application_id>")
def application_show(application_id: str):  # type: ignore[no-untyped-def]
    return jsonify(service(applications.get)(application_id))


_STEPS = {
    "decision": applications.decide,
    "correction": applications.request_correction,
    "supplement": applications.supplement,
    "extension": applications.extend,
    "sign": applications.sign,
}


@bp.post("/applications/<application_id>/<step>")
def application_step(application_id: str, step: str):  # type: ignore[no-untyped-def]
    if step == "objection":
        return created(service(objections.file_objection)(application_id, payload()))
    if step == "withdraw":
        return jsonify(service(applications.withdraw)(application_id))
    if step not in _STEPS:
        raise NotFound(f"未知的操作 {step}")
    return jsonify(service(_STEPS[step])(application_id, payload()))


@bp.get("/agreement")
def agreement():  # type: ignore[no-untyped-def]
    current = applications.current_agreement()
    return jsonify({"version": current.version, "sha256": current.sha256, "text": current.text})


# -- objections (异议 → 复核) ----------------------------------------------------------------


@bp.get("/objections/<objection_id>")
def objection_show(objection_id: str):  # type: ignore[no-untyped-def]
    return jsonify(service(objections.get_objection)(objection_id))


@bp.post("/objections/<objection_id>/decision")
def objection_decide(objection_id: str):  # type: ignore[no-untyped-def]
    return jsonify(service(objections.decide_objection)(objection_id, payload()))


@bp.post("/objections/<objection_id>/escalation")
def objection_escalate(objection_id: str):  # type: ignore[no-untyped-def]
    return jsonify(service(objections.escalate)(objection_id, payload()))


# -- grants ------------------------------------------------------------------------------------


@bp.get("/grants")
def grant_list():  # type: ignore[no-untyped-def]
    return jsonify({"grants": service(grants.list_grants)()})


@bp.get("/grants/<grant_id>")
def grant_show(grant_id: str):  # type: ignore[no-untyped-def]
    return jsonify(service(grants.get_grant)(grant_id))


@bp.post("/grants/<grant_id>/report")
def grant_report(grant_id: str):  # type: ignore[no-untyped-def]
    body = payload()
    return jsonify(service(grants.file_report)(grant_id, str(body.get("text") or "")))


@bp.post("/grants/<grant_id>/scope")
def grant_scope(grant_id: str):  # type: ignore[no-untyped-def]
    body = payload()
    return jsonify(service(grants.confirm_scope)(grant_id, fields=body.get("fields")))


@bp.post("/grants/<grant_id>/<action>")
def grant_status(grant_id: str, action: str):  # type: ignore[no-untyped-def]
    if action not in ("suspend", "restore", "revoke"):
        raise NotFound(f"未知的操作 {action}")
    body = payload()
    return jsonify(
        service(grants.change_status)(
            grant_id,
            action=action,
            reason=body.get("reason"),
            note=str(body.get("note") or ""),
        )
    )


from portal.api import v1_held, v1_participation  # noqa: E402, F401
