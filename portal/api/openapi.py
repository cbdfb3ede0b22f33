"""The OpenAPI 3.1 document of the portal's API, served at /api/v1/openapi.json.

This module holds the document's frame, its shared parts (errors, the case) and the helpers;
each API area adds its own paths and schemas next to its routes (``EXTRA_PATHS``, ``SCHEMAS``):
the applications, objections and grants in ``openapi_services`` (their steps from the machine's
table), the other processes in ``v1_participation`` and ``v1_held``. A test checks that every
/api/v1 route of the app is in it, so a new endpoint cannot go undocumented.

Its summaries and descriptions are shown to users on the 开发者中心 (/api), so they are written
in Chinese; ``tests/web/test_openapi_language.py`` fails on any that is English prose.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, jsonify

from datasets.workflows.machine import ALL_MACHINES, MACHINES
from portal.api import datastore  # noqa: F401 - registers CKAN's DataStore actions
from portal.api.ckan import ACTIONS
from portal.api.edge import MAX_PATH_PARAM
from portal.app import base_url, get_runtime

bp = Blueprint("openapi", __name__)

KEY: list[dict[str, list[str]]] = [{"apiKey": []}]
OPTIONAL_KEY: list[dict[str, list[str]]] = [{"apiKey": []}, {}]


def schema_ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


def json_body(schema: dict[str, Any] | str, required: bool = True) -> dict[str, Any]:
    shape = schema_ref(schema) if isinstance(schema, str) else schema
    return {"required": required, "content": {"application/json": {"schema": shape}}}


# what each error status means, as the answers of every operation describe it
ERROR_TEXTS = {
    400: "请求有误，`error` 中列出有问题的字段",
    401: "未提供 API 密钥，也未登录",
    403: "调用者无权进行此操作",
    404: "对象不存在（或调用者无权查看）",
    409: "对象当前的状态不允许此操作",
    429: "请求过于频繁、已达上限（每个提出人、每个地址或每天）或无效的 API 密钥过多，"
    "请按 Retry-After 稍后再试",
}
ANY_OBJECT: dict[str, Any] = {"type": "object"}
_ERROR = {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}


def answers(
    schema: str | dict[str, Any] | None, description: str, *errors: int, created: bool = False
) -> dict[str, Any]:
    """The responses of an operation: 200 (201 when it ``created`` something) with ``schema``
    (a name in ``SCHEMAS``, a schema, or None for a JSON object described in ``description``),
    and each of ``errors`` with the error envelope."""
    out: dict[str, Any] = {}
    ok: dict[str, Any] = {"description": description}
    shape = schema_ref(schema) if isinstance(schema, str) else schema or ANY_OBJECT
    ok["content"] = {"application/json": {"schema": shape}}
    out["201" if created else "200"] = ok
    for code in errors:
        out[str(code)] = {"description": ERROR_TEXTS[code], "content": _ERROR}
    return out


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


def path_param(name: str, description: str) -> dict[str, Any]:
    """A required text parameter of the path."""
    return {
        "name": name,
        "in": "path",
        "required": True,
        "description": description,
        "schema": {"type": "string", "minLength": 1, "maxLength": MAX_PATH_PARAM},
    }


def path_id(name: str, what: str) -> dict[str, Any]:
    """A path parameter naming one ``what`` (in Chinese, e.g. 申请) by id or reference number."""
    return path_param(name, f"{what}的 id 或编号")


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
        "description": "各类事项共有的字段",
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
                "description": "受理日期（北京时间）；非工作日收到的顺延至下一个工作日",
            },
            "due_on": {
                "type": ["string", "null"],
                "format": "date",
                "description": "按工作日计算的办理期限；补正期间暂停计时，为 null",
            },
            "due_provisional": {
                "type": "boolean",
                "description": "期限跨入官方尚未公布节假日安排的年份时为 true"
                "（暂按平台运维人员设置的节假日表计算）",
            },
            "overdue": {"type": "boolean"},
            "reply": {"type": "string"},
            "rule_code": {"type": ["string", "null"]},
            "decided_on": {"type": ["string", "null"], "format": "date"},
            "decided_on_time": {"type": ["boolean", "null"]},
            "history": {"type": "array", "items": {"type": "object"}},
            "access": {
                "enum": ["participant", "code"],
                "description": "调用者查看事项的身份（开放需求、纠错、权益异议、意见建议、"
                "开放评估）：participant 为事项参与人，code 为凭查询码查看",
            },
            "access_code": {
                "type": "string",
                "description": "查询码，只在提交后的答复中出现：不登录也可凭它查看事项"
                "（X-Access-Code 请求头，或在 /services/lookup 填写受理编号和查询码）；"
                "平台只保存其 SHA-256 摘要，不会再次显示",
            },
        },
    },
}


def paths() -> dict[str, Any]:
    """This document and the CKAN Action API (the public services add theirs: EXTRA_PATHS); the
    actions listed are the ones registered (``portal.api.ckan.ACTIONS``)."""
    action = path_param("action", "接口名称，例如 package_search")
    action["schema"] = {"enum": list(ACTIONS)}
    envelope = {
        "type": "object",
        "required": ["help", "success", "result"],
        "properties": {
            "help": {"type": "string"},
            "success": {"const": True},
            "result": {"description": "接口的结果：对象、列表、文本或数字"},
        },
    }
    return {
        "/api/v1/openapi.json": {
            "get": operation(
                "本文档（OpenAPI 3.1）",
                tag="文档",
                answer=answers(None, "OpenAPI 文档"),
                security=[],
            )
        },
        "/api/3/action/{action}": {
            "get": operation(
                "兼容 CKAN Action API 第 3 版的接口：" + "、".join(ACTIONS) + "；"
                "答复为 CKAN 的格式 {help, success, result}",
                tag="CKAN",
                params=[action],
                answer=answers(envelope, "CKAN 格式的答复", 400, 403, 404, 409),
                security=OPTIONAL_KEY,
            )
        },
    }


EXTRA_PATHS: list[Any] = []  # functions returning more paths (other service modules add theirs)


def document(server: str) -> dict[str, Any]:
    all_paths = paths()
    for more in EXTRA_PATHS:
        all_paths.update(more())
    for operations in all_paths.values():
        for op in operations.values():
            # any request may be refused at the edge (portal.api.edge) or for its rate
            for code in (400, 429):
                op["responses"].setdefault(
                    str(code), {"description": ERROR_TEXTS[code], "content": _ERROR}
                )
    return {
        "openapi": "3.1.0",
        "info": {
            "title": f"{get_runtime().settings.site_name} API",
            "version": "1",
            "description": "公共服务接口（有条件开放申请、复核、授权、开放需求、纠错、"
            "权益异议、意见建议、公开透明、人工确认）和兼容 CKAN 的数据目录接口。"
            "API 密钥放在 Authorization 请求头中发送，与 CKAN 客户端相同。"
            "期限按工作日计算；日期为北京时间（Asia/Shanghai），时间为 UTC。",
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
