"""复核 of a department's answer to a request to open data (岳阳 第二十八条第二款), through the JSON
API and the pages: filed by the requester — signed in, or holding the request's access code —
within the window the answer opened, decided by the bureau, shown on the request's page and,
without personal values, on /transparency."""

from __future__ import annotations

import re
from typing import Any

import pytest
from sqlalchemy import select

from datasets.accounts.keys import create_api_key
from datasets.accounts.permissions import Actor
from datasets.accounts.users import create_user
from datasets.models import Case, Notification, User
from datasets.workdays import calendar_for
from datasets.workflows.cases import now_utc
from portal.app import create_app
from tests.factories import credit_code, make_runtime, services_catalog, sign_in

PASSWORD = "correct horse battery"
PHONE = "13912345678"
REASON = "该数据不涉及商业秘密，已有同类城市公开"


def build_world(folder: Any) -> dict[str, Any]:
    """The services catalog (conditional, closed and open datasets of two departments), a
    reviewer of each department, a bureau officer, two companies and a citizen with API keys."""
    rt = make_runtime(folder / "instance")
    names = services_catalog(rt, folder)
    users = {
        "acme": dict(role="company", company_name="江州智医科技有限公司"),
        "beta": dict(role="company", company_name="江州贝塔数据有限公司"),
        "health": dict(role="reviewer", department=names["health"]),
        "transport": dict(role="reviewer", department=names["transport"]),
        "bureau": dict(role="bureau"),
        "citizen": dict(role="citizen", email="citizen@example.com"),
    }
    keys = {}
    for seed, (name, extra) in enumerate(users.items(), start=1):
        if extra["role"] == "company":
            extra |= dict(
                credit_code=credit_code(seed), legal_representative="王五", phone="13800138000"
            )
        create_user(rt, name=name, password=PASSWORD, **extra)
        keys[name] = create_api_key(rt, user_name=name)["key"]
    with rt.reader() as session:
        actors = {
            u.name: Actor(u.name, u.id, frozenset({u.role}), u.organization_id)
            for u in session.scalars(select(User))
        }
    app = create_app({"instance": str(rt.paths.root), "ratelimit_enabled": False})
    app.config.update(TESTING=True)
    return {"rt": rt, "app": app, "keys": keys, "actors": actors, **names}


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    built = build_world(tmp_path_factory.mktemp("answer-objections"))
    yield built
    built["rt"].close()


def call(world, who, method, url, body=None, status=200, code=None):  # type: ignore[no-untyped-def]
    """One API call with ``who``'s key (None: no credentials) and an optional access code."""
    headers = {"Authorization": world["keys"][who]} if who else {}
    if code:
        headers["X-Access-Code"] = code
    client = world["app"].test_client(use_cookies=False)
    response = client.open(url, method=method, json=body, headers=headers)
    assert response.status_code == status, response.get_data(as_text=True)[:1000]
    return response.get_json()


def token(html: str) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)


def answered_request(world, who=None, dataset="tax"):  # type: ignore[no-untyped-def]
    """A request for the closed dataset, refused by its department; (request id, code)."""
    body = {"dataset": dataset, "description": "用于企业信用研究", "reason": "社会需求大"}
    if who is None:
        body["contact"] = {"name": "张伟", "phone": PHONE}
    made = call(world, who, "POST", "/api/v1/opening-requests", body, status=201)
    reply = {"category": "refused", "reply": "涉及商业秘密", "rule_code": "privacy-trade-secret"}
    answered = call(
        world, "transport", "POST", f"/api/v1/opening-requests/{made['id']}/reply", reply
    )
    assert answered["status"] == "answered" and answered["objection_deadline"]
    return made["id"], made["access_code"]


