"""The edge of the APIs (``portal.api.edge``): every body and parameter is checked against its
endpoint's schema and bounds, after who is asking; what is refused gets a 400 in the one error
shape, never a 500."""

from __future__ import annotations

import time

import pytest

from datasets.workflows.inputs.fields import specs
from datasets.workflows.participation import PROCESSES
from tests.api_world import build_world

ESCALATION_CODES = "coordination、joint_review、government_ruling"


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    built = build_world(tmp_path_factory.mktemp("edge"))
    yield built
    built["rt"].close()


@pytest.fixture
def call(world):
    client = world["app"].test_client(use_cookies=False)

    def call(who, method, url, body=None, *, raw=None, status=None):
        headers = {"Authorization": world["keys"][who]} if who else {}
        if raw is not None:
            headers["Content-Type"] = "application/json"
            answer = client.open(url, method=method, data=raw, headers=headers)
        else:
            answer = client.open(url, method=method, json=body, headers=headers)
        if status is not None:
            assert answer.status_code == status, answer.get_data(as_text=True)
        return answer

    return call


def _error(answer):
    body = answer.get_json()
    assert body["success"] is False, body
    return body["error"]


def test_a_list_where_a_code_is_expected_is_a_400_naming_the_field(call, world):
    url = f"/api/v1/objections/{world['objection']}/escalation"
    error = _error(call("bureau", "POST", url, {"stage": []}, status=400))
    assert error["__type"] == "Validation Error"
    assert error["stage"] == [f"stage须为以下之一：{ESCALATION_CODES}"]
    assert error["message"] == error["stage"][0]
    error = _error(call("bureau", "POST", url, {"stage": {"a": 1}, "note": 5}, status=400))
    assert set(error) == {"__type", "message", "stage", "note"}
    assert error["note"] == ["note须为文本或null"]
    # the same codes, well formed, still work
    taken = call("bureau", "POST", url, {"stage": "coordination"}, status=200).get_json()
    assert [s["stage"] for s in taken["escalations"]] == ["coordination"]


def test_code_fields_of_every_step_refuse_lists_and_objects(call, world):
    application = f"/api/v1/applications/{world['application']}"
    for body, field in (
        ({"decision": ["approve"]}, "decision"),
        ({"decision": "refuse", "rule_code": {"x": 1}}, "rule_code"),
        ({"decision": "partial", "fields": "字段"}, "fields"),
    ):
        error = _error(call("reviewer", "POST", f"{application}/decision", body, status=400))
        assert field in error, error
    objection = f"/api/v1/objections/{world['objection']}/decision"
    error = _error(call("bureau", "POST", objection, {"decision": [], "reason": []}, status=400))
    assert error["decision"] == ["decision须为以下之一：uphold、overturn"]
    assert error["reason"] == ["reason须为文本"]


@pytest.mark.parametrize("kind", [k for k, p in PROCESSES.items() if p.submit])
def test_anonymous_submissions_with_wrong_types_get_400_by_field(call, kind):
    process = PROCESSES[kind]
    declared = specs(process.submit.input)
    body = {name: [] for name in declared}
    error = _error(call(None, "POST", f"/api/v1/{process.plural}", body, status=400))
    assert set(error) - {"__type", "message"} == set(declared), error
    for name, problems in error.items():
        if name not in ("__type", "message"):
            assert problems and problems[0].startswith(f"{name}须为"), (name, problems)


def _operations_with_bodies(call):
    """(method, path template, property names) of every operation whose JSON body names its
    properties, read from the OpenAPI document."""
    document = call(None, "GET", "/api/v1/openapi.json", status=200).get_json()
    schemas = document["components"]["schemas"]
    for path, methods in document["paths"].items():
        for method, operation in methods.items():
            content = operation.get("requestBody", {}).get("content", {})
            schema = content.get("application/json", {}).get("schema")
            if schema and "$ref" in schema:
                schema = schemas[schema["$ref"].rsplit("/", 1)[1]]
            if schema and schema.get("properties"):
                yield method.upper(), path, sorted(schema["properties"])


def test_no_body_of_lists_or_objects_gets_a_500_from_any_endpoint(call, world):
    ids = {"applications": world["application"], "objections": world["objection"]}
    tried = 0
    for method, template, names in _operations_with_bodies(call):
        parts = template.split("/")
        url = "/".join(
            ids.get(parts[i - 1], "0000") if part.startswith("{") else part
            for i, part in enumerate(parts)
        )
        for who in (None, *world["keys"]):
            for wrong in ([], {"a": 1}):
                answer = call(who, method, url, {name: wrong for name in names})
                assert answer.status_code < 500, (method, url, who, answer.get_data(as_text=True))
                if answer.status_code == 400:
                    assert set(_error(answer)) & {*names, "body"}, (method, url, who)
                tried += 1
    assert tried > 100  # every operation with a body, for every caller


