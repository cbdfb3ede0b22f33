"""Requests to open data, opening assessments, error reports, rights-holder objections and
suggestions, end to end through the /api/v1 JSON API on a small catalog of its own."""

from __future__ import annotations

from dataclasses import fields
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select, update

from datasets.accounts import verification
from datasets.accounts.keys import create_api_key
from datasets.accounts.users import create_user
from datasets.intake.publishing import import_record
from datasets.intake.records import FileRecord, HarvestRecord, ProviderRecord
from datasets.models import (
    AuditEntry,
    Case,
    ClassificationEvent,
    Dataset,
    HarvestSource,
    Notification,
    Organization,
    Resource,
)
from portal.app import create_app
from tests.factories import CREDIT_CODE, make_runtime, own_rows, verified_citizen, write_csv

PASSWORD = "correct horse battery"
PHONE = "13912345678"
EMAIL = "zhang.wei@example.com"
CONTACT = {"name": "张伟", "phone": PHONE}
PROVIDER = ProviderRecord("江州市交通运输局", CREDIT_CODE)
OTHER = ProviderRecord("江州市统计局", "11361000MB0000002N")
# the limits per requester and day are tested on their own (test_weapons.py)
LIMITS = {"rights_objections_per_day": 50, "rights_suspensions_per_day": 50}

# name → (declared openness, extra record fields)
CATALOG = {
    "bus-lines": ("无条件开放", {}),
    "bus-stops": ("无条件开放", {}),
    "bus-fares": ("无条件开放", {}),
    "bus-routes": ("无条件开放", {}),
    "taxi-drivers": (
        "不予开放",
        {"exclusion_rule": "第三项", "exclusion_basis": "《个人信息保护法》第十三条"},
    ),
    "taxi-permits": (
        "不予开放",
        {"exclusion_rule": "agreement-ip", "exclusion_basis": "与供应商的数据协议"},
    ),
    "bus-drivers": ("有条件开放", {"conditions": "须说明用途"}),
}


def build_env(root):  # type: ignore[no-untyped-def]
    """A small catalog (open, closed, conditional and masked datasets of two departments), a
    reviewer of each department, a bureau officer, three citizens with API keys and the app."""
    rt = make_runtime(root / "instance", **LIMITS)
    with rt.session() as session:
        source = HarvestSource(name="test", kind="datapackage", location="/nowhere")
        session.add(source)
        session.flush()
        source_id = source.id
    for name, (openness, extra) in CATALOG.items():
        data = write_csv(root / f"{name}.csv", own_rows(name))
        record = HarvestRecord(
            identifier=name,
            name=name,
            title=f"测试数据 {name}",
            notes="数据的内容、范围、来源和更新方式说明。",
            provider=PROVIDER,
            openness=openness,
            files=(FileRecord(path=data, name="data", format="csv"),),
            **extra,
        )
        import_record(rt, record=record, source_id=source_id)
    import_record(
        rt,
        record=HarvestRecord(
            identifier="gdp",
            name="gdp",
            title="地区生产总值",
            notes="数据的内容、范围、来源和更新方式说明。",
            provider=OTHER,
            files=(
                FileRecord(
                    path=write_csv(root / "gdp.csv", own_rows("gdp")), name="data", format="csv"
                ),
            ),
        ),
        source_id=source_id,
    )
    people = write_csv(root / "people.csv", [["姓名", "手机"], ["张三", "13912345678"]])
    import_record(
        rt,
        record=HarvestRecord(
            identifier="volunteers",
            name="volunteers",
            title="志愿者名单",
            notes="数据的内容、范围、来源和更新方式说明。",
            provider=PROVIDER,
            masking={"姓名": "mask-name", "手机": "mask-mobile"},
            files=(FileRecord(path=people, name="data", format="csv"),),
        ),
        source_id=source_id,
    )
    with rt.reader() as session:
        orgs = dict(session.execute(select(Organization.title, Organization.name)).all())
    department, other = orgs[PROVIDER.title], orgs[OTHER.title]
    create_user(rt, name="reviewer1", role="reviewer", password=PASSWORD, department=department)
    create_user(rt, name="reviewer2", role="reviewer", password=PASSWORD, department=other)
    create_user(rt, name="bureau1", role="bureau", password=PASSWORD)
    for n in range(1, 4):
        create_user(rt, name=f"citizen{n}", role="citizen", password=PASSWORD, email=EMAIL)
    # identified requesters: signed in, each with its own verified e-mail address
    for n in range(1, 4):
        verified_citizen(rt, name=f"holder{n}", email=f"holder{n}@example.com")
    keys = {
        name: create_api_key(rt, user_name=name)["key"]
        for name in (
            "reviewer1",
            "reviewer2",
            "bureau1",
            *(f"citizen{n}" for n in range(1, 4)),
            *(f"holder{n}" for n in range(1, 4)),
        )
    }
    app = create_app({"instance": str(rt.paths.root), "ratelimit_enabled": False, **LIMITS})
    app.config.update(TESTING=True)
    return {"rt": rt, "app": app, "keys": keys, "department": department, "other": other}


