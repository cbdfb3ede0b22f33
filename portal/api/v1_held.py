"""/api/v1 routes of files held for a confirmation (人工确认): the files the scanner could not
read (images, scanned PDF pages, encrypted or over-large files …) keep an unconditional dataset
in quarantine until the department's reviewer or an operator confirms that they hold no
personal information (``datasets.openness.confirmations``).

Who is asking is checked before the request body is read: 401 without credentials, 403 for an
account that may confirm nothing or another department's public dataset, 404 for an unknown
dataset or file (and for another department's dataset that is not public), then 400 for a bad
body and 409 for a file that is no longer held or a withdrawn dataset. Answers are never
cached.
"""

from __future__ import annotations

from typing import Any

from flask import jsonify
from flask.typing import ResponseReturnValue

from datasets.openness import confirmations
from portal.api.edge import MAX_PATH_PARAM
from portal.api.openapi import EXTRA_PATHS, KEY, SCHEMAS, answers, json_body, operation, schema_ref
from portal.api.v1 import bp, payload
from portal.app import get_runtime
from portal.auth import current_actor
from portal.errors import no_store


@bp.get("/held")
def held_list() -> ResponseReturnValue:
    items = confirmations.held_list(get_runtime(), actor=current_actor())
    return no_store(jsonify({"datasets": items}))


@bp.post("/datasets/<name>/resources/<resource_id>/confirmation")
def file_confirmation(name: str, resource_id: str) -> ResponseReturnValue:
    rt, actor = get_runtime(), current_actor()
    confirmations.authorize_confirmation(rt, name=name, actor=actor)  # before the body
    note = payload(NOTE).get("note")
    result = confirmations.confirm_file(
        rt, name=name, resource_id=resource_id, note=note, actor=actor
    )
    return no_store(jsonify(result))


# -- the OpenAPI document (portal/openapi.py collects these paths) ---------------------------------

_HELD_FILE = {
    "type": "object",
    "properties": {
        "resource_id": {"type": "string"},
        "name": {"type": "string"},
        "format": {"type": "string"},
        "reasons": {
            "type": "array",
            "items": {"type": "string"},
            "description": "无法扫描的原因（中文），例如“PNG 图像无法扫描”",
        },
    },
}

_GATE = {
    "type": "object",
    "description": "数据集未通过的发布检查：只能由其数据提供部门修正",
    "properties": {
        "code": {"type": "string", "description": "固定的检查编码，例如 machine-readable"},
        "title": {"type": "string", "description": "检查项名称，例如“缺少机器可读格式”"},
        "detail": {"type": "string", "description": "问题说明（中文）"},
        "fix": {"type": "string", "description": "数据提供部门应如何修正（中文）"},
    },
}

SCHEMAS["HeldDataset"] = {
    "type": "object",
    "description": "隔离中的数据集，有文件等待人工确认",
    "properties": {
        "name": {"type": "string"},
        "title": {"type": "string"},
        "organization": {
            "type": "object",
            "properties": {"name": {"type": "string"}, "title": {"type": "string"}},
        },
        "state": {"const": "quarantined"},
        "since": {"type": "string", "format": "date-time"},
        "reasons": {"type": "array", "items": {"type": "string"}},
        "held": {"type": "array", "items": _HELD_FILE},
        "gates": {"type": "array", "items": _GATE},
        "can_confirm": {"type": "boolean"},
    },
}
SCHEMAS["ConfirmationOutcome"] = {
    "type": "object",
    "description": "文件确认后数据集的状态",
    "properties": {
        "name": {"type": "string"},
        "title": {"type": "string"},
        "openness": {"enum": ["unconditional", "conditional", "closed"]},
        "state": {"enum": ["active", "quarantined"]},
        "deidentified": {"type": "boolean"},
        "published": {"type": "boolean"},
        "resource": {
            "type": "object",
            "properties": {"id": {"type": "string"}, "name": {"type": "string"}},
        },
        "held": {
            "type": "array",
            "items": _HELD_FILE,
            "description": "该数据集仍在等待人工确认的文件",
        },
        "uncovered": {
            "type": "array",
            "items": {"type": "string"},
            "description": "尚未设置脱敏规则的个人信息字段（由平台运维人员设置）",
        },
        "message": {"type": "string", "description": "一句话说明结果（中文）"},
    },
}


TAG = "人工确认"
PATH_PARAMS = [
    {
        "name": "name",
        "in": "path",
        "required": True,
        "description": "数据集的名称或 id",
        "schema": {"type": "string", "minLength": 1, "maxLength": MAX_PATH_PARAM},
    },
    {
        "name": "resource_id",
        "in": "path",
        "required": True,
        "description": "待确认文件的资源 id（见 GET /api/v1/held）",
        "schema": {"type": "string", "minLength": 1, "maxLength": MAX_PATH_PARAM},
    },
]
NOTE = {
    "type": "object",
    "properties": {
        "note": {
            "type": ["string", "null"],
            "maxLength": confirmations.MAX_NOTE,
            "description": "检查了哪些内容（可不填）",
        }
    },
}


def _held_list() -> dict[str, Any]:
    listed = {"type": "array", "items": schema_ref("HeldDataset")}
    body = {"type": "object", "properties": {"datasets": listed}}
    return operation(
        "调用者可以人工确认的隔离中数据集及无法扫描的原因：平台运维人员可见全部，"
        "数据提供部门的审核人员可见本部门的",
        tag=TAG,
        answer={
            "200": {
                "description": "列表在 `datasets` 中",
                "content": {"application/json": {"schema": body}},
            },
            **{k: v for k, v in answers(None, "", 401, 403).items() if k != "200"},
        },
        security=KEY,
    )


def _confirmation() -> dict[str, Any]:
    return operation(
        "数据提供部门的审核人员（或平台运维人员）确认待确认的文件不含个人信息，数据集按原规则"
        "重新发布（仍有其他文件待确认或个人信息字段缺少脱敏规则时继续隔离）。确认只针对该文件"
        "当前的内容：文件变更后须重新确认",
        tag=TAG,
        params=PATH_PARAMS,
        body=json_body(NOTE, required=False),
        answer=answers("ConfirmationOutcome", "确认后的数据集", 400, 401, 403, 404, 409),
        security=KEY,
    )


def _paths() -> dict[str, Any]:
    return {
        "/api/v1/held": {"get": _held_list()},
        "/api/v1/datasets/{name}/resources/{resource_id}/confirmation": {"post": _confirmation()},
    }


EXTRA_PATHS.append(_paths)