def test_a_code_request_with_a_list_or_object_is_a_400_naming_the_field(call):
    for wrong in ([], {"a": 1}):
        body = {"channel": wrong, "address": "z@example.com"}
        error = _error(call(None, "POST", "/api/v1/contact-verifications", body, status=400))
        assert error["channel"] == ["channel须为以下之一：email、phone"], error


def test_over_long_text_is_refused_before_anything_is_stored(call, world):
    process = next(p for p in PROCESSES.values() if p.submit)
    declared = specs(process.submit.input)
    name, spec = next((n, s) for n, s in declared.items() if s.kind == "text")
    body = {name: "长" * (spec.limit + 1)}
    error = _error(call(None, "POST", f"/api/v1/{process.plural}", body, status=400))
    assert error[name] == [f"{name}不超过 {spec.limit} 个字符"]


@pytest.mark.parametrize(
    ("raw", "field", "words"),
    [
        (b'{"description": "a\\u0000b"}', "description", "空字符"),
        (b'{"description": "\\ud800"}', "description", "代理码点"),
        (b'{"contact": {"name": "\\udfff"}}', "contact.name", "代理码点"),
        (b'{"\\ud800": 1}', "body", "代理码点"),
        (b"[" * 50_000 + b"]" * 50_000, "body", "嵌套"),
        (b'{"a": ' * 40 + b"1" + b"}" * 40, "body", "嵌套"),
        (b'{"days": 1e309}', "body", "有限值"),
        (b'{"days": NaN}', "body", "有限值"),
        (b'{"days": ' + b"9" * 5000 + b"}", "body", "不超过 30 位"),
        (b'{"description": "\xff\xfe"}', "body", "UTF-8"),
        (b'{"description": ', "body", "不是有效的 JSON（第 1 行"),
    ],
)
def test_bodies_no_endpoint_takes_are_a_400(call, raw, field, words):
    for url in ("/api/v1/error-reports", "/api/v1/suggestions"):
        error = _error(call(None, "POST", url, raw=raw, status=400))
        assert error["__type"] == "Validation Error"
        assert field in error and words in error[field][0], error


def test_ckan_bodies_with_infinite_or_deep_json_are_a_400(call):
    for raw in (b'{"rows": 1e309}', b'{"rows": Infinity}', b'{"q": ' + b"[" * 50_000):
        answer = call(None, "POST", "/api/3/action/package_search", raw=raw, status=400)
        body = answer.get_json()
        assert body["success"] is False and "help" in body
        assert body["error"]["__type"] == "Bad Request", body
        assert body["error"]["message"].startswith("请求内容"), body


def test_anonymous_callers_get_401_before_any_field_error(call, world):
    for url in (
        f"/api/v1/objections/{world['objection']}/decision",
        "/api/v1/objections/00000000-0000-0000-0000-000000000000/decision",
        f"/api/v1/applications/{world['application']}/decision",
        "/api/v1/grants/SQ-nothing/report",
        "/api/v1/applications",
    ):
        for raw in (b"{}", b'{"decision": []}', b"not json"):
            error = _error(call(None, "POST", url, raw=raw, status=401))
            assert set(error) == {"__type", "message"}, (url, error)


def test_a_step_tells_nobody_whether_a_case_exists(call, world):
    """A caller who may not see a case gets the answer an unknown one gets, whatever the body."""
    for raw in (b"{}", b'{"decision": {"x": []}}', b"[["):
        seen = []
        for key in (world["objection"], "00000000-0000-0000-0000-000000000000"):
            url = f"/api/v1/objections/{key}/decision"
            answer = call("citizen", "POST", url, raw=raw)
            seen.append((answer.status_code, _error(answer)["__type"]))
        assert seen[0] == seen[1] == (404, "Not Found Error"), seen


def test_405_names_the_methods_the_address_takes(call):
    answer = call(None, "DELETE", "/api/v1/applications", status=405)
    assert set(answer.headers["Allow"].replace(" ", "").split(",")) >= {"GET", "POST"}
    assert _error(answer) == {"__type": "Method Not Allowed", "message": "该地址不支持此请求方法"}
    answer = call(None, "PUT", "/api/3/action/package_search", status=405)
    assert "POST" in answer.headers["Allow"]


