"""Rights that cannot be turned into weapons: a script of anonymous filings suspends no dataset
and forces no opening assessment; identified rights holders suspend at once within limits per
requester and per day; others wait for the department, which decides on suspension within its
working-day deadline; contacts are proved with codes sent by e-mail (aiosmtpd here) that
expire, are rate limited, stored hashed and never logged."""

from __future__ import annotations

import json
import logging
import re
import threading
from datetime import UTC, date, datetime, timedelta
from http.server import BaseHTTPRequestHandler, HTTPServer

import pytest
from sqlalchemy import select, update

from datasets.accounts.users import authenticate
from datasets.models import AuditEntry, Case, ContactCode, Dataset, Resource, User
from datasets.workflows import queues
from portal.app import create_app
from tests.factories import csrf_token, sign_in
from tests.services.test_mail import Sink, free_port
from tests.services.test_requests_feedback import PASSWORD, build_env
from tests.web.test_requests_feedback_web import _case_id, _submit

OPEN = ("bus-lines", "bus-stops", "bus-fares", "bus-routes", "gdp", "volunteers")
CLAIM = {"claim": "含我公司未公开的经营信息", "rights_basis": "我公司为数据所涉企业"}
ADDRESS = "zhou.jiu@example.com"


@pytest.fixture(scope="module")
def sink():
    server = Sink().start()
    yield server
    server.stop()


@pytest.fixture(scope="module")
def env(tmp_path_factory, sink):
    """The catalog of the requests tests, served with the default limits and an SMTP server."""
    built = build_env(tmp_path_factory.mktemp("weapons"))
    settings = {
        "instance": str(built["rt"].paths.root),
        "ratelimit_enabled": False,
        "smtp_host": "127.0.0.1",
        "smtp_port": sink.port,
        "smtp_timeout": 5,
        "rights_suspensions_per_day": 4,
    }
    built["app"] = create_app(settings)
    built["app"].config.update(TESTING=True)
    built["settings"] = settings
    yield built
    built["rt"].close()


def call(env, method, path, body=None, as_=None, app=None):  # type: ignore[no-untyped-def]
    headers = {"Authorization": env["keys"][as_]} if as_ else {}
    client = (app or env["app"]).test_client()
    return client.open(f"/api/v1{path}", method=method, json=body, headers=headers)


def _suspended(env, name: str) -> str | None:  # type: ignore[no-untyped-def]
    with env["rt"].reader() as session:
        return session.scalar(select(Dataset.suspended_by).where(Dataset.name == name))


def _download(env, name: str) -> int:  # type: ignore[no-untyped-def]
    with env["rt"].reader() as session:
        res = session.scalar(select(Resource).join(Dataset).where(Dataset.name == name))
        url = f"/dataset/{name}/resource/{res.id}/download/{res.filename}"
    return env["app"].test_client().get(url).status_code


def _code_sent_to(sink, address: str) -> str:  # type: ignore[no-untyped-def]
    before = len(sink.messages)
    sink.wait_for(before)
    for rcpt, message in reversed(sink.messages):
        if address in rcpt:
            return re.search(r"验证码是 (\d{6})", message.get_content()).group(1)
    raise AssertionError(f"no code sent to {address}")


# -- the abuse script ------------------------------------------------------------------------------


def test_a_script_of_anonymous_filings_suspends_nothing_and_forces_no_assessment(env):
    for n, name in enumerate(OPEN):
        made = call(
            env,
            "POST",
            "/rights-objections",
            {"dataset": name, **CLAIM, "contact": {"name": "某某", "phone": f"1380000{n:04d}"}},
        )
        assert made.status_code == 201, made.get_json()
        assert made.get_json()["status"] == "pending"
        assert made.get_json()["status_label"] == "待部门决定是否暂停开放"
    for name in OPEN:
        assert _suspended(env, name) is None and _download(env, name) == 200
    for n in range(8):  # invented numbers: no assessment however many
        made = call(
            env,
            "POST",
            "/opening-requests",
            {
                "dataset": "taxi-permits",
                "description": "研究",
                "contact": {"name": "某某", "phone": f"1390000{n:04d}"},
            },
        )
        assert made.status_code == 201 and "assessment" not in made.get_json()
    with env["rt"].reader() as session:
        assert session.scalar(select(Case.id).where(Case.kind == "assessment")) is None
    # one requester, the same typed number: at most the day's limit
    body = {"dataset": "bus-lines", **CLAIM, "contact": {"name": "某某", "phone": "13700000001"}}
    for _ in range(3):
        assert call(env, "POST", "/rights-objections", body).status_code == 201
    refused = call(env, "POST", "/rights-objections", body)
    assert refused.status_code == 429
    assert (
        refused.get_json()["error"]["message"]
        == "同一提出人每天最多提出 3 件权益异议，请明天再提交"
    )


