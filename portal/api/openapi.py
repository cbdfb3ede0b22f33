"""The OpenAPI 3.1 document of the portal's API, served at /api/v1/openapi.json.

This module holds the document's frame, its shared parts (errors, the case) and the helpers;
each API area adds its own paths and schemas next to its routes (``EXTRA_PATHS``, ``SCHEMAS``):
the applications, objections and grants in ``openapi_services`` (their steps from the machine's
table), the other processes in ``v1_participation`` and ``v1_held``. A test checks that every
/api/v1 route of the app is in it, so a new endpoint cannot go undocumented.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, jsonify

from datasets.workflows.machine import ALL_MACHINES, MACHINES
from portal.app import base_url, get_runtime

bp = Blueprint("openapi", __name__)

KEY: list[dict[str, list[str]]] = [{"apiKey": []}]
OPTIONAL_KEY: list[dict[str, list[str]]] = [{"apiKey": []}, {}]


def schema_ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


def json_body(schema: dict[str, Any] | str, required: bool = True) -> dict[str, Any]:
    shape = schema_ref(schema) if isinstance(schema, str) else schema
    return {"required": required, "content": {"application/json": {"schema": shape}}}


def answers(schema: str | None, description: str, *errors: int) -> dict[str, Any]:
    out: dict[str, Any] = {}
    ok: dict[str, Any] = {"description": description}
    if schema:
        ok["content"] = {"application/json": {"schema": schema_ref(schema)}}
    out["201" if description.startswith("Created") else "200"] = ok
    texts = {
        400: "Bad input; `error` names the fields",
        401: "No API key or session",
        403: "Not allowed for this caller",
        404: "No such object (or not visible to the caller)",
        409: "The object's state does not allow this step",
    }
    for code in errors:
        out[str(code)] = {"description": texts[code], "content": _ERROR}
    return out


_ERROR = {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}


def operation(
    summary: str,
    *,
    tag: str,
    answer: dict[str, Any],
    body: dict[str, Any] | None = None,
    security: list | None = None,
    params: list[dict[str, Any]] | None = None,
) -> dict[str, Any]:
    op: dict[str, Any] = {"summary": summary, "tags": [tag], "responses": answer}
    if body:
        op["requestBody"] = body
    if security is not None:
        op["security"] = security
    if params:
        op["parameters"] = params
    return op


def path_id(name: str, what: str) -> dict[str, Any]:
    return {
        "name": name,
        "in": "path",
        "required": True,
        "description": f"{what}: id or reference number",
        "schema": {"type": "string"},
    }


def text_field(description: str, **extra: Any) -> dict[str, Any]:
    return {"type": "string", "description": description, **extra}


SCHEMAS: dict[str, Any] = {
    "Error": {
        "type": "object",
        "properties": {
            "success": {"const": False},
            "error": {
                "type": "object",
                "properties": {
                    "__type": {"type": "string"},
                    "message": {"type": "string", "description": "中文说明"},
                },
                "additionalProperties": {"type": "array", "items": {"type": "string"}},
            },
        },
    },
    "Case": {
        "type": "object",
        "description": "Fields every process shares.",
        "properties": {
            "id": {"type": "string", "format": "uuid"},
            "reference": {"type": "string", "examples": ["SQ-20261123-0001"]},
            "kind": {"enum": list(MACHINES)},
            "status": {"type": "string"},
            "status_label": {"type": "string"},
            "closed": {"type": "boolean"},
            "received_on": {
                "type": "string",
                "format": "date",
                "description": "Asia/Shanghai date of receipt, moved to the next working day",
            },
            "due_on": {
                "type": ["string", "null"],
                "format": "date",
                "description": "Deadline in working days; null while the clock is paused (补正)",
            },
            "due_provisional": {
                "type": "boolean",
                "description": "The deadline runs into a year the official calendar does not "
                "cover yet (counted with the operator's holiday table)",
            },
            "overdue": {"type": "boolean"},
            "reply": {"type": "string"},
            "rule_code": {"type": ["string", "null"]},
            "decided_on": {"type": ["string", "null"], "format": "date"},
            "decided_on_time": {"type": ["boolean", "null"]},
            "history": {"type": "array", "items": {"type": "object"}},
            "access": {
                "enum": ["participant", "code"],
                "description": "How the caller sees the case (requests, error reports, rights "
                "objections, suggestions, assessments): as a participant, or with its access code",
            },
            "access_code": {
                "type": "string",
                "description": "Only in the answer to a public submission: the code that opens "
                "the case without an account (X-Access-Code, or reference + code at "
                "/services/lookup); stored only as its SHA-256, so it is never shown again",
            },
        },
    },
}


def paths() -> dict[str, Any]:
    """This document and the CKAN Action API (the public services add theirs: EXTRA_PATHS)."""
    return {
        "/api/v1/openapi.json": {
            "get": operation(
                "This document", tag="文档", answer=answers(None, "OpenAPI"), security=[]
            )
        },
        "/api/3/action/{action}": {
            "get": operation(
                "CKAN Action API v3 subset: package_search, package_show, package_list, "
                "organization_list, organization_show, resource_show, tag_list, status_show, "
                "datastore_search; CKAN's envelope {help, success, result}",
                tag="CKAN",
                params=[
                    {"name": "action", "in": "path", "required": True, "schema": {"type": "string"}}
                ],
                answer=answers(None, "CKAN envelope", 400, 403, 404, 409),
                security=OPTIONAL_KEY,
            )
        },
    }


EXTRA_PATHS: list[Any] = []  # functions returning more paths (other service modules add theirs)


def document(server: str) -> dict[str, Any]:
    all_paths = paths()
    for more in EXTRA_PATHS:
        all_paths.update(more())
    return {
        "openapi": "3.1.0",
        "info": {
            "title": f"{get_runtime().settings.site_name} API",
            "version": "1",
            "description": "Public-services API (有条件开放申请、复核、授权、开放需求、纠错、"
            "权益异议、意见建议、公开透明、人工确认) and the CKAN-compatible catalog API. "
            "Send the API key in the Authorization header, as CKAN clients do. Deadlines are "
            "in working days (工作日); dates are Asia/Shanghai dates, times are UTC.",
        },
        "servers": [{"url": server}],
        "security": KEY,
        "components": {
            "securitySchemes": {
                "apiKey": {"type": "apiKey", "in": "header", "name": "Authorization"}
            },
            "schemas": SCHEMAS,
        },
        "x-state-machines": [m.as_dict() for m in ALL_MACHINES.values()],
        "paths": all_paths,
    }


@bp.get("/api/v1/openapi.json")
def openapi_json() -> Response:
    return jsonify(document(base_url()))