def test_search_text_is_bounded_and_refused_at_once(call):
    started = time.monotonic()
    for method, long_q in (("GET", "公" * 501), ("POST", "x" * 129_000)):
        if method == "GET":
            answer = call(None, "GET", f"/api/3/action/package_search?q={long_q}", status=400)
        else:
            answer = call(None, "POST", "/api/3/action/package_search", {"q": long_q}, status=400)
        error = answer.get_json()["error"]
        assert error["q"] == ["参数 q 过长（最多 500 个字符）"], error
    assert time.monotonic() - started < 3
    ok = call(None, "GET", "/api/3/action/package_search?q=" + "公交" * 250, status=200)
    assert ok.get_json()["success"] is True


def test_every_text_parameter_is_bounded(call, world):
    for url in (
        "/api/3/action/package_show?id=" + "a" * 2001,
        "/api/v1/transparency/decisions?department=" + "部" * 2001,
        "/api/3/action/package_search?fq=%00",
        "/api/v1/transparency/decisions?" + "&".join(f"k{i}=1" for i in range(101)),
    ):
        error = call(None, "GET", url, status=400).get_json()["error"]
        assert error["__type"] == "Validation Error" and len(error) == 3, error
        assert "参数" in error["message"]
    form = {"id": "a" * 2001}
    client = world["app"].test_client()
    answer = client.post("/api/3/action/package_show", data=form)
    assert answer.status_code == 400 and answer.get_json()["error"]["id"]


@pytest.mark.parametrize(
    "url",
    [
        "/api/v1/transparency/decisions?page=99999999999999999999",
        "/api/v1/transparency/decisions?per_page=²",
        "/api/v1/audit?page=1000001",
        "/api/v1/notifications?page=99999999999999999999",
    ],
)
def test_page_numbers_out_of_range_are_a_400(call, url):
    error = _error(call("operator", "GET", url, status=400))
    assert "须为" in error["message"]


def test_huge_or_impossible_ids_are_not_found(call, world):
    assert call("citizen", "GET", "/notifications/99999999999999999999").status_code == 404
    for url in ("/api/v1/grants/%00/report", "/api/v1/applications/" + "9" * 300):
        method = "POST" if url.endswith("report") else "GET"
        assert _error(call("operator", method, url, {}, status=404))["__type"] == "Not Found Error"


def _unbounded(schema, doc, where):
    """Where ``schema`` takes text without a length, a number without a maximum or a list
    without a length."""
    if "$ref" in schema:
        return _unbounded(doc["components"]["schemas"][schema["$ref"].split("/")[-1]], doc, where)
    found = [
        w
        for key in ("oneOf", "anyOf", "allOf")
        for s in schema.get(key, [])
        for w in _unbounded(s, doc, where)
    ]
    if "enum" in schema or "const" in schema:
        return found
    kinds = schema.get("type")
    kinds = kinds if isinstance(kinds, list) else [kinds]
    if "string" in kinds and "maxLength" not in schema and schema.get("format") != "binary":
        found.append(f"{where}: text")
    if {"integer", "number"} & set(kinds) and "maximum" not in schema:
        found.append(f"{where}: number")
    if "array" in kinds:
        if "maxItems" not in schema:
            found.append(f"{where}: list")
        found += _unbounded(schema.get("items", {}), doc, f"{where}[]")
    for name, inner in schema.get("properties", {}).items():
        found += _unbounded(inner, doc, f"{where}.{name}")
    if isinstance(schema.get("additionalProperties"), dict):
        found += _unbounded(schema["additionalProperties"], doc, f"{where}.*")
    return found


def test_the_document_gives_every_answer_a_schema_and_every_input_a_bound(world):
    from portal.api.openapi import document

    with world["app"].test_request_context():
        doc = document("http://localhost")
    missing, unbounded = [], []
    for path, operations in doc["paths"].items():
        for method, op in operations.items():
            for code, answer in op["responses"].items():
                content = answer.get("content") or {}
                if not content or not all("schema" in c for c in content.values()):
                    missing.append(f"{method} {path} {code}")
            assert {"400", "429"} <= set(op["responses"]), (method, path)
            inputs = [(p["name"], p["schema"]) for p in op.get("parameters", [])]
            body = op.get("requestBody", {}).get("content", {}).get("application/json")
            if body:
                inputs.append(("body", body["schema"]))
            for name, schema in inputs:
                unbounded += _unbounded(schema, doc, f"{method} {path} {name}")
    assert not missing, missing
    assert not unbounded, unbounded