def test_the_department_decides_on_suspension_within_one_working_day_and_it_can_be_overdue(env):
    made = call(
        env,
        "POST",
        "/rights-objections",
        {"dataset": "bus-stops", **CLAIM, "contact": {"name": "吴十", "phone": "13600000002"}},
    ).get_json()
    received, due = date.fromisoformat(made["received_on"]), date.fromisoformat(made["due_on"])
    assert 1 <= (due - received).days <= 4  # one working day (a weekend may lie between)
    reviewer = authenticate(env["rt"], name="reviewer1", password=PASSWORD)
    queue = queues.department_queue(env["rt"], reviewer, kind="rights_objection")
    row = next(i for i in queue["cases"] if i["id"] == made["id"])
    assert row["status_label"] == "待部门决定是否暂停开放" and row["due_on"] == made["due_on"]
    with env["rt"].session() as session:
        session.execute(
            update(Case).where(Case.id == made["id"]).values(due_on=date.today() - timedelta(10))
        )
    seen = call(env, "GET", f"/rights-objections/{made['id']}", as_="reviewer1").get_json()
    assert seen["overdue"] is True
    assert [s["step"] for s in seen["steps"]] == ["decision", "suspension"]
    path = f"/rights-objections/{made['id']}/suspension"
    assert call(env, "POST", path, {"suspend": True, "note": "x"}).status_code == 401
    assert (
        call(env, "POST", path, {"suspend": True, "note": "x"}, as_="reviewer2").status_code == 404
    )
    bad = call(env, "POST", path, {"suspend": "maybe"}, as_="reviewer1")
    assert bad.status_code == 400 and {"suspend", "note"} <= set(bad.get_json()["error"])
    done = call(env, "POST", path, {"suspend": True, "note": "已核实"}, as_="reviewer1").get_json()
    assert done["status"] == "suspended" and done["overdue"] is False
    assert done["body"]["suspension"]["decided_by"] == "department"
    assert done["body"]["suspension"]["department_actor"] == "reviewer1"
    assert _suspended(env, "bus-stops") == made["id"] and _download(env, "bus-stops") == 403
    with env["rt"].reader() as session:
        audit = session.scalars(
            select(AuditEntry)
            .where(AuditEntry.action == "dataset.suspend")
            .order_by(AuditEntry.id.desc())
        ).first()
        assert audit.actor == "reviewer1" and audit.detail["case"] == made["reference"]
    again = call(env, "POST", path, {"suspend": False, "note": "x"}, as_="reviewer1")
    assert again.status_code == 409
    restored = call(
        env,
        "POST",
        f"/rights-objections/{made['id']}/decision",
        {"decision": "restore", "reply": "异议不成立"},
        as_="reviewer1",
    )
    assert restored.status_code == 200 and _suspended(env, "bus-stops") is None
    # an objection the department leaves open never holds the dataset
    kept = call(
        env,
        "POST",
        "/rights-objections",
        {"dataset": "bus-stops", **CLAIM, "contact": {"name": "吴十", "phone": "13600000003"}},
    ).get_json()
    path = f"/rights-objections/{kept['id']}/suspension"
    left = call(env, "POST", path, {"suspend": False, "note": "明显不成立"}, as_="reviewer1")
    assert left.get_json()["status"] == "reviewing" and _suspended(env, "bus-stops") is None


def test_identified_rights_holders_suspend_at_once_within_the_limits(env):
    for name in ("bus-lines", "bus-fares", "bus-routes"):
        made = call(env, "POST", "/rights-objections", {"dataset": name, **CLAIM}, as_="holder1")
        assert made.status_code == 201 and made.get_json()["status"] == "suspended"
        assert _suspended(env, name) == made.get_json()["id"] and _download(env, name) == 403
    refused = call(env, "POST", "/rights-objections", {"dataset": "gdp", **CLAIM}, as_="holder1")
    assert refused.status_code == 429 and _suspended(env, "gdp") is None
    # the portal's day: 4 identified suspensions at once, then the department decides
    fourth = call(env, "POST", "/rights-objections", {"dataset": "gdp", **CLAIM}, as_="holder2")
    assert fourth.get_json()["status"] == "suspended"
    fifth = call(
        env, "POST", "/rights-objections", {"dataset": "volunteers", **CLAIM}, as_="holder3"
    )
    assert fifth.get_json()["status"] == "pending" and _suspended(env, "volunteers") is None
    # an account without a verified contact is not identified
    plain = call(
        env, "POST", "/rights-objections", {"dataset": "volunteers", **CLAIM}, as_="citizen2"
    )
    assert plain.get_json()["status"] == "pending"
    assert plain.get_json()["requester_verified"] is None