@pytest.fixture(scope="module")
def env(tmp_path_factory):
    built = build_env(tmp_path_factory.mktemp("requests"))
    yield built
    built["rt"].close()


def call(env, method, path, body=None, as_=None, code=None):  # type: ignore[no-untyped-def]
    """One API call with a fresh client (no cookies), as a user (API key) or anonymously,
    with a case's access code if given."""
    headers = {"Authorization": env["keys"][as_]} if as_ else {}
    if code:
        headers["X-Access-Code"] = code
    client = env["app"].test_client()
    return client.open(f"/api/v1{path}", method=method, json=body, headers=headers)


def public_record(env, reference):  # type: ignore[no-untyped-def]
    """What the public sees of a case: its row on the transparency log (None until decided)."""
    page = call(env, "GET", "/transparency/decisions?per_page=100").get_json()
    return next((d for d in page["decisions"] if d["reference"] == reference), None)


def _resource_url(env, name):  # type: ignore[no-untyped-def]
    with env["rt"].reader() as session:
        res = session.scalar(select(Resource).join(Dataset).where(Dataset.name == name))
        return f"/dataset/{name}/resource/{res.id}/download/{res.filename}"


def _dataset(env, name) -> Dataset:  # type: ignore[no-untyped-def]
    with env["rt"].reader() as session:
        return session.scalar(select(Dataset).where(Dataset.name == name))


def _assessments(env, name) -> list[Case]:  # type: ignore[no-untyped-def]
    with env["rt"].reader() as session:
        return session.scalars(
            select(Case).join(Dataset).where(Case.kind == "assessment", Dataset.name == name)
        ).all()


# -- requests to open data -----------------------------------------------------------------------


def test_anonymous_request_is_received_with_deadline_and_opens_only_with_its_code(env):
    made = call(
        env,
        "POST",
        "/opening-requests",
        {"dataset": "taxi-permits", "description": "做出行研究", "contact": CONTACT},
    )
    assert made.status_code == 201, made.get_json()
    body = made.get_json()
    assert body["reference"].startswith("XQ-") and body["status"] == "submitted"
    assert body["received_on"] and body["due_on"] and "due_provisional" in body
    assert body["access_code"] and body["access"] == "code"
    for viewer in (None, "citizen1", "reviewer2"):
        hidden = call(env, "GET", f"/opening-requests/{body['reference']}", as_=viewer)
        assert hidden.status_code == 404
        text = hidden.get_data(as_text=True)
        assert PHONE not in text and "张伟" not in text and "做出行研究" not in text
        with_code = call(
            env,
            "GET",
            f"/opening-requests/{body['reference']}",
            as_=viewer,
            code=body["access_code"],
        ).get_json()
        assert with_code["access"] == "code" and with_code["can_act"] is False
        assert with_code["body"]["description"] == "做出行研究"
    handler = call(env, "GET", f"/opening-requests/{body['id']}", as_="reviewer1").get_json()
    assert handler["contact"]["phone"] == PHONE and handler["can_act"] is True
    with env["rt"].reader() as session:
        case = session.get(Case, body["id"])
        assert case.requester_key and PHONE not in case.requester_key
        notices = session.scalar(select(func.count()).where(Notification.case_id == case.id))
        assert notices == 1  # the department's reviewer


