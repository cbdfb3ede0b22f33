"""The edge of the APIs: what every request body and parameter must be before any service sees
it, and the schema check of a body against the schema its endpoint documents.

- A JSON body is read by :func:`read_json`: at most ``MAX_DEPTH`` levels deep, numbers finite
  and of at most ``MAX_DIGITS`` digits (no ``NaN``, ``Infinity``, ``1e309``).
- Every text in a body, its keys included, and every query and path parameter holds no NUL
  character and no lone surrogate (PostgreSQL stores neither).
- Every query parameter (and each top-level value of a CKAN action's body) is at most
  ``MAX_PARAM`` characters (``q``: ``MAX_Q``), at most ``MAX_PARAMS`` of them; a path
  parameter at most ``MAX_PATH_PARAM`` characters, else the object is not found.
- :func:`check` validates a body against its endpoint's schema, the one the OpenAPI document
  shows (``portal.api.openapi``): wrong types, unknown codes, over-long text and numbers out of
  range get a 400 with the problems by field. A missing field is left to the typed request's
  parse, which names it in the form's words.

All of these are :class:`~datasets.errors.MalformedInput`: 400 in the one error shape, never a
500. The size and text bounds are checked before the caller is known (as a body's size is); the
schema of a body only once the endpoint has checked who is asking.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from typing import Any

from flask import Flask, abort, request
from jsonschema import Draft202012Validator
from jsonschema.exceptions import ValidationError as SchemaProblem

from datasets.errors import MalformedInput
from datasets.rows.sql import MAX_SQL
from datasets.search.query import MAX_Q

MAX_DEPTH = 16  # levels of arrays and objects in a JSON body
MAX_DIGITS = 30  # digits of a number in a JSON body
MAX_PARAM = 2_000  # characters of one query parameter
MAX_PARAMS = 100  # query parameters of one request
MAX_PATH_PARAM = 200  # characters of an id or name in a path
# parameters bounded otherwise: the search text, JSON lists of filters or of fields
LIMITS = {"q": MAX_Q, "fq_list": 10_000, "facet.field": 2_000, "sql": MAX_SQL, "filters": 10_000}
API_PREFIXES = ("/api/v1/", "/api/3/action/", "/api/action/")

TYPE_NAMES = {
    "string": "文本",
    "integer": "整数",
    "number": "数字",
    "boolean": "true 或 false",
    "object": "JSON 对象",
    "array": "列表",
    "null": "null",
}


def text_problem(value: str) -> str | None:
    """Why ``value`` cannot be stored as text (a NUL, a lone surrogate), or None."""
    if "\x00" in value:
        return "不能含有空字符（U+0000）"
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return "含有无效的 Unicode 字符（单独的代理码点）"
    return None


def reject(field: str, message: str) -> MalformedInput:
    return MalformedInput(message, {field: [message]})


def _label(field: str) -> str:
    return "请求内容" if field == "body" else field


def _number(text: str) -> float:
    if len(text) > MAX_DIGITS + 10:
        raise ValueError(text[:20])
    value = float(text)
    if not math.isfinite(value):
        raise ValueError(text)
    return value


def _integer(text: str) -> int:
    if len(text.lstrip("-")) > MAX_DIGITS:
        raise ValueError(text[:20])
    return int(text)


def _constant(name: str) -> Any:
    raise ValueError(name)


def read_json(raw: bytes) -> Any:
    """The JSON value of a body, within the bounds above (``MalformedInput`` otherwise)."""
    try:
        value = json.loads(raw, parse_float=_number, parse_int=_integer, parse_constant=_constant)
    except RecursionError:
        raise reject("body", f"请求内容嵌套不能超过 {MAX_DEPTH} 层") from None
    except json.JSONDecodeError as exc:
        where = f"（第 {exc.lineno} 行第 {exc.colno} 列）"
        raise reject("body", f"请求内容不是有效的 JSON{where}") from None
    except ValueError:  # not UTF-8, or a number out of bounds
        message = f"请求内容须为 UTF-8 编码的 JSON，数字须为有限值且不超过 {MAX_DIGITS} 位"
        raise reject("body", message) from None
    _walk(value, "body", 0)
    return value


def _walk(value: Any, field: str, depth: int) -> None:
    """Every text in ``value`` storable, ``value`` at most ``MAX_DEPTH`` levels deep."""
    if depth > MAX_DEPTH:
        raise reject("body", f"请求内容嵌套不能超过 {MAX_DEPTH} 层")
    if isinstance(value, str):
        if message := text_problem(value):
            raise reject(field, f"{_label(field)}{message}")
    elif isinstance(value, list):
        for item in value:
            _walk(item, field, depth + 1)
    elif isinstance(value, dict):
        for key, item in value.items():
            _walk(key, field, depth + 1)
            _walk(item, key if field == "body" else f"{field}.{key}", depth + 1)


# -- the schema of a body ----------------------------------------------------------------------

_VALIDATORS: dict[str, Draft202012Validator] = {}


def _validator(schema: Mapping[str, Any]) -> Draft202012Validator:
    """The validator of ``schema``, its ``$ref`` resolved in the document's components."""
    from portal.api.openapi import SCHEMAS

    key = json.dumps(schema, sort_keys=True, ensure_ascii=False)
    found = _VALIDATORS.get(key)
    if found is None:
        root = {**schema, "components": {"schemas": SCHEMAS}}
        found = _VALIDATORS[key] = Draft202012Validator(root)
    return found