# -- codes -----------------------------------------------------------------------------------------


def test_a_code_by_e_mail_proves_the_contact_once_and_is_kept_only_hashed(env, sink, caplog):
    for name in ("datasets", "portal"):  # the portal's own logs (not the test's SMTP server)
        caplog.set_level(logging.DEBUG, logger=name)
    sent = call(env, "POST", "/contact-verifications", {"channel": "email", "address": ADDRESS})
    assert sent.status_code == 202, sent.get_json()
    answer = sent.get_data(as_text=True)
    assert sent.get_json()["sent_to"] == "z***@example.com" and ADDRESS not in answer
    code = _code_sent_to(sink, ADDRESS)
    assert code not in answer
    with env["rt"].reader() as session:
        rows = session.scalars(select(ContactCode)).all()
        stored = json.dumps([[r.code_hash, r.address_key, r.channel] for r in rows])
    assert code not in stored and ADDRESS not in stored
    assert code not in caplog.text and ADDRESS not in caplog.text

    body = {
        "dataset": "taxi-drivers",
        "description": "研究",
        "contact": {"name": "周九", "email": ADDRESS},
    }
    wrong = call(env, "POST", "/opening-requests", {**body, "verification_code": "000000"})
    assert wrong.status_code == 400 and "verification_code" in wrong.get_json()["error"]
    made = call(env, "POST", "/opening-requests", {**body, "verification_code": code})
    assert made.status_code == 201 and made.get_json()["requester_verified"] == "email"
    reused = call(env, "POST", "/opening-requests", {**body, "verification_code": code})
    assert reused.status_code == 400  # once only
    assert code not in caplog.text


def test_codes_expire_stop_after_wrong_tries_and_are_rate_limited(env, sink):
    address = "wang.wu@example.com"
    body = {"dataset": "taxi-drivers", "description": "研究", "contact": {"email": address}}
    body["contact"]["name"] = "王五"
    call(env, "POST", "/contact-verifications", {"channel": "email", "address": address})
    code = _code_sent_to(sink, address)
    with env["rt"].session() as session:
        session.execute(update(ContactCode).values(expires_at=datetime.now(UTC) - timedelta(1)))
    expired = call(env, "POST", "/opening-requests", {**body, "verification_code": code})
    assert expired.status_code == 400
    call(env, "POST", "/contact-verifications", {"channel": "email", "address": address})
    code = _code_sent_to(sink, address)
    for _ in range(5):
        call(env, "POST", "/opening-requests", {**body, "verification_code": "123456"})
    blocked = call(env, "POST", "/opening-requests", {**body, "verification_code": code})
    assert blocked.status_code == 400  # the right code no longer works
    third = call(env, "POST", "/contact-verifications", {"channel": "email", "address": address})
    assert third.status_code == 202
    limited = call(env, "POST", "/contact-verifications", {"channel": "email", "address": address})
    assert (
        limited.status_code == 429
        and "一小时内已发送 3 次" in limited.get_json()["error"]["message"]
    )