def test_request_for_data_not_in_the_catalog_goes_to_the_named_department(env):
    made = call(
        env,
        "POST",
        "/opening-requests",
        {
            "department": env["other"],
            "title": "各乡镇人口数据",
            "reason": "研究人口流动",
            "contact": {"name": "李四", "email": EMAIL},
        },
    )
    assert made.status_code == 201
    case = made.get_json()
    assert case["department"]["name"] == env["other"] and case["title"] == "各乡镇人口数据"
    assert (
        call(env, "POST", f"/opening-requests/{case['id']}/reply", {}, as_="reviewer1").status_code
        == 404
    )


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"dataset": "taxi-permits", "description": "x"}, "contact.name"),
        (
            {"dataset": "taxi-permits", "description": "x", "contact": {"name": "张三"}},
            "contact.phone",
        ),
        (
            {
                "dataset": "taxi-permits",
                "description": "x",
                "contact": {"name": "张三", "phone": "12"},
            },
            "contact.phone",
        ),
        (
            {
                "dataset": "taxi-permits",
                "description": "x",
                "contact": {"name": "张", "email": "a@"},
            },
            "contact.email",
        ),
        ({"dataset": "no-such-data", "description": "x", "contact": CONTACT}, "dataset"),
        ({"dataset": "bus-lines", "description": "x", "contact": CONTACT}, "dataset"),
        (
            {"department": "no-such-dept", "title": "x", "description": "x", "contact": CONTACT},
            "department",
        ),
        ({"department": "", "title": "", "description": "x", "contact": CONTACT}, "dataset"),
        ({"dataset": "taxi-permits", "contact": CONTACT}, "description"),
        (
            {"dataset": "taxi-permits", "description": "长" * 4001, "contact": CONTACT},
            "description",
        ),
    ],
)
def test_bad_requests_are_400_naming_the_field(env, body, field):
    response = call(env, "POST", "/opening-requests", body)
    assert response.status_code == 400, response.get_json()
    error = response.get_json()["error"]
    assert field in error and error[field][0]


def test_bad_json_is_400(env):
    client = env["app"].test_client()
    response = client.post("/api/v1/opening-requests", data="[1]", content_type="application/json")
    assert response.status_code == 400