def test_the_holder_of_the_code_seeks_review_and_the_bureau_overturns(world):
    rt = world["rt"]
    made = call(
        world,
        None,
        "POST",
        "/api/v1/opening-requests",
        {"dataset": "tax", "description": "研究", "contact": {"name": "张伟", "phone": PHONE}},
        status=201,
    )
    url = f"/api/v1/opening-requests/{made['id']}/objection"
    # not yet answered: nothing to object to
    early = call(world, None, "POST", url, {"reason": REASON}, 409, code=made["access_code"])
    assert "只有已答复的开放需求可以申请复核" in early["error"]["message"]
    request_id, code = answered_request(world)
    url = f"/api/v1/opening-requests/{request_id}/objection"
    # who may not: no code, a wrong code, a stranger's key (404 as for no such request), the
    # department (403); then bad input (400), checked only after who is asking
    call(world, None, "POST", url, {"reason": REASON}, 404)
    call(world, None, "POST", url, {"reason": REASON}, 404, code="0000-0000-0000-0000-0000")
    call(world, "citizen", "POST", url, {"reason": REASON}, 404)
    refused = call(world, "transport", "POST", url, {"reason": REASON}, 403)
    assert "只有申请人本人" in refused["error"]["message"]
    assert "reason" in call(world, None, "POST", url, {}, 400, code=code)["error"]
    objection = call(world, None, "POST", url, {"reason": REASON}, 201, code=code)
    assert objection["kind"] == "objection" and objection["handler"] == "bureau"
    assert objection["subject"] == "opening_request" and objection["request_id"] == request_id
    cal = calendar_for(rt)
    assert objection["due_on"] == str(cal.add(cal.received_on(now_utc()).on, 10).on)
    again = call(world, None, "POST", url, {"reason": "再提一次"}, 409, code=code)
    assert objection["reference"] in again["error"]["message"]
    # the requester follows it on the request (the code opens nothing else)
    shown = call(world, None, "GET", f"/api/v1/opening-requests/{request_id}", code=code)
    assert [o["reference"] for o in shown["objections"]] == [objection["reference"]]
    assert shown["objections"][0]["status"] == "submitted" and shown["steps"] == []
    # the bureau sees it in its queue, with a notice
    board = sign_in(world["app"], "bureau", PASSWORD).get("/bureau").get_data(as_text=True)
    assert objection["reference"] in board
    with rt.reader() as session:
        bureau_id = world["actors"]["bureau"].user_id
        subjects = session.scalars(
            select(Notification.subject).where(Notification.user_id == bureau_id)
        )
        assert any(objection["reference"] in s for s in subjects)
    ruling = {"decision": "overturn", "reason": "所依据的情形不成立，应重新答复"}
    decided = call(
        world, "bureau", "POST", f"/api/v1/objections/{objection['id']}/decision", ruling
    )
    assert decided["status"] == "overturned" and decided["decision"] == "overturn"
    again = call(world, "transport", "GET", f"/api/v1/opening-requests/{request_id}")
    assert again["status"] == "ruling" and again["status_label"] == "复核撤销原答复，待部门重新答复"
    assert again["due_on"] == str(cal.add(cal.received_on(now_utc()).on, 10).on)
    assert [s["name"] for s in again["steps"]] == ["answer"]
    # the department answers again
    reply = {"category": "will_open", "reply": "将于年底前开放", "open_by": "2099-12-31"}
    final = call(world, "transport", "POST", f"/api/v1/opening-requests/{request_id}/reply", reply)
    assert final["status"] == "answered" and final["category"] == "will_open"
    shown = call(world, None, "GET", f"/api/v1/opening-requests/{request_id}", code=code)
    assert shown["objections"][0]["decision_reason"] == ruling["reason"]
    # public: the outcome and what it was against, never the requester's details or reason
    log = world["app"].test_client().get("/transparency?kind=objection").get_data(as_text=True)
    assert objection["reference"] in log and "撤销原决定" in log
    assert f"针对 {shown['reference']}" in log
    assert PHONE not in log and "张伟" not in log and REASON not in log


def test_a_signed_in_requester_seeks_review_on_the_request_page(world):
    request_id, _ = answered_request(world, who="citizen")
    citizen = sign_in(world["app"], "citizen", PASSWORD)
    page = citizen.get(f"/services/opening-request/{request_id}").get_data(as_text=True)
    assert "对答复申请复核" in page and "申请复核期限" in page
    step = f"/services/opening-request/{request_id}/objection"
    assert citizen.post(step, data={"reason": REASON}).status_code == 400  # no CSRF token
    empty = citizen.post(step, data={"reason": "", "csrf_token": token(page)})
    assert empty.status_code == 400 and "异议理由" in empty.get_data(as_text=True)
    done = citizen.post(step, data={"reason": REASON, "csrf_token": token(page)})
    assert done.status_code == 303 and done.location.endswith(request_id)
    page = citizen.get(done.location).get_data(as_text=True)
    with world["rt"].reader() as session:
        objection = session.scalar(select(Case).where(Case.parent_id == request_id))
        assert objection.requester_id == world["actors"]["citizen"].user_id
    assert "复核申请已提交" in page and objection.reference in page and "已受理，复核中" in page
    assert "对答复申请复核" not in page  # one objection per request
    # the department's reviewer is not offered the form, and may not file one
    reviewer = sign_in(world["app"], "transport", PASSWORD)
    handler_page = reviewer.get(f"/services/opening-request/{request_id}").get_data(as_text=True)
    assert "对答复申请复核" not in handler_page and objection.reference in handler_page


def test_an_anonymous_requester_seeks_review_with_the_code_the_browser_remembers(world):
    visitor = world["app"].test_client()
    form = visitor.get("/services/opening-request/new?dataset=tax").get_data(as_text=True)
    made = visitor.post(
        "/services/opening-request/new",
        data={
            "dataset": "tax",
            "description": "用于企业信用研究",
            "contact_name": "张伟",
            "contact_phone": PHONE,
            "csrf_token": token(form),
        },
    )
    assert made.status_code == 303
    request_id = made.location.rstrip("/").rsplit("/", 1)[-1]
    reply = {"category": "refused", "reply": "涉及商业秘密", "rule_code": "privacy-trade-secret"}
    call(world, "transport", "POST", f"/api/v1/opening-requests/{request_id}/reply", reply)
    page = visitor.get(made.location).get_data(as_text=True)
    assert "对答复申请复核" in page
    done = visitor.post(
        f"{made.location}/objection", data={"reason": REASON, "csrf_token": token(page)}
    )
    assert done.status_code == 303
    page = visitor.get(done.location).get_data(as_text=True)
    assert "复核申请已提交" in page and "已受理，复核中" in page
    # another browser, without the code, sees nothing and may file nothing
    stranger = world["app"].test_client()
    assert stranger.get(made.location).status_code == 404
    other = stranger.get("/services/lookup").get_data(as_text=True)
    refused = stranger.post(
        f"{made.location}/objection", data={"reason": REASON, "csrf_token": token(other)}
    )
    assert refused.status_code == 404 and REASON not in refused.get_data(as_text=True)