def test_phones_cannot_be_verified_without_an_sms_gateway_and_can_with_one(env):
    refused = call(
        env, "POST", "/contact-verifications", {"channel": "phone", "address": "13912345678"}
    )
    assert refused.status_code == 400 and "短信网关" in refused.get_json()["error"]["message"]
    bad = call(env, "POST", "/contact-verifications", {"channel": "fax", "address": ""})
    assert bad.status_code == 400 and {"channel", "address"} <= set(bad.get_json()["error"])
    received: list[dict] = []

    class Gateway(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802
            length = int(self.headers["Content-Length"])
            received.append(json.loads(self.rfile.read(length)))
            self.send_response(200)
            self.end_headers()

        def log_message(self, *args: object) -> None:
            return

    port = free_port()
    server = HTTPServer(("127.0.0.1", port), Gateway)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        app = create_app({**env["settings"], "sms_gateway_url": f"http://127.0.0.1:{port}/sms"})
        sent = call(
            env,
            "POST",
            "/contact-verifications",
            {"channel": "phone", "address": "139 1234 5678"},
            app=app,
        )
    finally:
        server.shutdown()
    assert sent.status_code == 202 and sent.get_json()["sent_to"] == "139****5678"
    assert received[0]["phone"] == "13912345678" and re.search(r"\d{6}", received[0]["text"])


def test_an_account_proves_its_own_contact_and_then_suspends_at_once(env, sink):
    path = "/account/contact-verification"
    assert call(env, "GET", path).status_code == 401
    assert call(env, "POST", path, {"code": "1"}).status_code == 401
    assert call(env, "GET", path, as_="citizen3").get_json() == {"verified": False, "channel": None}
    with env["rt"].reader() as session:
        email = session.scalar(select(User.email).where(User.name == "citizen3"))
    call(env, "POST", "/contact-verifications", {"channel": "email", "address": email})
    code = _code_sent_to(sink, email)
    assert call(env, "POST", path, {"code": "999999"}, as_="citizen3").status_code == 400
    done = call(env, "POST", path, {"code": code}, as_="citizen3")
    assert done.status_code == 200 and done.get_json()["channel"] == "email"
    assert call(env, "GET", path, as_="citizen3").get_json()["verified"] is True
    app = create_app({**env["settings"], "rights_suspensions_per_day": 50})
    made = call(
        env,
        "POST",
        "/rights-objections",
        {"dataset": "volunteers", **CLAIM},
        as_="citizen3",
        app=app,
    )
    assert made.get_json()["status"] == "suspended"
    assert made.get_json()["body"]["suspension"]["account"] == "citizen3"


def test_the_account_page_proves_the_account_contact(env, sink):
    page = env["app"].test_client().get("/account")
    assert page.status_code == 302 and "/login" in page.location
    client = sign_in(env["app"], "citizen2", PASSWORD)
    html = client.get("/account").get_data(as_text=True)
    assert "本账户的联系方式尚未验证" in html and "发送验证码到账户电子邮箱" in html
    assert "发送验证码到账户手机" not in html  # no SMS gateway configured
    no_token = client.post("/account/verification", data={"send_code": "email"})
    assert no_token.status_code == 400
    sent = client.post(
        "/account/verification", data={"send_code": "email", "csrf_token": csrf_token(html)}
    )
    html = client.get(sent.location).get_data(as_text=True)
    assert "验证码已发送至" in html
    with env["rt"].reader() as session:
        email = session.scalar(select(User.email).where(User.name == "citizen2"))
    code = _code_sent_to(sink, email)
    wrong = client.post(
        "/account/verification",
        data={"verification_code": "000000", "csrf_token": csrf_token(html)},
    )
    assert "验证码不正确或已过期" in client.get(wrong.location).get_data(as_text=True)
    done = client.post(
        "/account/verification", data={"verification_code": code, "csrf_token": csrf_token(html)}
    )
    html = client.get(done.location).get_data(as_text=True)
    assert "联系方式已验证。" in html and "本账户的电子邮箱已经验证" in html
    assert call(env, "GET", "/account/contact-verification", as_="citizen2").get_json() == {
        "verified": True,
        "channel": "email",
    }


def test_the_form_sends_a_code_and_takes_it(env, sink):
    client = env["app"].test_client()
    path = "/services/opening-request/new?dataset=bus-drivers"
    fields = {
        "dataset": "bus-drivers",
        "description": "研究",
        "contact_name": "郑十一",
        "contact_email": "zheng@example.com",
    }
    form = client.get(path).get_data(as_text=True)
    assert "发送验证码到电子邮箱" in form and "手机号码暂不能验证" in form
    sent = _submit(client, path, {**fields, "send_code": "email"})
    assert sent.status_code == 200 and "验证码已发送至 z***@example.com" in sent.get_data(
        as_text=True
    )
    assert 'value="zheng@example.com"' in sent.get_data(as_text=True)  # the form comes back
    code = _code_sent_to(sink, "zheng@example.com")
    wrong = _submit(client, path, {**fields, "verification_code": "000000"})
    assert wrong.status_code == 400 and "验证码不正确或已过期" in wrong.get_data(as_text=True)
    made = _submit(client, path, {**fields, "verification_code": code})
    page = client.get(made.location).get_data(as_text=True)
    assert _case_id(made) and "已验证电子邮箱" in page
    no_token = client.post(path.split("?")[0], data={**fields, "send_code": "email"})
    assert no_token.status_code == 400  # CSRF


def test_the_api_document_describes_the_new_endpoints_and_fields(env):
    doc = call(env, "GET", "/openapi.json").get_json()
    paths = doc["paths"]
    assert "post" in paths["/api/v1/contact-verifications"]
    assert {"get", "post"} <= set(paths["/api/v1/account/contact-verification"])
    assert "post" in paths["/api/v1/rights-objections/{case_id}/suspension"]
    for plural in ("rights-objections", "opening-requests"):
        body = paths[f"/api/v1/{plural}"]["post"]["requestBody"]["content"]["application/json"]
        assert "verification_code" in body["schema"]["properties"]
    machine = next(m for m in doc["x-state-machines"] if m["kind"] == "rights_objection")
    assert {s["state"] for s in machine["states"]} == {
        "suspended",
        "pending",
        "reviewing",
        "decided",
    }