def test_department_answers_each_category_and_the_requester_is_told(env):
    def request(as_="citizen1"):  # type: ignore[no-untyped-def]
        made = call(
            env,
            "POST",
            "/opening-requests",
            {"dataset": "bus-drivers", "description": "用途"},
            as_=as_,
        )
        assert made.status_code == 201, made.get_json()
        return made.get_json()["id"]

    def reply(case_id, body, as_="reviewer1"):  # type: ignore[no-untyped-def]
        return call(env, "POST", f"/opening-requests/{case_id}/reply", body, as_=as_)

    # the signed-in requester sees everything of their own request, with the account's contact
    first = request()
    mine = call(env, "GET", f"/opening-requests/{first}", as_="citizen1").get_json()
    assert mine["access"] == "participant" and mine["contact"]["email"] == EMAIL
    # wrong callers and wrong answers
    assert reply(first, {"category": "apply", "reply": "x"}, as_=None).status_code == 401
    assert reply(first, {"category": "apply", "reply": "x"}, as_="citizen1").status_code == 403
    assert reply(first, {"category": "apply", "reply": "x"}, as_="reviewer2").status_code == 404
    bad = reply(first, {"category": "refused", "reply": "不开放", "rule_code": "state-secret"})
    assert bad.status_code == 400 and "rule_code" in bad.get_json()["error"]
    bad = reply(first, {"category": "will_open", "reply": "将开放", "open_by": "2001-01-01"})
    assert bad.status_code == 400 and "open_by" in bad.get_json()["error"]
    bad = reply(
        first, {"category": "already_open", "reply": "已开放", "open_dataset": "taxi-drivers"}
    )
    assert bad.status_code == 400 and "open_dataset" in bad.get_json()["error"]
    bad = reply(first, {"category": "maybe", "reply": "x"})
    assert bad.status_code == 400 and "category" in bad.get_json()["error"]
    assert reply(first, {"category": "apply"}).get_json()["error"]["reply"]

    answered = reply(
        first, {"category": "refused", "reply": "涉及隐私", "rule_code": "privacy-trade-secret"}
    )
    assert answered.status_code == 200
    out = answered.get_json()
    assert out["status"] == "answered" and out["rule"]["code"] == "privacy-trade-secret"
    assert out["decided_on"] and out["decided_on_time"] is True
    assert reply(first, {"category": "apply", "reply": "again"}).status_code == 409
    assert call(env, "GET", f"/opening-requests/{first}").status_code == 404
    public = public_record(env, out["reference"])
    assert public["reply"] == "涉及隐私" and public["outcome"] == "refused"
    with env["rt"].reader() as session:
        subjects = session.scalars(
            select(Notification.subject).where(Notification.case_id == first)
        ).all()
        assert any("已答复" in s for s in subjects)
        actions = session.scalars(
            select(AuditEntry.action).where(AuditEntry.object_id == first)
        ).all()
        assert actions == ["opening_request.submit", "opening_request.answer"]

    later = (datetime.now(UTC) + timedelta(days=30)).date().isoformat()
    cases = {
        "already_open": {"open_dataset": "bus-lines"},
        "will_open": {"open_by": later},
        "apply": {},
        "not_ours": {"responsible_department": "江州市统计局"},
    }
    for category, extra in cases.items():
        out = reply(request(), {"category": category, "reply": "答复", **extra})
        assert out.status_code == 200, out.get_json()
        out = out.get_json()
        assert out["category"] == category
    assert out["responsible_department"]["name"] == env["other"]


# -- the three-distinct-requesters rule ------------------------------------------------------------


def test_three_distinct_verified_requesters_open_exactly_one_assessment(env):
    def ask(as_=None, **body):  # type: ignore[no-untyped-def]
        made = call(
            env,
            "POST",
            "/opening-requests",
            {"dataset": "taxi-drivers", "description": "研究", **body},
            as_=as_,
        )
        assert made.status_code == 201, made.get_json()
        return made.get_json()

    # a year-old request does not count
    old = ask(as_="holder1")
    with env["rt"].session() as session:
        session.execute(
            update(Case)
            .where(Case.id == old["id"])
            .values(received_at=datetime.now(UTC) - timedelta(days=400))
        )
    # typed contact details and an account without a verified contact prove no one
    for n in range(5):
        ask(contact={"name": "赵六", "phone": f"1391111222{n}"})
    unverified = ask(as_="citizen1")
    assert "assessment" not in unverified and not _assessments(env, "taxi-drivers")
    ask(as_="holder1")
    ask(as_="holder1")  # the same person twice counts once
    code = verification.issue_code(
        env["rt"], verification.CodeRequest("email", "qian@example.com")
    ).code
    by_mail = ask(contact={"name": "钱七", "email": "Qian@example.com"}, verification_code=code)
    assert "assessment" not in by_mail and not _assessments(env, "taxi-drivers")
    third = ask(as_="holder2")
    assert third["assessment"]["reference"].startswith("PG-")
    fourth = ask(as_="holder3")
    assert "assessment" not in fourth
    found = _assessments(env, "taxi-drivers")
    assert len(found) == 1 and found[0].status == "open" and found[0].body["requesters"] == 3
    # the department sees the requests behind it, and how each requester was verified
    listed = {r["reference"]: r for r in found[0].body["request_list"]}
    assert set(listed) >= {by_mail["reference"], third["reference"]}
    assert listed[by_mail["reference"]]["verified"] == "email"
    assert listed[third["reference"]]["verified"] == "account"
    uncounted = {r["reference"] for r in found[0].body["uncounted"]}
    assert unverified["reference"] in uncounted and len(uncounted) == 6
    seen = call(env, "GET", f"/assessments/{found[0].id}", as_="reviewer1").get_json()
    assert "钱七" not in str(seen["body"]) and "qian@example.com" not in str(seen["body"])

    assessment = found[0].id
    with env["rt"].reader() as session:
        told = session.scalars(
            select(Notification.user_id).where(Notification.case_id == assessment)
        ).all()
    assert len(told) == 2  # the department's reviewer and the bureau officer
    for viewer in ("bureau1", "reviewer1"):
        seen = call(env, "GET", f"/assessments/{assessment}", as_=viewer).get_json()
        assert seen["access"] == "participant" and seen["status"] == "open"
        assert seen["requesters"] == 3
    for viewer in (None, "citizen1", "reviewer2"):  # a requester behind it is no participant
        assert call(env, "GET", f"/assessments/{assessment}", as_=viewer).status_code == 404

    complete = f"/assessments/{assessment}/complete"
    assert (
        call(env, "POST", complete, {"conclusion": "open", "reply": "x"}, as_="bureau1").status_code
        == 403
    )
    bad = call(env, "POST", complete, {"conclusion": "soon", "reply": ""}, as_="reviewer1")
    assert bad.status_code == 400 and {"conclusion", "reply"} <= set(bad.get_json()["error"])
    done = call(
        env,
        "POST",
        complete,
        {"conclusion": "conditional", "reply": "脱敏后有条件开放"},
        as_="reviewer1",
    )
    assert done.status_code == 200 and done.get_json()["conclusion"] == "conditional"
    assert done.get_json()["history"][0]["label"] == "启动开放评估"
    # after the assessment, a new request starts counting afresh: no second assessment
    ask(as_="citizen3")
    assert len(_assessments(env, "taxi-drivers")) == 1


