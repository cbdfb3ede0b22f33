"""开发者中心 at /api: how to call the portal's APIs, built from the registries themselves.

The CKAN actions come from ``portal.api.ckan.ACTIONS`` (each action's documentation string, as
``help_show`` answers it) and the /api/v1 endpoints from the OpenAPI document, so an endpoint
added to either appears here by itself. The rate limits are read from the runtime settings.
"""

from __future__ import annotations

import inspect
import re
from dataclasses import asdict, dataclass, field
from typing import Any

from flask import Blueprint, jsonify, render_template, url_for
from flask.typing import ResponseReturnValue
from limits import parse_many

from datasets.settings import Settings
from portal.api.ckan import ACTIONS
from portal.api.openapi import document
from portal.app import base_url, get_runtime
from portal.limits import phrase
from portal.pages import developer_examples as ex
from portal.pages.developer_examples import Param

bp = Blueprint("developers", __name__)

# how a request carries an API key, as portal.auth.presented_api_key reads it
KEY_HEADERS: list[tuple[str, str]] = [
    ("Authorization", "{key}"),
    ("Authorization", "Bearer {key}"),
    ("X-CKAN-API-Key", "{key}"),
]
_PLACES = {"query": "查询参数", "path": "路径参数", "header": "请求头", "body": "请求体"}
_PARAM = re.compile(r"^:param ([\w.]+):\s*(.*)$")
_TYPE = re.compile(r"^:type ([\w.]+):\s*(.*)$")
_EXAMPLE = re.compile(r"例如 ``([^`]+)``")


@dataclass(frozen=True)
class Action:
    """One CKAN action: its documentation, parameters, examples and try-it form."""

    name: str
    anchor: str
    title: str
    doc: str
    params: list[Param]
    path: str
    help_path: str
    examples: list[ex.Example]


@dataclass(frozen=True)
class Endpoint:
    """One path and method of the OpenAPI document."""

    method: str
    path: str
    anchor: str
    summary: str
    tag: str
    key: str  # "required", "optional" or "none"
    params: list[Param]
    has_body: bool
    examples: list[ex.Example]
    try_it: bool  # a GET endpoint: a form that calls it
    path_params: list[str] = field(default_factory=list)


def parse_doc(doc: str) -> tuple[str, str, list[Param]]:
    """An action's documentation string (CKAN's ``:param name:`` style): its first line, the
    text before the parameters, and the parameters (required when their text says 必填; the
    example of a call uses a value written ``例如 ``value````)."""
    text = inspect.cleandoc(doc or "")
    lines = text.splitlines()
    prose: list[str] = []
    described: dict[str, list[str]] = {}
    types: dict[str, str] = {}
    current: list[str] | None = None
    for line in lines:
        stripped = line.strip()
        if m := _PARAM.match(stripped):
            current = described.setdefault(m.group(1), [])
            current.append(m.group(2))
        elif m := _TYPE.match(stripped):
            types[m.group(1)] = m.group(2)
            current = None
        elif stripped.startswith(":"):
            current = None
        elif current is not None and stripped:
            current.append(stripped)
        elif not described:
            prose.append(line)
    params = []
    for name, parts in described.items():
        description = parts[0] if parts else ""
        for part in parts[1:]:  # a line break between two Latin words is a space
            gap = " " if description[-1:].isascii() and part[:1].isascii() else ""
            description += gap + part
        found = _EXAMPLE.search(description)
        params.append(
            Param(
                name=name,
                place="query",
                place_label=_PLACES["query"],
                required="必填" in description,
                type=types.get(name, "string"),
                description=description.replace("``", ""),
                example=found.group(1) if found else None,
            )
        )
    title = lines[0].strip() if lines else ""
    return title, "\n".join(prose).strip(), params


def ckan_actions(base: str) -> list[Action]:
    """Every action of the CKAN Action API, in the order they are registered."""
    out = []
    for name, func in ACTIONS.items():
        title, prose, params = parse_doc(func.__doc__ or "")
        path = f"/api/3/action/{name}"
        out.append(
            Action(
                name=name,
                anchor=f"action-{name}",
                title=title,
                doc=prose,
                params=params,
                path=path,
                help_path=f"/api/3/action/help_show?name={name}",
                examples=ex.ckan_examples(base, name, _example_values(params)),
            )
        )
    return out


