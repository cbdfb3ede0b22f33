"""The OpenAPI description of the applications, objections and grants (``v1.py``).

The steps on a case come from the machine's table: each URL step ``POST /api/v1/<plural>/<id>/
<step>`` is listed with its label, the parties who may take it and the deadline it starts, and
its body is the schema of the typed request the step parses (``datasets.workflows.steps``), named
after the request's class. A test keeps the schemas and the table in step.
"""

from __future__ import annotations

from typing import Any

from datasets.workflows import step_requests as r
from datasets.workflows.machine import APPLICATION, GRANT, OBJECTION, STAGES, Machine
from datasets.workflows.steps import SERVICES
from portal.api.openapi import (
    EXTRA_PATHS,
    KEY,
    SCHEMAS,
    answers,
    json_body,
    operation,
    path_id,
    schema_ref,
    text_field,
)

TEXT = {key: text_field(label, maxLength=r.MAX_TEXT) for key, label in r.TEXT_FIELDS.items()}
NAMES = {"type": "array", "items": {"type": "string"}}


def _body(*required: str, **properties: Any) -> dict[str, Any]:
    return {"type": "object", "required": list(required), "properties": properties}


# the body each typed request parses, by its class
BODIES: dict[type, dict[str, Any]] = {
    r.Application: _body(
        "dataset",
        *r.TEXT_FIELDS,
        "period_months",
        "access_mode",
        dataset=text_field("Name or id of a conditional (有条件开放) dataset"),
        **TEXT,
        fields={**NAMES, "description": "Columns asked for (default: all)"},
        period_months={"type": "integer", "minimum": 1},
        access_mode={"enum": list(r.ACCESS_MODES)},
    ),
    r.Correction: _body("items", items=text_field("需要补正的材料")),
    r.Supplement: _body(note=text_field("补正说明 (this or a rewritten text)"), **TEXT),
    r.Extension: _body(
        "reason",
        reason=text_field("延期理由"),
        days={"type": "integer", "minimum": 1, "description": "Default: the most allowed"},
    ),
    r.Decision: _body(
        "decision",
        decision={"enum": list(r.DECISIONS)},
        reason=text_field("Required for partial and refuse"),
        rule_code=text_field(
            "For partial and refuse: an exclusion rule code (security, privacy-trade-secret, "
            f"agreement-ip, law-other-channel) or {r.UNMET_CONDITION}"
        ),
        fields={**NAMES, "description": "For partial: the fields granted (a proper subset)"},
    ),
    r.Signature: _body(
        "agreement_version",
        "accept",
        agreement_version=text_field("The current version (GET /api/v1/agreement)"),
        accept={"const": True},
    ),
    r.Withdrawal: _body(),
    r.Objection: _body("reason", reason=text_field("异议理由", maxLength=r.MAX_TEXT)),
    r.Ruling: _body(
        "decision",
        "reason",
        decision={"enum": list(r.OBJECTION_DECISIONS)},
        reason=text_field("复核理由", maxLength=r.MAX_TEXT),
    ),
    r.Escalation: _body("stage", stage={"enum": list(STAGES)}, note=text_field("说明")),
    r.UseReport: _body("text", text=text_field("使用情况报告", maxLength=r.MAX_REPORT)),
    r.StatusChange: _body(
        reason={"enum": list(r.REASONS), "description": "Required to suspend or revoke"},
        note=text_field("说明"),
    ),
    r.ScopeConfirmation: _body("fields", fields={**NAMES, "description": "Current column names"}),
}


def schema_name(request: type) -> str:
    return f"{request.__name__}Request"