# -- error reports ---------------------------------------------------------------------------------


def test_error_report_anonymous_and_answered(env):
    made = call(env, "POST", "/error-reports", {"dataset": "bus-lines", "description": "票价有误"})
    assert made.status_code == 201
    report = made.get_json()
    assert report["reference"].startswith("JC-") and report["due_on"]
    bad = call(env, "POST", "/error-reports", {"dataset": "nope"})
    assert bad.status_code == 400 and {"dataset", "description"} <= set(bad.get_json()["error"])
    path = f"/error-reports/{report['id']}/reply"
    bad = call(env, "POST", path, {"reply": "已改", "corrected": "maybe"}, as_="reviewer1")
    assert bad.status_code == 400 and "corrected" in bad.get_json()["error"]
    done = call(env, "POST", path, {"reply": "已更正票价", "corrected": True}, as_="reviewer1")
    assert done.status_code == 200 and done.get_json()["corrected"] is True
    assert call(env, "GET", f"/error-reports/{report['reference']}").status_code == 404
    mine = call(env, "GET", f"/error-reports/{report['reference']}", code=report["access_code"])
    assert mine.get_json()["reply"] == "已更正票价" and mine.get_json()["status"] == "answered"
    public = public_record(env, report["reference"])
    assert public["reply"] == "已更正票价" and public["status"] == "answered"
    assert "票价有误" not in str(public)


# -- suggestions -----------------------------------------------------------------------------------


def test_suggestion_to_a_department_and_its_reply(env):
    made = call(
        env,
        "POST",
        "/suggestions",
        {
            "department": env["department"],
            "content": "希望增加实时公交数据",
            "contact": {"name": "孙八", "email": EMAIL},
        },
    )
    assert made.status_code == 201
    case = made.get_json()
    assert case["reference"].startswith("JY-") and case["department"]["name"] == env["department"]
    assert EMAIL not in call(env, "GET", f"/suggestions/{case['id']}").get_data(as_text=True)
    assert call(env, "POST", "/suggestions", {"content": "x"}).get_json()["error"]["department"]
    assert (
        call(env, "POST", "/suggestions", {"department": "x" * 300, "content": "x"}).status_code
        == 400
    )
    via_dataset = call(env, "POST", "/suggestions", {"dataset": "gdp", "content": "按季度更新"})
    assert via_dataset.get_json()["department"]["name"] == env["other"]
    path = f"/suggestions/{case['id']}/reply"
    assert call(env, "POST", path, {"reply": ""}, as_="reviewer1").status_code == 400
    done = call(env, "POST", path, {"reply": "已列入计划"}, as_="reviewer1")
    assert done.status_code == 200 and done.get_json()["status"] == "answered"
    public = public_record(env, case["reference"])
    assert (
        public["reply"] == "已列入计划" and EMAIL not in str(public) and "孙八" not in str(public)
    )


