"""The pages offer exactly the steps the machine's table allows their viewer, each form posting
to the table's URL step; the JSON API takes the same step names, and nothing else."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from datasets.accounts.keys import create_api_key
from datasets.accounts.permissions import Actor
from datasets.accounts.users import create_user
from datasets.models import User
from datasets.workflows import (
    application_decisions,
    applications,
    cases,
    grant_steps,
    objections,
    steps,
)
from datasets.workflows import step_requests as req
from datasets.workflows.machine import ALL_MACHINES, APPLICATION, GRANT, OBJECTION, Machine
from portal.api.openapi import document
from portal.app import create_app
from tests.factories import credit_code, make_runtime, services_catalog, sign_in

PASSWORD = "correct horse battery"
BODY = {
    "purpose": "科研",
    "scope": "内部",
    "scenario": "分析",
    "security_measures": "等保二级",
    "period_months": 6,
    "fields": "all",
    "access_mode": "download",
}
PLURAL = {APPLICATION.kind: "applications", OBJECTION.kind: "objections", GRANT.kind: "grants"}
PAGE = {APPLICATION.kind: "application", OBJECTION.kind: "objection", GRANT.kind: "grants"}


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    folder = tmp_path_factory.mktemp("steps")
    rt = make_runtime(folder / "instance")
    names = services_catalog(rt, folder)
    create_user(
        rt,
        name="acme",
        role="company",
        password=PASSWORD,
        company_name="江州智医科技有限公司",
        credit_code=credit_code(7),
        legal_representative="王五",
        phone="13800138000",
    )
    create_user(rt, name="reviewer", role="reviewer", password=PASSWORD, department=names["health"])
    create_user(rt, name="bureau", role="bureau", password=PASSWORD)
    with rt.reader() as session:
        actors = {
            u.name: Actor(u.name, u.id, frozenset({u.role}), u.organization_id)
            for u in session.scalars(select(User))
        }
    app = create_app({"instance": str(rt.paths.root), "ratelimit_enabled": False})
    app.config.update(TESTING=True)
    clients = {name: sign_in(app, name, PASSWORD) for name in ("acme", "reviewer", "bureau")}
    yield {"rt": rt, "app": app, "names": names, "actors": actors, "clients": clients}
    rt.close()


def offered(html: str, kind: str, key: str) -> set[str]:
    """The URL steps the forms of a page post to (the grant's status form: its buttons)."""
    found = set(re.findall(rf'action="/services/{PAGE[kind]}/{key}/([\w-]+)"', html))
    found.discard("attachments")  # adding a supporting document is no step of the machine
    if "status" in found:
        found.discard("status")
        found |= set(re.findall(r'name="action" value="([\w-]+)"', html))
    return found


def allowed(world, machine: Machine, actor: str, key: str) -> set[str]:
    """The URL steps the table allows ``actor`` on ``key`` now."""
    rt, who = world["rt"], world["actors"][actor]
    with rt.reader() as session:
        if machine is GRANT:
            grant = grant_steps.load_grant(session, key)
            ctx = grant_steps.context(rt, session, who, grant, scope_confirmed=True)
        else:
            case = cases.load_case(session, key, machine.kind)
            filed = objections.filed_objection(session, case)
            ctx = cases.context(rt, who, case, objection=filed)
        return {t.step for t in machine.allowed(ctx) if t.step}


def check_page(world, machine: Machine, key: str, expected: dict[str, set[str]]) -> None:
    for actor, steps_now in expected.items():
        html = world["clients"][actor].get(f"/services/{PAGE[machine.kind]}/{key}")
        assert html.status_code == 200
        shown = offered(html.get_data(as_text=True), machine.kind, key)
        assert shown == allowed(world, machine, actor, key) == steps_now, actor


def test_each_page_offers_exactly_the_allowed_steps_at_the_tables_urls(world):
    rt, a = world["rt"], world["actors"]
    body = req.Application.parse({**BODY, "dataset": world["names"]["conditional"]}, rt.settings)
    key = applications.submit(rt, a["acme"], body)["id"]
    check_page(
        world,
        APPLICATION,
        key,
        {
            "acme": {"withdraw"},
            "reviewer": {"correction", "extension", "decision"},
            "bureau": set(),
        },
    )
    applications.request_correction(rt, a["reviewer"], key, req.Correction.parse({"items": "补"}))
    check_page(world, APPLICATION, key, {"acme": {"supplement", "withdraw"}, "reviewer": set()})
    applications.supplement(rt, a["acme"], key, req.Supplement.parse({"note": "已补"}))
    # 补正 was used: only the extension and the decision are left to the department
    check_page(world, APPLICATION, key, {"reviewer": {"extension", "decision"}})
    refusal = {"decision": "refuse", "reason": "不符合", "rule_code": "unmet-condition"}
    application_decisions.decide(rt, a["reviewer"], key, req.Decision.parse(refusal))
    check_page(world, APPLICATION, key, {"acme": {"objection"}, "reviewer": set()})
    objection = objections.file_objection(
        rt, a["acme"], key, req.Objection.parse({"reason": "不服"})
    )
    check_page(world, APPLICATION, key, {"acme": set()})  # one objection only
    check_page(
        world, OBJECTION, objection["id"], {"bureau": {"decision", "escalation"}, "acme": set()}
    )
    ruling = req.Ruling.parse({"decision": "overturn", "reason": "符合"})
    objections.decide_objection(rt, a["bureau"], objection["id"], ruling)
    check_page(world, OBJECTION, objection["id"], {"bureau": set()})
    check_page(world, APPLICATION, key, {"reviewer": {"decision"}})
    html = world["clients"]["reviewer"].get(f"/services/application/{key}").get_data(as_text=True)
    assert 'value="refuse"' not in html  # after the ruling the department may not refuse
    approval = req.Decision.parse({"decision": "approve", "reason": "同意"})
    application_decisions.decide(rt, a["reviewer"], key, approval)
    check_page(world, APPLICATION, key, {"acme": {"sign", "withdraw"}, "reviewer": set()})
    version = applications.current_agreement().version
    signed = applications.sign(
        rt, a["acme"], key, req.Signature.parse({"accept": True, "agreement_version": version})
    )
    grant = signed["grant"]["id"]
    check_page(
        world,
        GRANT,
        grant,
        {"acme": {"report"}, "reviewer": {"suspend", "revoke"}, "bureau": {"suspend", "revoke"}},
    )
    change = req.StatusChange.parse({"action": "suspend", "reason": "transfer"})
    grant_steps.change_status(rt, a["bureau"], grant, change)
    # the holder may now seek 复核 of the suspension
    check_page(
        world, GRANT, grant, {"reviewer": {"restore", "revoke"}, "acme": {"report", "objection"}}
    )


def test_the_api_takes_the_tables_step_names_and_no_other(world):
    client = world["app"].test_client(use_cookies=False)
    key = {"Authorization": create_api_key(world["rt"], user_name="reviewer")["key"]}

    def post(url: str) -> tuple[int, str]:
        response = client.post(url, json={}, headers=key)
        return response.status_code, response.get_json()["error"]["message"]

    for kind, taken in steps.SERVICES.items():
        machine = ALL_MACHINES[kind]
        for name in taken:
            step = machine.transition(name).step
            status, message = post(f"/api/v1/{PLURAL[kind]}/no-such-id/{step}")
            # the step is known: refused for its input (400) or because there is no such case
            assert status in (400, 404) and "未知的操作" not in message, (kind, step, message)
        assert post(f"/api/v1/{PLURAL[kind]}/x/approve") == (404, "未知的操作 approve")
    # the grant page's status form is a form, not a step
    assert post("/api/v1/grants/x/status") == (404, "未知的操作 status")


def test_the_openapi_document_lists_the_tables_steps(world):
    with world["app"].test_request_context():
        doc = document("http://localhost")
    for kind, plural in PLURAL.items():
        key = {"applications": "application_id", "objections": "objection_id"}.get(
            plural, "grant_id"
        )
        op = doc["paths"][f"/api/v1/{plural}/{{{key}}}/{{step}}"]["post"]
        (step,) = [p for p in op["parameters"] if p["name"] == "step"]
        table = {t.step for t in ALL_MACHINES[kind].transitions if t.step}
        assert set(step["schema"]["enum"]) == table
        bodies = op["requestBody"]["content"]["application/json"]["schema"]["oneOf"]
        for ref in bodies:
            assert ref["$ref"].rsplit("/", 1)[1] in doc["components"]["schemas"]


@pytest.mark.parametrize(
    "url",
    [
        "/api/v1/applications",
        "/api/v1/applications/SQ-20260101-0001/decision",
        "/api/v1/applications/SQ-20260101-0001/correction",
        "/api/v1/objections/FH-20260101-0001/decision",
        "/api/v1/grants/no-such-grant/suspend",
    ],
)
def test_who_is_asking_is_checked_before_what_is_asked(world, url):
    """An anonymous caller with a malformed body learns only that it must sign in: no field
    errors, no hint whether the case exists."""
    client = world["app"].test_client(use_cookies=False)
    response = client.post(url, json={"decision": [], "reason": {"x": 1}})
    assert response.status_code == 401
    error = response.get_json()["error"]
    assert "登录" in error["message"]
    assert set(error) <= {"__type", "message"}