def _field(error: SchemaProblem) -> str:
    names = [str(p) for p in error.absolute_path if isinstance(p, str)]
    return ".".join(names) or "body"


def _message(error: SchemaProblem, label: str) -> str:
    rule, bound = error.validator, error.validator_value
    if rule == "type":
        kinds = bound if isinstance(bound, list) else [bound]
        return f"{label}须为" + "或".join(TYPE_NAMES.get(str(k), str(k)) for k in kinds)
    if rule == "enum":
        listed = "、".join("null" if v is None else str(v) for v in bound[:30])
        return f"{label}须为以下之一：{listed}"
    if rule == "const":
        return f"{label}须为 {json.dumps(bound, ensure_ascii=False)}"
    texts = {
        "maxLength": f"{label}不超过 {bound} 个字符",
        "minLength": f"{label}至少 {bound} 个字符",
        "maximum": f"{label}不能大于 {bound}",
        "minimum": f"{label}不能小于 {bound}",
        "maxItems": f"{label}最多 {bound} 项",
        "maxProperties": f"{label}最多 {bound} 项",
        "pattern": f"{label}的格式不对",
    }
    return texts.get(str(rule), f"{label}的值不符合要求")


def _required(schema: Mapping[str, Any]) -> list[str]:
    """The fields ``schema`` (or the schema it refers to) requires."""
    from portal.api.openapi import SCHEMAS

    if "$ref" in schema:
        schema = SCHEMAS.get(str(schema["$ref"]).rsplit("/", 1)[-1], {})
    return [str(name) for name in schema.get("required", [])]


def check(value: Any, schema: Mapping[str, Any]) -> None:
    """``value`` against ``schema``: every problem but a missing field, by field, at once."""
    problems: dict[str, list[str]] = {}
    for error in _validator(schema).iter_errors(value):
        if error.validator == "required":  # named with the other problems, if there are any
            continue
        field = _field(error)
        message = _message(error, _label(field))
        if message not in problems.setdefault(field, []):
            problems[field].append(message)
    if problems:  # else the typed request names what is missing, in the form's words
        for name in _required(schema):
            if not isinstance(value, dict) or value.get(name) in (None, ""):
                problems.setdefault(name, [f"请填写 {name}"])
        raise MalformedInput(next(iter(problems.values()))[0], problems)


# -- parameters --------------------------------------------------------------------------------


def bound_params(params: Mapping[str, Any]) -> None:
    """The size and text bounds of a request's parameters (a query string's, or the top-level
    values of a CKAN action's body)."""
    if len(params) > MAX_PARAMS:
        raise reject("params", f"参数不能多于 {MAX_PARAMS} 个")
    for name, value in params.items():
        values = value if isinstance(value, list) else [value]
        for item in values:
            if not isinstance(item, str):
                continue
            limit = LIMITS.get(name, MAX_PARAM)
            if len(item) > limit:
                raise reject(name[:100], f"参数 {name[:100]} 过长（最多 {limit} 个字符）")
            if message := text_problem(item) or text_problem(name):
                raise reject(name[:100], f"参数 {name[:100]} {message}")


def _bound_request() -> None:
    """The bounds of every API request's query and path parameters: a path parameter that
    cannot name anything is not found (404), a bad query parameter a 400."""
    if not request.path.startswith(API_PREFIXES):
        return
    for value in (request.view_args or {}).values():
        if isinstance(value, str) and (len(value) > MAX_PATH_PARAM or text_problem(value)):
            abort(404)
    args = dict(request.args.lists())
    if sum(len(values) for values in args.values()) > MAX_PARAMS:
        raise reject("params", f"参数不能多于 {MAX_PARAMS} 个")
    bound_params(args)


def register(app: Flask) -> None:
    app.before_request(_bound_request)