# -- rights-holder objections ----------------------------------------------------------------------


def _object(env, name, as_="holder1", **extra):  # type: ignore[no-untyped-def]
    """An objection of an identified rights holder (signed in, verified contact)."""
    body = {
        "dataset": name,
        "claim": "含有我公司的商业秘密",
        "rights_basis": "我公司为数据所涉企业",
        "contact": CONTACT,
    }
    made = call(env, "POST", "/rights-objections", {**body, **extra}, as_=as_)
    assert made.status_code == 201, made.get_json()
    return made.get_json()


def test_rights_objection_suspends_at_once_and_restore_lifts_it(env):
    client = env["app"].test_client()
    url = _resource_url(env, "bus-lines")
    assert client.get(url).status_code == 200
    case = _object(env, "bus-lines")
    assert case["status"] == "suspended" and case["reference"].startswith("QY-")
    assert case["body"]["suspension"] == {
        "account": "holder1",
        "verified": "account",
        "identified": True,
        "decided_by": "requester",
    }
    assert PHONE not in call(env, "GET", f"/rights-objections/{case['id']}").get_data(as_text=True)
    refused = client.get(url)
    assert refused.status_code == 403 and "权益异议" in refused.get_data(as_text=True)
    page = client.get("/dataset/bus-lines").get_data(as_text=True)
    assert "因权益异议暂停开放" in page and url not in page
    shown = client.get("/api/3/action/package_show?id=bus-lines").get_json()["result"]
    assert shown["resources"][0].get("preview") is None and shown["suspended"] is True

    path = f"/rights-objections/{case['id']}/decision"
    bad = call(env, "POST", path, {"decision": "ignore"}, as_="reviewer1")
    assert bad.status_code == 400 and {"decision", "reply"} <= set(bad.get_json()["error"])
    done = call(env, "POST", path, {"decision": "restore", "reply": "异议不成立"}, as_="reviewer1")
    assert done.status_code == 200 and done.get_json()["status"] == "decided"
    assert _dataset(env, "bus-lines").suspended_by is None
    assert client.get(url).status_code == 200
    assert (
        call(
            env, "POST", path, {"decision": "restore", "reply": "again"}, as_="reviewer1"
        ).status_code
        == 409
    )


def test_one_decision_does_not_lift_another_objections_suspension(env):
    first = _object(env, "bus-fares")
    second = _object(env, "bus-fares", as_="holder2", contact={"name": "周九", "email": EMAIL})
    assert _dataset(env, "bus-fares").suspended_by == first["id"]
    call(
        env,
        "POST",
        f"/rights-objections/{first['id']}/decision",
        {"decision": "restore_after_processing", "reply": "已对联系电话脱敏"},
        as_="reviewer1",
    )
    assert _dataset(env, "bus-fares").suspended_by == second["id"]
    assert env["app"].test_client().get(_resource_url(env, "bus-fares")).status_code == 403
    call(
        env,
        "POST",
        f"/rights-objections/{second['id']}/decision",
        {"decision": "restore", "reply": "异议不成立"},
        as_="reviewer1",
    )
    assert _dataset(env, "bus-fares").suspended_by is None


