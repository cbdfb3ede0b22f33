"""The OpenAPI description of the applications, objections and grants (``v1.py``).

The steps on a case come from the machine's table: each URL step ``POST /api/v1/<plural>/<id>/
<step>`` is listed with its label, the parties who may take it and the deadline it starts, and
its body is the schema of the typed request the step parses (``datasets.workflows.steps``), named
after the request's class. A test keeps the schemas and the table in step.
"""

from __future__ import annotations

from typing import Any

from datasets.openness.rules import RULES_BY_CODE, STATE_SECRET
from datasets.workflows import step_requests as r
from datasets.workflows.attachments import MAX_PER_CASE
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
    path_param,
    schema_ref,
    text_field,
)

TEXT = {key: text_field(label, maxLength=r.MAX_TEXT) for key, label in r.TEXT_FIELDS.items()}
MAX_NAMES, MAX_NAME, MAX_CODE = 500, 200, 100
MAX_MONTHS, MAX_DAYS = 1200, 1000  # sanity bounds; the settings bound them tighter
NAMES = {"type": "array", "maxItems": MAX_NAMES, "items": {"type": "string", "maxLength": MAX_NAME}}
RULE_CODES = "、".join(code for code in RULES_BY_CODE if code != STATE_SECRET)


def _body(*required: str, **properties: Any) -> dict[str, Any]:
    return {"type": "object", "required": list(required), "properties": properties}


def _optional(description: str, limit: int = r.MAX_TEXT) -> dict[str, Any]:
    """A text that may be left out, empty or null."""
    return text_field(description, type=["string", "null"], maxLength=limit)


# the body each typed request parses, by its class
BODIES: dict[type, dict[str, Any]] = {
    r.Application: _body(
        "dataset",
        *r.TEXT_FIELDS,
        "period_months",
        "access_mode",
        "fields",
        dataset=text_field("有条件开放数据集的名称或 id", maxLength=MAX_NAME),
        **TEXT,
        fields={
            "description": '申请的字段：字段名列表，或 "all"（明确申请全部字段，含个人信息字段）',
            "oneOf": [{**NAMES, "minItems": 1}, {"type": "string", "enum": [r.ALL_FIELDS]}],
        },
        period_months={
            "type": "integer",
            "minimum": 1,
            "maximum": MAX_MONTHS,
            "description": "使用期限（月），不超过平台设置的最长期限",
        },
        access_mode={"enum": list(r.ACCESS_MODES)},
    ),
    r.Correction: _body("items", items=text_field("需要补正的材料", maxLength=r.MAX_TEXT)),
    r.Supplement: _body(note=_optional("补正说明（与改写的申请内容至少填写一项）"), **TEXT),
    r.Extension: _body(
        "reason",
        reason=text_field("延期理由", maxLength=r.MAX_TEXT),
        days={
            "type": "integer",
            "minimum": 1,
            "maximum": MAX_DAYS,
            "description": "延长的工作日数（默认为允许的最长期限）",
        },
    ),
    r.Decision: _body(
        "decision",
        decision={"enum": list(r.DECISIONS)},
        reason=_optional("决定理由（partial、refuse 时必填）"),
        rule_code=_optional(
            f"partial、refuse 时填写：不予开放规则编码（{RULE_CODES}）"
            f"或 {r.UNMET_CONDITION}（未满足已公布的开放条件）",
            MAX_CODE,
        ),
        fields={
            **NAMES,
            "type": ["array", "null"],
            "description": "partial 时填写：同意提供的字段（所申请字段的一部分）",
        },
    ),
    r.Signature: _body(
        "agreement_version",
        "accept",
        agreement_version=text_field(
            "协议的当前版本号（见 GET /api/v1/agreement）", maxLength=MAX_CODE
        ),
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
    r.Escalation: _body("stage", stage={"enum": list(STAGES)}, note=_optional("说明")),
    r.UseReport: _body("text", text=text_field("使用情况报告", maxLength=r.MAX_REPORT)),
    r.StatusChange: _body(
        reason={
            "enum": [*r.REASONS, None],
            "description": "暂停或终止授权的原因（暂停、终止时必填）",
        },
        note=_optional("说明"),
    ),
    r.ScopeConfirmation: _body("fields", fields={**NAMES, "description": "数据集当前的字段名"}),
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
                        "all_fields": {"type": "boolean", "description": "明确申请了全部字段"},
                        "attachments": {"type": "array", "items": schema_ref("Attachment")},
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
        "Attachment": {
            "type": "object",
            "description": "申请的证明材料（仅申请人和办理部门、主管部门可见）",
            "properties": {
                "id": {"type": "string"},
                "name": {"type": "string"},
                "media_type": {"enum": ["application/pdf", "image/png", "image/jpeg"]},
                "size": {"type": "integer"},
                "sha256": {"type": "string"},
                "at": {"type": "string", "format": "date-time"},
                "url": {"type": "string", "description": "下载地址（须提供 API 密钥）"},
            },
        },
        "Objection": {
            "allOf": [
                schema_ref("Case"),
                {
                    "type": "object",
                    "properties": {
                        "reason": {"type": "string"},
                        "application_id": {"type": ["string", "null"]},
                        "subject": {"enum": ["application", "opening_request", "grant"]},
                        "subject_reference": {"type": ["string", "null"]},
                        "request_id": {"type": ["string", "null"]},
                        "grant_id": {"type": ["string", "null"]},
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
                "final_report_due_on": {"type": ["string", "null"], "format": "date"},
                "usage": {
                    "type": "object",
                    "description": "授权下的获取次数及合计行数、字节数",
                    "properties": {k: {"type": "integer"} for k in ("accesses", "rows", "bytes")},
                },
                "access_log": {"type": "array", "items": {"type": "object"}},
                "reports": {"type": "array", "items": {"type": "object"}},
                "overdue_reports": {"type": "array", "items": {"type": "object"}},
            },
        },
    }
)
TAGS = {"Application": "有条件开放申请", "Objection": "复核", "Grant": "授权"}
NOUNS = {"Application": "申请", "Objection": "复核申请", "Grant": "授权"}  # in the texts
# who takes a step, as the summaries name them
PARTIES = {
    "requester": "申请人",
    "department": "数据提供部门",
    "bureau": "主管部门",
    "operator": "平台运维人员",
    "system": "系统",
}


def _step_summary(machine: Machine) -> str:
    """Each URL step of ``machine``: its label, who takes it and its body."""
    lines = []
    for name, (_, _, request) in SERVICES[machine.kind].items():
        t = machine.transition(name)
        who = "、".join(PARTIES.get(p, p) for p in t.who)
        lines.append(
            f"`{t.step}`：{t.label}（{who}；请求体 {schema_name(request)}"
            + (f"；起算 `{t.deadline}` 期限" if t.deadline else "")
            + "）"
        )
    return "；".join(lines)


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
            f"办理{NOUNS[what]}的一个步骤：" + _step_summary(machine),
            tag=TAGS[what],
            params=[path_id(key, NOUNS[what]), step],
            body=json_body({"oneOf": bodies}, required=False),
            answer=answers(result, f"办理后的{NOUNS[what]}", 400, 401, 403, 404, 409),
            security=KEY,
        )
    }


