"""The code examples of the 开发者中心 (``developers.py``): curl, ``ckanapi`` and ``requests``
for every CKAN action and every /api/v1 operation, written from their parameters."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

KEY_PLACEHOLDER = "你的API密钥"


@dataclass(frozen=True)
class Example:
    label: str
    code: str


@dataclass(frozen=True)
class Param:
    """A parameter of a CKAN action or an OpenAPI operation."""

    name: str
    place: str  # query, path, header or body
    place_label: str
    required: bool
    type: str
    description: str
    example: str | None = None


def shell(value: str) -> str:
    """``value`` quoted for a POSIX shell."""
    return "'" + value.replace("'", "'\\''") + "'"


def _py(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False)


def _py_dict(values: dict[str, Any], indent: str) -> str:
    if not values:
        return "{}"
    inner = "".join(f"{indent}    {_py(k)}: {_py(v)},\n" for k, v in values.items())
    return "{\n" + inner + indent + "}"


def ckan_examples(base: str, name: str, values: dict[str, str]) -> list[Example]:
    """curl, ``ckanapi`` and ``requests`` calling the action ``name`` with ``values``."""
    url = f"{base}/api/3/action/{name}"
    if values:
        args = "".join(f" \\\n     --data-urlencode {shell(f'{k}={v}')}" for k, v in values.items())
        curl = f"curl -G {shell(url)}{args}"
    else:
        curl = f"curl {shell(url)}"
    kwargs = ", ".join(f"{k}={_py(v)}" for k, v in values.items())
    ckanapi = (
        "from ckanapi import RemoteCKAN\n\n"
        f"portal = RemoteCKAN({_py(base)})\n"
        f"# 需要表明身份时：RemoteCKAN({_py(base)}, apikey={_py(KEY_PLACEHOLDER)})\n"
        f"result = portal.action.{name}({kwargs})\n"
        "print(result)"
    )
    params = f"    params={_py_dict(values, '    ')},\n" if values else ""
    requests = (
        "import requests\n\n"
        f"answer = requests.get(\n    {_py(url)},\n{params}    timeout=30,\n)\n"
        'print(answer.json()["result"])'
    )
    return [
        Example("curl", curl),
        Example("Python（ckanapi）", ckanapi),
        Example("Python（requests）", requests),
    ]


def _resolve(schema: dict[str, Any], doc: dict[str, Any]) -> dict[str, Any]:
    ref = schema.get("$ref")
    if isinstance(ref, str) and ref.startswith("#/components/schemas/"):
        found = doc["components"]["schemas"].get(ref.rsplit("/", 1)[-1], {})
        return found if isinstance(found, dict) else {}
    return schema


def _value(schema: dict[str, Any]) -> Any:
    if "const" in schema:
        return schema["const"]
    if schema.get("enum"):
        return schema["enum"][0]
    return {"integer": 1, "number": 1, "boolean": True, "array": [], "object": {}}.get(
        str(schema.get("type")), "…"
    )


def body_example(request_body: dict[str, Any] | None, doc: dict[str, Any]) -> dict[str, Any] | None:
    """A JSON body with the required fields of an operation's request body (``None``: no body)."""
    if not request_body:
        return None
    content = request_body.get("content", {}).get("application/json", {})
    schema = _resolve(content.get("schema") or {}, doc)
    properties = schema.get("properties") or {}
    required = [name for name in schema.get("required", []) if name in properties]
    return {name: _value(_resolve(properties[name], doc)) for name in required}


def _url(base: str, path: str, params: list[Param]) -> str:
    for p in params:
        if p.place == "path":
            path = path.replace("{" + p.name + "}", f"<{p.name}>")
    return base + path


def v1_examples(
    base: str,
    method: str,
    path: str,
    params: list[Param],
    body: dict[str, Any] | None,
    key_header: str,
) -> list[Example]:
    """curl and ``requests`` for one operation of the OpenAPI document; ``key_header`` names the
    header of the API key when the operation needs one."""
    url = _url(base, path, params)
    headers = {key_header: KEY_PLACEHOLDER} if key_header else {}
    headers.update({p.name: f"<{p.name}>" for p in params if p.place == "header"})
    curl = ["curl"] + (["-X " + method] if method != "GET" else [])
    curl += [f"-H {shell(f'{k}: {v}')}" for k, v in headers.items()]
    if body is not None:
        curl += ["-H 'Content-Type: application/json'", "-d " + shell(_py(body))]
    lines = [
        f"answer = requests.{method.lower()}(",
        f"    {_py(url)},",
    ]
    if headers:
        lines.append(f"    headers={_py_dict(headers, '    ')},")
    if body is not None:
        lines.append(f"    json={_py_dict(body, '    ')},")
    lines += ["    timeout=30,", ")", "print(answer.status_code, answer.json())"]
    return [
        Example(
            "curl", " \\\n     ".join([*curl, shell(url)]) if curl[1:] else f"curl {shell(url)}"
        ),
        Example("Python（requests）", "import requests\n\n" + "\n".join(lines)),
    ]


def quick_start(base: str) -> str:
    """The API in five lines."""
    action = f"{base}/api/3/action"
    return "\n".join(
        [
            f"curl -G {shell(action + '/package_search')} --data-urlencode 'q=公交' -d rows=5",
            f"curl -G {shell(action + '/package_search')} --data-urlencode "
            "'fq=openness:unconditional'",
            f"curl {shell(action + '/package_list')}",
            f"curl {shell(action + '/package_show?id=<数据集名称>')}",
            f"curl {shell(action + '/help_show?name=package_search')}",
        ]
    )
