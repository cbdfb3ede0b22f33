"""The OpenAPI document: every /api/v1 route of the app is documented, with its methods, and
the document is well formed."""

import re

from portal.api.openapi import document


def _documented(app):
    with app.test_request_context():
        return document("http://localhost")


def test_every_api_v1_route_is_documented(demo_app):
    doc = _documented(demo_app)
    missing = []
    for rule in demo_app.url_map.iter_rules():
        if not rule.rule.startswith("/api/v1/"):
            continue
        path = re.sub(r"<(?:[^:>]+:)?([^>]+)>", r"{\1}", rule.rule)
        for method in rule.methods - {"HEAD", "OPTIONS"}:
            if method.lower() not in doc["paths"].get(path, {}):
                missing.append(f"{method} {path}")
    assert not missing, missing


def test_document_is_openapi_3_1_with_resolvable_references(client):
    response = client.get("/api/v1/openapi.json")
    assert response.status_code == 200
    doc = response.get_json()
    assert doc["openapi"] == "3.1.0"
    assert doc["components"]["securitySchemes"]["apiKey"]["name"] == "Authorization"
    text = response.get_data(as_text=True)
    for name in set(re.findall(r'"#/components/schemas/([A-Za-z]+)"', text)):
        assert name in doc["components"]["schemas"], name
    for path, operations in doc["paths"].items():
        params = set(re.findall(r"{(\w+)}", path))
        for method, op in operations.items():
            assert op["responses"], (method, path)
            declared = {p["name"] for p in op.get("parameters", []) if p["in"] == "path"}
            assert declared == params, (method, path)
    machines = {m["kind"]: m for m in doc["x-state-machines"]}
    assert "decide" in {t["name"] for t in machines["application"]["transitions"]}


def test_the_ckan_path_lists_the_registered_actions_only(demo_app):
    from portal.api.ckan import ACTIONS

    summary = _documented(demo_app)["paths"]["/api/3/action/{action}"]["get"]["summary"]
    listed = set(re.findall(r"[a-z]+_[a-z_]+", summary))
    assert listed == set(ACTIONS)


def test_submissions_answer_201_and_nothing_else_does(demo_app):
    from datasets.workflows.participation import PROCESSES, REQUESTER_STEPS

    doc = _documented(demo_app)
    created = {
        (method, path)
        for path, operations in doc["paths"].items()
        for method, op in operations.items()
        if "201" in op["responses"]
    }
    submitted = {("post", f"/api/v1/{p.plural}") for p in PROCESSES.values() if p.submit}
    # an objection to an answer is filed by a step of the request, and is a new case too
    objections = set()
    for kind, name in REQUESTER_STEPS:
        process = PROCESSES[kind]
        step = process.machine.transition(name).step
        objections.add(("post", f"/api/v1/{process.plural}/{{case_id}}/{step}"))
    # and 应用成果 (portal/api/v1_reuses.py), which are submitted for review too
    reuses = ("post", "/api/v1/reuses")
    # and an application's supporting documents, each a new stored file
    documents = ("post", "/api/v1/applications/{application_id}/attachments")
    applications = ("post", "/api/v1/applications")
    assert created == {applications, documents, reuses, *submitted, *objections}
