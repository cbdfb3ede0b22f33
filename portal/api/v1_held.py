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
    note = payload().get("note")
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
            "description": "Why the scanner could not read it (中文), e.g. PNG 图像无法扫描",
        },
    },
}

_GATE = {
    "type": "object",
    "description": "A publish gate the dataset failed: only its department can fix it",
    "properties": {
        "code": {"type": "string", "description": "Stable code, e.g. machine-readable"},
        "title": {"type": "string", "description": "中文名, e.g. 缺少机器可读格式"},
        "detail": {"type": "string", "description": "What is wrong (中文)"},
        "fix": {"type": "string", "description": "What the department must do (中文)"},
    },
}

SCHEMAS["HeldDataset"] = {
    "type": "object",
    "description": "A quarantined dataset with files waiting for a confirmation",
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
    "description": "What became of the dataset once the file was confirmed",
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
            "description": "Files of the dataset still waiting for a confirmation",
        },
        "uncovered": {
            "type": "array",
            "items": {"type": "string"},
            "description": "Personal columns still without a masking rule (set by operators)",
        },
        "message": {"type": "string", "description": "The outcome in a sentence (中文)"},
    },
}


TAG = "人工确认"
PATH_PARAMS = [
    {
        "name": "name",
        "in": "path",
        "required": True,
        "description": "Dataset name or id",
        "schema": {"type": "string"},
    },
    {
        "name": "resource_id",
        "in": "path",
        "required": True,
        "description": "The held file's resource id (GET /api/v1/held lists them)",
        "schema": {"type": "string"},
    },
]
NOTE = {
    "type": "object",
    "properties": {
        "note": {
            "type": ["string", "null"],
            "maxLength": confirmations.MAX_NOTE,
            "description": "Optional: what was checked",
        }
    },
}


def _held_list() -> dict[str, Any]:
    listed = {"type": "array", "items": schema_ref("HeldDataset")}
    body = {"type": "object", "properties": {"datasets": listed}}
    return operation(
        "The quarantined datasets with files the caller may confirm (人工确认) and the "
        "scanner's reasons: every one for an operator, the own department's for a reviewer",
        tag=TAG,
        answer={
            "200": {
                "description": "List under `datasets`",
                "content": {"application/json": {"schema": body}},
            },
            **{k: v for k, v in answers(None, "", 401, 403).items() if k != "200"},
        },
        security=KEY,
    )


def _confirmation() -> dict[str, Any]:
    return operation(
        "The dataset's department reviewer (or an operator) confirms that a held file holds no "
        "personal information; the dataset is published again under the same rules (it stays "
        "quarantined while other files are held or personal columns lack a masking rule). The "
        "confirmation names exactly this file's content: a changed file is held again",
        tag=TAG,
        params=PATH_PARAMS,
        body=json_body(NOTE, required=False),
        answer=answers(
            "ConfirmationOutcome", "The dataset after the confirmation", 400, 401, 403, 404, 409
        ),
        security=KEY,
    )


def _paths() -> dict[str, Any]:
    return {
        "/api/v1/held": {"get": _held_list()},
        "/api/v1/datasets/{name}/resources/{resource_id}/confirmation": {"post": _confirmation()},
    }


EXTRA_PATHS.append(_paths)