def _example_values(params: list[Param]) -> dict[str, str]:
    """The values an example passes: the required parameters and the first two with an example
    in their description."""
    values = {p.name: p.example or f"<{p.name}>" for p in params if p.required}
    for p in params:
        if p.example and len(values) < 2 and p.name.isidentifier():
            values.setdefault(p.name, p.example)
    return values


def _param(raw: dict[str, Any]) -> Param:
    schema = raw.get("schema") or {}
    kind = schema.get("type") or ("enum" if "enum" in schema else "string")
    if "enum" in schema:
        kind = " | ".join(str(v) for v in schema["enum"])
    place = str(raw.get("in", "query"))
    return Param(
        name=str(raw.get("name", "")),
        place=place,
        place_label=_PLACES.get(place, place),
        required=bool(raw.get("required")),
        type=str(kind),
        description=str(raw.get("description") or schema.get("description") or ""),
    )


def _key_need(op: dict[str, Any], doc: dict[str, Any]) -> str:
    security = op.get("security", doc.get("security") or [])
    if not security:
        return "none"
    return "optional" if {} in security else "required"


def _endpoint(
    method: str, path: str, op: dict[str, Any], doc: dict[str, Any], base: str
) -> Endpoint:
    params = [_param(p) for p in op.get("parameters", [])]
    key = _key_need(op, doc)
    header = doc["components"]["securitySchemes"]["apiKey"]["name"] if key == "required" else ""
    body = ex.body_example(op.get("requestBody"), doc)
    slug = re.sub(r"[^a-z0-9]+", "-", f"{method} {path}".lower()).strip("-")
    return Endpoint(
        method=method.upper(),
        path=path,
        anchor=f"op-{slug}",
        summary=str(op.get("summary", "")),
        tag=str((op.get("tags") or ["其他"])[0]),
        key=key,
        params=params,
        has_body="requestBody" in op,
        examples=ex.v1_examples(base, method.upper(), path, params, body, header),
        try_it=method == "get",
        path_params=[p.name for p in params if p.place == "path"],
    )


def endpoints(doc: dict[str, Any], base: str) -> list[Endpoint]:
    """Every path and method of the OpenAPI document ``doc``, in its order."""
    return [
        _endpoint(method, path, op, doc, base)
        for path, operations in doc["paths"].items()
        for method, op in operations.items()
    ]


def _phrases(setting: str) -> list[str]:
    try:
        return [phrase(item) for item in parse_many(setting)]
    except ValueError:
        return []


def rate_limits(settings: Settings) -> dict[str, Any]:
    """The API's rate limits as the settings give them, in words."""
    return {
        "enabled": settings.ratelimit_enabled,
        "setting": settings.ratelimit_default,
        "phrases": _phrases(settings.ratelimit_default),
        "search": _phrases(settings.ratelimit_search),
        "exports": _phrases(settings.ratelimit_exports),
    }


def page_model() -> dict[str, Any]:
    """Everything the page shows, as plain data."""
    base = base_url()
    doc = document(base)
    return {
        "base": base,
        "actions": ckan_actions(base),
        "endpoints": endpoints(doc, base),
        "limits": rate_limits(get_runtime().settings),
        "key_headers": [(name, value.format(key="你的API密钥")) for name, value in KEY_HEADERS],
        "key_header": doc["components"]["securitySchemes"]["apiKey"]["name"],
        "openapi_url": url_for("openapi.openapi_json"),
        "json_url": url_for("developers.index_json"),
        "quick_start": ex.quick_start(base),
    }


@bp.route("/api")
def index() -> ResponseReturnValue:
    return render_template("developers.html", **page_model())


@bp.route("/api/index.json")
def index_json() -> ResponseReturnValue:
    """The page's JSON twin."""
    model = page_model()
    return jsonify(
        {
            "base_url": model["base"],
            "openapi": model["base"] + model["openapi_url"],
            "key_headers": [{"name": name, "value": value} for name, value in model["key_headers"]],
            "rate_limits": model["limits"],
            "ckan_actions": [asdict(a) for a in model["actions"]],
            "operations": [asdict(e) for e in model["endpoints"]],
        }
    )