SCHEMAS.update({schema_name(request): body for request, body in BODIES.items()})
SCHEMAS.update(
    {
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
                        "access_mode": {"enum": list(r.ACCESS_MODES)},
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
                "access_mode": {"enum": list(r.ACCESS_MODES)},
                "agreement_version": {"type": "string"},
                "starts_on": {"type": "string", "format": "date"},
                "expires_on": {"type": "string", "format": "date"},
                "status": {"enum": list(GRANT.states)},
                "status_reason": {"enum": [*r.REASONS, None]},
                "report_due_on": {"type": ["string", "null"], "format": "date"},
                "scope": {"enum": ["all", "partial"]},
                "scope_state": {"enum": ["confirmed", "needs_confirmation"]},
                "scope_reason": {"type": "string"},
                "scope_changed_at": {"type": ["string", "null"], "format": "date-time"},
            },
        },
    }
)
TAGS = {"Application": "有条件开放申请", "Objection": "复核", "Grant": "授权"}


def _step_summary(machine: Machine) -> str:
    """Each URL step of ``machine``: its label, who takes it and its body."""
    lines = []
    for name, (_, _, request) in SERVICES[machine.kind].items():
        t = machine.transition(name)
        lines.append(
            f"`{t.step}`: {t.label} ({'/'.join(t.who)}; body {schema_name(request)})"
            + (f", starts the `{t.deadline}` deadline" if t.deadline else "")
        )
    return "; ".join(lines)


def step_operation(machine: Machine, key: str, what: str, result: str) -> dict[str, Any]:
    """``POST /api/v1/<plural>/{key}/{step}`` for every step of ``machine``'s table."""
    taken = SERVICES[machine.kind]
    step = {
        "name": "step",
        "in": "path",
        "required": True,
        "schema": {"enum": [machine.transition(name).step for name in taken]},
    }
    bodies = [schema_ref(schema_name(request)) for _, _, request in taken.values()]
    return {
        "post": operation(
            f"A step on the {what.lower()}: " + _step_summary(machine),
            tag=TAGS[what],
            params=[path_id(key, what), step],
            body=json_body({"oneOf": bodies}, required=False),
            answer=answers(result, f"The {what.lower()} after the step", 400, 401, 403, 404, 409),
            security=KEY,
        )
    }


def _show(key: str, what: str, summary: str) -> dict[str, Any]:
    return {
        "get": operation(
            summary,
            tag=TAGS[what],
            params=[path_id(key, what)],
            answer=answers(what, f"The {what.lower()}", 401, 404),
            security=KEY,
        )
    }


def _listing(what: str, under: str) -> dict[str, Any]:
    return operation(
        f"The caller's {under}",
        tag=TAGS[what],
        answer=answers(None, f"List under `{under}`", 401),
        security=KEY,
    )


def paths() -> dict[str, Any]:
    return {
        "/api/v1/applications": {
            "post": operation(
                "File an application for conditional data (company or citizen)",
                tag=TAGS["Application"],
                body=json_body(schema_name(r.Application)),
                answer=answers("Application", "Created", 400, 401, 403, 409),
                security=KEY,
            ),
            "get": _listing("Application", "applications"),
        },
        "/api/v1/applications/{application_id}": _show(
            "application_id", "Application", "One application (applicant, department, bureau)"
        ),
        "/api/v1/applications/{application_id}/{step}": step_operation(
            APPLICATION, "application_id", "Application", "Application"
        ),
        "/api/v1/agreement": {
            "get": operation(
                "The current data-use agreement (version, SHA-256, text)",
                tag=TAGS["Application"],
                answer=answers(None, "The agreement"),
                security=[],
            )
        },
        "/api/v1/objections/{objection_id}": _show(
            "objection_id", "Objection", "One objection (复核申请)"
        ),
        "/api/v1/objections/{objection_id}/{step}": step_operation(
            OBJECTION, "objection_id", "Objection", "Objection"
        ),
        "/api/v1/grants": {"get": _listing("Grant", "grants")},
        "/api/v1/grants/{grant_id}": _show(
            "grant_id", "Grant", "One grant with its access log and use reports"
        ),
        "/api/v1/grants/{grant_id}/{step}": step_operation(GRANT, "grant_id", "Grant", "Grant"),
    }


EXTRA_PATHS.append(paths)