def _show(key: str, what: str, summary: str) -> dict[str, Any]:
    return {
        "get": operation(
            summary,
            tag=TAGS[what],
            params=[path_id(key, NOUNS[what])],
            answer=answers(what, f"{NOUNS[what]}详情", 401, 404),
            security=KEY,
        )
    }


def _listing(what: str, under: str) -> dict[str, Any]:
    return operation(
        f"调用者本人的{NOUNS[what]}",
        tag=TAGS[what],
        answer=answers(None, f"列表在 `{under}` 中", 401),
        security=KEY,
    )


def _attach_operation() -> dict[str, Any]:
    upload = {
        "type": "object",
        "required": ["attachment"],
        "properties": {"attachment": {"type": "string", "format": "binary"}},
    }
    return operation(
        "申请人在作出决定前上传证明材料（PDF、PNG 或 JPEG，按文件内容识别，大小受平台设置限制，"
        f"每件申请最多 {MAX_PER_CASE} 份）：multipart/form-data，字段名 attachment",
        tag=TAGS["Application"],
        params=[path_id("application_id", "申请")],
        body={"required": True, "content": {"multipart/form-data": {"schema": upload}}},
        answer=answers("Attachment", "已保存的证明材料", 400, 401, 403, 404, 409, created=True),
        security=KEY,
    )


def _file_answer() -> dict[str, Any]:
    ok = {
        "description": "证明材料文件",
        "content": {
            kind: {"schema": {"type": "string", "format": "binary"}}
            for kind in ("application/pdf", "image/png", "image/jpeg")
        },
    }
    return {"200": ok, **{k: v for k, v in answers(None, "", 401, 404).items() if k != "200"}}


def paths() -> dict[str, Any]:
    return {
        "/api/v1/applications": {
            "post": operation(
                "提出有条件开放数据的申请（企业或个人）",
                tag=TAGS["Application"],
                body=json_body(schema_name(r.Application)),
                answer=answers("Application", "已受理的申请", 400, 401, 403, 409, created=True),
                security=KEY,
            ),
            "get": _listing("Application", "applications"),
        },
        "/api/v1/applications/{application_id}": _show(
            "application_id", "Application", "查看一项申请（申请人、数据提供部门、主管部门可查看）"
        ),
        "/api/v1/applications/{application_id}/{step}": step_operation(
            APPLICATION, "application_id", "Application", "Application"
        ),
        "/api/v1/applications/{application_id}/attachments": {"post": _attach_operation()},
        "/api/v1/applications/{application_id}/attachments/{attachment_id}": {
            "get": operation(
                "下载一份证明材料（申请人和办理部门、主管部门）",
                tag=TAGS["Application"],
                params=[
                    path_id("application_id", "申请"),
                    path_param("attachment_id", "证明材料的 id"),
                ],
                answer=_file_answer(),
                security=KEY,
            )
        },
        "/api/v1/agreement": {
            "get": operation(
                "现行的数据使用协议（版本号、SHA-256 摘要、全文）",
                tag=TAGS["Application"],
                answer=answers(None, "数据使用协议"),
                security=[],
            )
        },
        "/api/v1/objections/{objection_id}": _show("objection_id", "Objection", "查看一项复核申请"),
        "/api/v1/objections/{objection_id}/{step}": step_operation(
            OBJECTION, "objection_id", "Objection", "Objection"
        ),
        "/api/v1/grants": {"get": _listing("Grant", "grants")},
        "/api/v1/grants/{grant_id}": _show(
            "grant_id", "Grant", "查看一项授权及其访问记录和使用情况报告"
        ),
        "/api/v1/grants/{grant_id}/{step}": step_operation(GRANT, "grant_id", "Grant", "Grant"),
    }


EXTRA_PATHS.append(paths)
