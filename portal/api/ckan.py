"""CKAN Action API v3 subset at /api/3/action/<name> and /api/action/<name>.

Each action parses its parameters (GET query string or a POST JSON body, as CKAN clients send
them), calls one service and returns CKAN's envelope ``{"help", "success", "result"}``.
Errors go through ``portal.errors`` and keep CKAN's ``{"__type", "message"}`` shape.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from typing import Any

from flask import Blueprint, abort, jsonify, request
from flask.typing import ResponseReturnValue

from datasets.catalog import services as catalog
from datasets.errors import ValidationError
from datasets.search.index import FACET_FIELDS
from portal.app import base_url, get_runtime
from portal.extensions import csrf, limiter

bp = Blueprint("api", __name__)
csrf.exempt(bp)
limiter.limit(lambda: get_runtime().settings.ratelimit_default)(bp)

Params = Mapping[str, Any]
ACTIONS: dict[str, Callable[[Params], Any]] = {}

# CKAN/Solr field names in fq → our facet fields
FQ_FIELDS = {
    "organization": "organization",
    "groups": "topic",
    "topic": "topic",
    "res_format": "formats",
    "tags": "tags",
    "openness": "openness",
    "update_cycle": "update_cycle",
}
_FQ_TERM = re.compile(r'(?:^|\s)\+?([a-z_]+):(?:"([^"]*)"|(\[[^\]]*\])|(\S+))')
_RANGE = re.compile(r"^\[\s*(\S+)\s+TO\s+(\S+)\s*\]$")
_DEFAULT_SORTS = {"score desc, metadata_modified desc": "score desc", "relevance": "score desc"}


def action(func: Callable[[Params], Any]) -> Callable[[Params], Any]:
    ACTIONS[func.__name__] = func
    return func


def _params() -> dict[str, Any]:
    if request.method == "POST":
        raw = request.get_data(cache=True)
        if request.is_json or (raw.strip().startswith(b"{")):
            try:
                body = json.loads(raw or b"{}")
            except (UnicodeDecodeError, json.JSONDecodeError) as exc:
                abort(400, description=f"Bad request - JSON Error: {exc}")
            if not isinstance(body, dict):
                abort(400, description="Bad request - JSON Error: body must be a JSON object")
            return body
        return request.form.to_dict()
    return request.args.to_dict()


def _int(params: Params, name: str, default: int, *, maximum: int | None = None) -> int:
    value = params.get(name, default)
    if value in (None, ""):
        return default
    if isinstance(value, bool):
        raise ValidationError(f"{name} 须为整数", {name: ["Invalid integer"]})
    try:
        number = int(value)
    except (TypeError, ValueError):
        raise ValidationError(f"{name} 须为整数", {name: ["Invalid integer"]}) from None
    if number < 0:
        raise ValidationError(f"{name} 须为非负整数", {name: ["Must be a natural number"]})
    if maximum is not None and number > maximum:
        raise ValidationError(
            f"{name} 不能大于 {maximum}", {name: [f"Must be less than or equal to {maximum}"]}
        )
    return number


def _text(params: Params, name: str, default: str = "") -> str:
    value = params.get(name, default)
    if value is None:
        return default
    if not isinstance(value, str | int | float):
        raise ValidationError(f"{name} 须为字符串", {name: ["Must be a string"]})
    return str(value)


def parse_fq(fq: str) -> tuple[dict[str, list[str]], tuple[datetime | None, datetime | None]]:
    """CKAN filter queries → facet filters and a metadata_modified window.

    Understands ``organization:gaj res_format:"CSV"`` and
    ``metadata_modified:[2026-01-01T00:00:00Z TO *]`` (as CKAN harvesters send it).
    """
    filters: dict[str, list[str]] = {}
    window: tuple[datetime | None, datetime | None] = (None, None)
    rest = fq
    for match in _FQ_TERM.finditer(fq):
        field = match.group(1)
        value = next(g for g in match.group(2, 3, 4) if g is not None)
        rest = rest.replace(match.group(0).strip(), "", 1)
        if field == "metadata_modified":
            window = _parse_range(value)
            continue
        if field not in FQ_FIELDS:
            raise ValidationError(
                f"不支持的筛选字段：{field}",
                {"fq": [f"unknown field {field!r}; use one of {', '.join(FQ_FIELDS)}"]},
            )
        filters.setdefault(FQ_FIELDS[field], []).append(value)
    if re.sub(r"\b(AND)\b", "", rest).strip():
        raise ValidationError("无法解析 fq 参数", {"fq": ["expected field:value pairs"]})
    return filters, window


def _parse_range(value: str) -> tuple[datetime | None, datetime | None]:
    match = _RANGE.match(value)
    if not match:
        raise ValidationError(
            "metadata_modified 须写作 [起 TO 止]", {"fq": ["metadata_modified:[X TO *]"]}
        )
    bounds: list[datetime | None] = []
    for text in match.groups():
        if text == "*":
            bounds.append(None)
            continue
        try:
            moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
        except ValueError:
            raise ValidationError(f"无法识别的时间：{text}", {"fq": [text]}) from None
        bounds.append(moment if moment.tzinfo else moment.replace(tzinfo=UTC))
    return bounds[0], bounds[1]


@action
def package_search(params: Params) -> dict[str, Any]:
    settings = get_runtime().settings
    sort = _text(params, "sort").strip() or None
    if sort:
        sort = _DEFAULT_SORTS.get(sort, sort)
    filters, window = parse_fq(_text(params, "fq"))
    fl = _text(params, "fl").replace(",", " ").split()
    for name in FACET_FIELDS:  # our own plain filters, as the HTML search page uses
        if isinstance(params.get(name), str) and params[name]:
            filters.setdefault(name, []).append(params[name])
    return catalog.package_search(
        get_runtime(),
        q=_text(params, "q"),
        filters=filters,
        sort=sort,
        start=_int(params, "start", 0),
        rows=_int(params, "rows", settings.api_default_rows, maximum=settings.api_max_rows),
        base_url=base_url(),
        modified=window,
        fields=fl or None,
    )


@action
def package_show(params: Params) -> dict[str, Any]:
    return catalog.package_show(
        get_runtime(),
        id_or_name=_text(params, "id") or _text(params, "name"),
        base_url=base_url(),
    )


@action
def package_list(params: Params) -> list[str]:
    names = catalog.dataset_names(get_runtime())
    offset = _int(params, "offset", 0)
    limit = _int(params, "limit", len(names))
    return names[offset : offset + limit]


@action
def organization_list(params: Params) -> list[Any]:
    orgs = catalog.organization_list(get_runtime())
    all_fields = str(params.get("all_fields", "")).lower() in ("true", "1")
    return orgs if all_fields else [o["name"] for o in orgs]


@action
def organization_show(params: Params) -> dict[str, Any]:
    return catalog.organization_show(get_runtime(), id_or_name=_text(params, "id"))


@action
def resource_show(params: Params) -> dict[str, Any]:
    resource_id = _text(params, "id")
    if not resource_id:
        raise ValidationError("缺少参数 id", {"id": ["Missing value"]})
    return catalog.resource_show(get_runtime(), resource_id=resource_id, base_url=base_url())


@action
def status_show(params: Params) -> dict[str, Any]:
    settings = get_runtime().settings
    return {
        "site_title": settings.site_name,
        "site_url": base_url(),
        "ckan_version": "2.10.0",
        "site_description": f"{settings.region_name}公共数据开放平台",
        "locale_default": "zh_Hans_CN",
        "extensions": ["openness", "validation"],
        "api_version": 3,
    }


def _dispatch(name: str) -> ResponseReturnValue:
    func = ACTIONS.get(name)
    if func is None:
        abort(400, description=f"Bad request - Action name not known: {name}")
    result = func(_params())
    help_url = base_url() + f"/api/3/action/help_show?name={name}"
    return jsonify({"help": help_url, "success": True, "result": result})


@bp.route("/api/3/action/<action>", methods=["GET", "POST"])
def action_v3(action: str) -> ResponseReturnValue:
    return _dispatch(action)


@bp.route("/api/action/<action>", methods=["GET", "POST"])
def action_unversioned(action: str) -> ResponseReturnValue:
    return _dispatch(action)


@bp.route("/api/3")
@bp.route("/api/3/")
def api_version() -> ResponseReturnValue:
    return jsonify({"version": 3})