def test_withdraw_makes_the_dataset_closed_under_rule_three_with_the_decision_as_basis(env):
    url = _resource_url(env, "bus-stops")
    case = _object(env, "bus-stops")
    decision = "含第三方商业秘密，撤回数据"
    done = call(
        env,
        "POST",
        f"/rights-objections/{case['id']}/decision",
        {"decision": "withdraw", "reply": decision},
        as_="reviewer1",
    )
    assert done.status_code == 200, done.get_json()
    assert done.get_json()["rule"]["code"] == "privacy-trade-secret"
    dataset = _dataset(env, "bus-stops")
    assert dataset.openness == "closed" and dataset.exclusion_rule == "privacy-trade-secret"
    assert dataset.exclusion_basis == decision and dataset.suspended_by is None
    assert dataset.override["rule"] == "privacy-trade-secret"  # later harvests keep it
    with env["rt"].reader() as session:
        event = session.scalars(
            select(ClassificationEvent)
            .where(ClassificationEvent.dataset_id == dataset.id)
            .order_by(ClassificationEvent.id.desc())
        ).first()
        assert event.new_openness == "closed" and case["reference"] in event.actor
    assert env["app"].test_client().get(url).status_code == 404  # closed data keeps no files


def test_rights_objections_need_contact_and_an_open_dataset(env):
    bad = call(
        env,
        "POST",
        "/rights-objections",
        {"dataset": "bus-routes", "claim": "x", "rights_basis": "y"},
    )
    assert bad.status_code == 400 and "contact.name" in bad.get_json()["error"]
    closed = call(
        env,
        "POST",
        "/rights-objections",
        {"dataset": "taxi-permits", "claim": "x", "rights_basis": "y", "contact": CONTACT},
    )
    assert closed.status_code == 400 and "dataset" in closed.get_json()["error"]
    assert _dataset(env, "bus-routes").suspended_by is None


def test_withdrawing_masked_open_data_is_refused_as_the_engine_would_reopen_it(env):
    assert _dataset(env, "volunteers").deidentified
    case = _object(env, "volunteers")
    path = f"/rights-objections/{case['id']}/decision"
    refused = call(env, "POST", path, {"decision": "withdraw", "reply": "撤回"}, as_="reviewer1")
    assert refused.status_code == 409 and "脱敏" in refused.get_json()["error"]["message"]
    dataset = _dataset(env, "volunteers")
    assert dataset.openness == "unconditional" and dataset.suspended_by == case["id"]
    done = call(
        env,
        "POST",
        path,
        {"decision": "restore_after_processing", "reply": "已将姓名改为假名"},
        as_="reviewer1",
    )
    assert done.status_code == 200 and _dataset(env, "volunteers").suspended_by is None


# -- the API takes the machine's step names ----------------------------------------------------


def test_the_api_offers_and_takes_the_steps_of_the_machine_table_only(env):
    from datasets.workflows.participation import PROCESSES

    made = call(env, "POST", "/error-reports", {"dataset": "bus-lines", "description": "错字"})
    report = made.get_json()
    step = PROCESSES["error_report"].machine.transition("answer").step
    seen = call(env, "GET", f"/error-reports/{report['id']}", as_="reviewer1").get_json()
    assert seen["steps"] == [{"step": step, "name": "answer", "label": "答复"}]
    assert (
        call(env, "GET", f"/error-reports/{report['id']}", as_="bureau1").get_json()["steps"] == []
    )
    path = f"/error-reports/{report['id']}"
    assert call(env, "POST", f"{path}/decision", {}, as_="reviewer1").status_code == 404
    # who and the state are checked before the body: 403 and 404 for an empty body
    assert call(env, "POST", f"{path}/{step}", {}, as_="bureau1").status_code == 403
    assert call(env, "POST", f"{path}/{step}", {}, as_="reviewer2").status_code == 404
    done = call(
        env, "POST", f"{path}/{step}", {"reply": "已改", "corrected": True}, as_="reviewer1"
    )
    assert done.status_code == 200 and done.get_json()["steps"] == []
    doc = call(env, "GET", "/openapi.json").get_json()
    for process in PROCESSES.values():
        for transition, form in process.url_steps():
            operation = doc["paths"][f"/api/v1/{process.plural}/{{case_id}}/{transition.step}"]
            body = operation["post"]["requestBody"]["content"]["application/json"]["schema"]
            assert set(body["properties"]) == {f.name for f in fields(form.input)}
