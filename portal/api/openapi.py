"""The OpenAPI 3.1 document of the portal's API, served at /api/v1/openapi.json.

Written out by hand next to the routes it describes; a test checks that every /api/v1 route of
the app is in it, so a new endpoint cannot go undocumented.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, jsonify

from datasets.workflows.grants import REASONS
from datasets.workflows.machine import MACHINES
from datasets.workflows.objections import STAGES
from portal.app import base_url, get_runtime

bp = Blueprint("openapi", __name__)

KEY = [{"apiKey": []}]
OPTIONAL_KEY = [{"apiKey": []}, {}]


def schema_ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


def json_body(schema: dict[str, Any] | str, required: bool = True) -> dict[str, Any]:
    schema = schema_ref(schema) if isinstance(schema, str) else schema
    return {"required": required, "content": {"application/json": {"schema": schema}}}


def answers(schema: str | None, description: str, *errors: int) -> dict[str, Any]:
    out: dict[str, Any] = {}
    ok = {"description": description}
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
    "ApplicationInput": {
        "type": "object",
        "required": [
            "dataset",
            "purpose",
            "scope",
            "scenario",
            "security_measures",
            "period_months",
            "access_mode",
        ],
        "properties": {
            "dataset": text_field("Name or id of a conditional (有条件开放) dataset"),
            "purpose": text_field("使用用途", maxLength=4000),
            "scope": text_field("使用范围", maxLength=4000),
            "scenario": text_field("应用场景", maxLength=4000),
            "security_measures": text_field("安全保障措施", maxLength=4000),
            "fields": {
                "type": "array",
                "items": {"type": "string"},
                "description": "Columns asked for (default: all)",
            },
            "period_months": {"type": "integer", "minimum": 1},
            "access_mode": {"enum": ["download", "api"]},
        },
    },
    "Application": {
        "allOf": [
            schema_ref("Case"),
            {
                "type": "object",
                "properties": {
                    "purpose": {"type": "string"},
                    "scope": {"type": "string"},
                    "scenario": {"type": "string"},
                    "security_measures": {"type": "string"},
                    "fields": {"type": "array", "items": {"type": "string"}},
                    "period_months": {"type": "integer"},
                    "access_mode": {"enum": ["download", "api"]},
                    "decision": {"enum": ["approve", "partial", "refuse", None]},
                    "reason": {"type": "string"},
                    "granted_fields": {"type": ["array", "null"], "items": {"type": "string"}},
                    "objection_deadline": {"type": ["string", "null"], "format": "date"},
                    "objection_instructions": {"type": ["string", "null"]},
                    "agreement_version": {"type": ["string", "null"]},
                    "grant": {"oneOf": [schema_ref("Grant"), {"type": "null"}]},
                },
            },
        ]
    },
    "Decision": {
        "type": "object",
        "required": ["decision"],
        "properties": {
            "decision": {"enum": ["approve", "partial", "refuse"]},
            "reason": text_field("Required for partial and refuse"),
            "rule_code": text_field(
                "For partial and refuse: an exclusion rule code (security, "
                "privacy-trade-secret, agreement-ip, law-other-channel) or unmet-condition"
            ),
            "fields": {
                "type": "array",
                "items": {"type": "string"},
                "description": "For partial: the fields granted (a proper subset)",
            },
        },
    },
    "Objection": {
        "allOf": [
            schema_ref("Case"),
            {
                "type": "object",
                "properties": {
                    "reason": {"type": "string"},
                    "application_id": {"type": "string"},
                    "decision": {"enum": ["uphold", "overturn", None]},
                    "decision_reason": {"type": "string"},
                    "escalations": {"type": "array", "items": {"type": "object"}},
                },
            },
        ]
    },
    "Grant": {
        "type": "object",
        "properties": {
            "id": {"type": "string"},
            "reference": {"type": "string"},
            "dataset": {"type": "object"},
            "fields": {"type": "array", "items": {"type": "string"}},
            "access_mode": {"enum": ["download", "api"]},
            "agreement_version": {"type": "string"},
            "starts_on": {"type": "string", "format": "date"},
            "expires_on": {"type": "string", "format": "date"},
            "status": {"enum": ["active", "suspended", "revoked", "expired"]},
            "status_reason": {"enum": [*REASONS, None]},
            "report_due_on": {"type": ["string", "null"], "format": "date"},
            "scope": {"enum": ["all", "partial"]},
            "scope_state": {"enum": ["confirmed", "needs_confirmation"]},
            "scope_reason": {"type": "string"},
            "scope_changed_at": {"type": ["string", "null"], "format": "date-time"},
        },
    },
}


def paths() -> dict[str, Any]:
    app_id = [path_id("application_id", "Application")]
    obj_id = [path_id("objection_id", "Objection")]
    grant_id = [path_id("grant_id", "Grant")]
    tag = "有条件开放申请"
    return {
        "/api/v1/applications": {
            "post": operation(
                "File an application for conditional data (company or citizen)",
                tag=tag,
                body=json_body("ApplicationInput"),
                answer=answers("Application", "Created", 400, 401, 403, 409),
                security=KEY,
            ),
            "get": operation(
                "The caller's applications",
                tag=tag,
                answer=answers(None, "List under `applications`", 401),
                security=KEY,
            ),
        },
        "/api/v1/applications/{application_id}": {
            "get": operation(
                "One application (applicant, its department, the bureau)",
                tag=tag,
                params=app_id,
                answer=answers("Application", "The application", 401, 404),
                security=KEY,
            )
        },
        "/api/v1/applications/{application_id}/{step}": {
            "post": operation(
                "A step of the application: `decision` (department reviewer; body Decision), "
                "`correction` (reviewer, once, within the 补正 window; body {items}; pauses the "
                "clock), `supplement` (applicant; body {note, and any of purpose, scope, "
                "scenario, security_measures}), `extension` (reviewer, once; body {reason, "
                "days}), `sign` (applicant; body {agreement_version, accept: true}; creates the "
                "grant), `withdraw` (applicant), `objection` (applicant, after a refusal or "
                "partial refusal, within the filing window; body {reason}; answers 201 with "
                "the Objection)",
                tag=tag,
                params=[
                    *app_id,
                    {
                        "name": "step",
                        "in": "path",
                        "required": True,
                        "schema": {
                            "enum": [
                                "decision",
                                "correction",
                                "supplement",
                                "extension",
                                "sign",
                                "withdraw",
                                "objection",
                            ]
                        },
                    },
                ],
                body=json_body({"type": "object"}, required=False),
                answer=answers(
                    "Application", "The application after the step", 400, 401, 403, 404, 409
                ),
                security=KEY,
            )
        },
        "/api/v1/agreement": {
            "get": operation(
                "The current data-use agreement (version, SHA-256, text)",
                tag=tag,
                answer=answers(None, "The agreement"),
                security=[],
            )
        },
        "/api/v1/objections/{objection_id}": {
            "get": operation(
                "One objection (复核申请)",
                tag="复核",
                params=obj_id,
                answer=answers("Objection", "The objection", 401, 404),
                security=KEY,
            )
        },
        "/api/v1/objections/{objection_id}/decision": {
            "post": operation(
                "The bureau upholds or overturns; overturning obliges the department to "
                "provide within its deadline",
                tag="复核",
                params=obj_id,
                body=json_body(
                    {
                        "type": "object",
                        "required": ["decision", "reason"],
                        "properties": {
                            "decision": {"enum": ["uphold", "overturn"]},
                            "reason": {"type": "string"},
                        },
                    }
                ),
                answer=answers("Objection", "The objection", 400, 401, 403, 404, 409),
                security=KEY,
            )
        },
        "/api/v1/objections/{objection_id}/escalation": {
            "post": operation(
                "Record a step of the escalation ladder (bureau)",
                tag="复核",
                params=obj_id,
                body=json_body(
                    {
                        "type": "object",
                        "required": ["stage"],
                        "properties": {"stage": {"enum": list(STAGES)}, "note": {"type": "string"}},
                    }
                ),
                answer=answers("Objection", "The objection", 400, 401, 403, 404, 409),
                security=KEY,
            )
        },
        "/api/v1/grants": {
            "get": operation(
                "The caller's grants",
                tag="授权",
                answer=answers(None, "List under `grants`", 401),
                security=KEY,
            )
        },
        "/api/v1/grants/{grant_id}": {
            "get": operation(
                "One grant with its access log and use reports",
                tag="授权",
                params=grant_id,
                answer=answers("Grant", "The grant", 401, 404),
                security=KEY,
            )
        },
        "/api/v1/grants/{grant_id}/report": {
            "post": operation(
                "The holder files a use report (lifts a suspension for a missing report)",
                tag="授权",
                params=grant_id,
                body=json_body({"type": "object", "properties": {"text": {"type": "string"}}}),
                answer=answers("Grant", "The grant", 400, 401, 404, 409),
                security=KEY,
            )
        },
        "/api/v1/grants/{grant_id}/scope": {
            "post": operation(
                "The dataset's department (or an operator) confirms a grant's scope after its "
                "columns changed: `fields` are current column names (a partial grant stays a "
                "proper subset); until then the grant serves nothing",
                tag="授权",
                params=grant_id,
                body=json_body(
                    {
                        "type": "object",
                        "required": ["fields"],
                        "properties": {"fields": {"type": "array", "items": {"type": "string"}}},
                    }
                ),
                answer=answers("Grant", "The grant", 400, 401, 403, 404, 409),
                security=KEY,
            )
        },
        "/api/v1/grants/{grant_id}/{action}": {
            "post": operation(
                "Suspend, restore or revoke (the dataset's department or the bureau)",
                tag="授权",
                params=[
                    *grant_id,
                    {
                        "name": "action",
                        "in": "path",
                        "required": True,
                        "schema": {"enum": ["suspend", "restore", "revoke"]},
                    },
                ],
                body=json_body(
                    {
                        "type": "object",
                        "properties": {
                            "reason": {"enum": list(REASONS)},
                            "note": {"type": "string"},
                        },
                    }
                ),
                answer=answers("Grant", "The grant", 400, 401, 403, 404, 409),
                security=KEY,
            )
        },
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
        "x-state-machines": [m.as_dict() for m in MACHINES.values()],
        "paths": all_paths,
    }


@bp.get("/api/v1/openapi.json")
def openapi_json():  # type: ignore[no-untyped-def]
    return jsonify(document(base_url()))
