"""The HTML forms and pages of requests to open data, assessments, error reports, rights-holder
objections and suggestions: signed in through the session (with CSRF tokens) or anonymous."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from datasets.models import Case, Dataset, Resource
from portal.app import create_app
from tests.services.test_requests_feedback import (
    EMAIL,
    PASSWORD,
    PHONE,
    build_env,
)


@pytest.fixture(scope="module")
def env(tmp_path_factory):
    built = build_env(tmp_path_factory.mktemp("requests-web"))
    yield built
    built["rt"].close()


def _token(html: str) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)


def _login(env, name):  # type: ignore[no-untyped-def]
    client = env["app"].test_client()
    page = client.get("/login").get_data(as_text=True)
    response = client.post(
        "/login", data={"name": name, "password": PASSWORD, "csrf_token": _token(page)}
    )
    assert response.status_code == 302
    return client


def _submit(client, path, data):  # type: ignore[no-untyped-def]
    """GET the form (for its token), then POST it; returns the POST's response."""
    form = client.get(path)
    assert form.status_code == 200
    return client.post(
        path.split("?")[0], data={**data, "csrf_token": _token(form.get_data(as_text=True))}
    )


def _case_id(response) -> str:  # type: ignore[no-untyped-def]
    assert response.status_code == 303, response.get_data(as_text=True)[:2000]
    return response.location.rstrip("/").rsplit("/", 1)[-1]


def _code(html: str) -> str:
    """The access code a case page shows once, right after the submission."""
    return re.search(r'class="access-code-value">([^<]+)<', html).group(1)


def _lookup(client, reference, code):  # type: ignore[no-untyped-def]
    """Open a case with the lookup form (reference + code, POSTed with its CSRF token)."""
    form = client.get("/services/lookup").get_data(as_text=True)
    return client.post(
        "/services/lookup",
        data={"reference": reference, "code": code, "csrf_token": _token(form)},
    )


def _public_log(env) -> str:  # type: ignore[no-untyped-def]
    return env["app"].test_client().get("/transparency").get_data(as_text=True)


def test_services_page_lists_the_services_with_deadlines_from_the_settings(env, tmp_path):
    page = env["app"].test_client().get("/services").get_data(as_text=True)
    for title in ("开放需求", "开放评估", "数据纠错", "权益异议", "意见建议"):
        assert title in page
    assert "10 个工作日内答复" in page and "5 个工作日内答复" in page
    app = create_app(
        {"instance": str(env["rt"].paths.root), "ratelimit_enabled": False, "days_suggestion": 12}
    )
    assert "12 个工作日内答复" in app.test_client().get("/services").get_data(as_text=True)


def test_dataset_pages_link_to_the_forms_prefilled(env):
    client = env["app"].test_client()
    closed = client.get("/dataset/taxi-permits").get_data(as_text=True)
    assert "/services/opening-request/new?dataset=taxi-permits" in closed
    assert "/services/error-report/new?dataset=taxi-permits" in closed
    assert "/services/suggestion/new?dataset=taxi-permits" in closed
    assert "rights-objection/new" not in closed  # nothing of closed data is published
    open_page = client.get("/dataset/bus-routes").get_data(as_text=True)
    assert "/services/rights-objection/new?dataset=bus-routes" in open_page
    assert "opening-request/new" not in open_page
    form = client.get("/services/opening-request/new?dataset=taxi-permits").get_data(as_text=True)
    assert "测试数据 taxi-permits" in form and 'name="dataset" value="taxi-permits"' in form


def test_anonymous_opening_request_then_the_department_replies_on_the_case_page(env):
    anonymous = env["app"].test_client()
    made = _submit(
        anonymous,
        "/services/opening-request/new?dataset=taxi-permits",
        {
            "dataset": "taxi-permits",
            "description": "用于出租车行业研究",
            "contact_name": "张伟",
            "contact_phone": PHONE,
        },
    )
    case_id = _case_id(made)
    page = anonymous.get(made.location).get_data(as_text=True)
    with env["rt"].reader() as session:
        case = session.get(Case, case_id)
        reference, due = case.reference, str(case.due_on)
    assert reference in page and due in page and "已受理，待答复" in page
    code = _code(page)  # the submitter sees the code once, and what they wrote
    assert PHONE in page and "用于出租车行业研究" in page
    assert "答复开放需求" not in page  # no reply form for the requester
    stranger = env["app"].test_client()
    hidden = stranger.get(made.location)
    assert hidden.status_code == 404
    text = hidden.get_data(as_text=True)
    assert PHONE not in text and "张伟" not in text and "用于出租车行业研究" not in text

    reviewer = _login(env, "reviewer1")
    handler_page = reviewer.get(f"/services/opening-request/{case_id}").get_data(as_text=True)
    assert PHONE in handler_page and "答复开放需求" in handler_page
    assert "state-secret" not in handler_page
    token = _token(handler_page)
    refused = reviewer.post(
        f"/services/opening-request/{case_id}/reply",
        data={"csrf_token": token, "category": "refused", "reply": "涉及协议限制"},
    )
    assert refused.status_code == 400 and "不予开放须注明所依据的规则" in refused.get_data(
        as_text=True
    )
    done = reviewer.post(
        f"/services/opening-request/{case_id}/reply",
        data={
            "csrf_token": token,
            "category": "refused",
            "reply": "与供应商的协议限制开放",
            "rule_code": "agreement-ip",
        },
    )
    assert done.status_code == 303
    mine = anonymous.get(f"/services/opening-request/{reference}").get_data(as_text=True)
    assert "与供应商的协议限制开放" in mine and "agreement-ip" in mine and "已答复" in mine
    assert stranger.get(f"/services/opening-request/{reference}").status_code == 404
    public = _public_log(env)
    assert "与供应商的协议限制开放" in public and reference in public
    assert PHONE not in public and "用于出租车行业研究" not in public
    # the reference number and the code find the page, in another browser
    found = _lookup(stranger, reference.lower(), code.lower())
    assert found.status_code == 303 and found.location.endswith(f"/opening-request/{case_id}")
    assert "与供应商的协议限制开放" in stranger.get(found.location).get_data(as_text=True)
    assert _lookup(env["app"].test_client(), "ZZ-1", code).status_code == 404


def test_bad_form_input_is_shown_field_by_field_with_what_was_entered(env):
    client = env["app"].test_client()
    response = _submit(
        client,
        "/services/opening-request/new",
        {"department": "", "title": "", "description": "研究", "contact_phone": "123"},
    )
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert "请指定数据集，或填写数据提供部门和所需数据" in html
    assert "联系电话格式不正确" in html and "请填写联系人姓名" in html
    assert ">研究</textarea>" in html


def test_forms_without_a_csrf_token_are_refused(env):
    client = env["app"].test_client()
    client.get("/services/suggestion/new")  # starts a session
    response = client.post(
        "/services/suggestion/new", data={"department": env["department"], "content": "x"}
    )
    assert response.status_code == 400
    with env["rt"].reader() as session:
        assert session.scalar(select(Case).where(Case.body["content"].as_string() == "x")) is None


def test_signed_in_requester_sees_their_own_request_in_full(env):
    citizen = _login(env, "citizen2")
    made = _submit(
        citizen,
        "/services/opening-request/new",
        {"department": env["other"], "title": "各乡镇人口", "description": "规划研究"},
    )
    page = citizen.get(made.location).get_data(as_text=True)
    assert "规划研究" in page and EMAIL in page  # the account's own contact details
    assert _code(page)  # a signed-in requester gets a code too, to open it without signing in
    assert "规划研究" in citizen.get(made.location).get_data(as_text=True)  # signed in: no code
    hidden = env["app"].test_client().get(made.location)
    assert hidden.status_code == 404 and "规划研究" not in hidden.get_data(as_text=True)


def test_error_report_and_suggestion_forms_and_their_replies(env):
    anonymous = env["app"].test_client()
    report = _case_id(
        _submit(
            anonymous,
            "/services/error-report/new?dataset=bus-routes",
            {"dataset": "bus-routes", "location": "第 2 行 票价", "description": "票价应为 2 元"},
        )
    )
    suggestion = _case_id(
        _submit(
            anonymous,
            "/services/suggestion/new",
            {
                "department": env["department"],
                "content": "增加地铁数据",
                "contact_email": EMAIL,
                "contact_name": "李雷",
            },
        )
    )
    reviewer = _login(env, "reviewer1")
    page = reviewer.get(f"/services/error-report/{report}").get_data(as_text=True)
    assert "票价应为 2 元" in page and "答复纠错" in page
    done = reviewer.post(
        f"/services/error-report/{report}/reply",
        data={"csrf_token": _token(page), "corrected": "true", "reply": "已更正"},
    )
    assert done.status_code == 303
    assert "已更正" in anonymous.get(f"/services/error-report/{report}").get_data(as_text=True)
    assert env["app"].test_client().get(f"/services/error-report/{report}").status_code == 404
    public = _public_log(env)
    assert "已更正" in public and "票价应为 2 元" not in public
    page = reviewer.get(f"/services/suggestion/{suggestion}").get_data(as_text=True)
    assert EMAIL in page
    done = reviewer.post(
        f"/services/suggestion/{suggestion}/reply",
        data={"csrf_token": _token(page), "reply": "已列入年度计划"},
    )
    assert done.status_code == 303
    assert "已列入年度计划" in anonymous.get(f"/services/suggestion/{suggestion}").get_data(
        as_text=True
    )
    public = _public_log(env)
    assert "已列入年度计划" in public and EMAIL not in public and "李雷" not in public
    # another department's reviewer is no participant: the page does not exist for them
    other = _login(env, "reviewer2").get(f"/services/suggestion/{suggestion}")
    assert other.status_code == 404
    assert EMAIL not in other.get_data(as_text=True)
    assert "答复意见建议" not in other.get_data(as_text=True)


def _objection_form(client, name: str):  # type: ignore[no-untyped-def]
    return _submit(
        client,
        f"/services/rights-objection/new?dataset={name}",
        {
            "dataset": name,
            "claim": "线路数据含我公司未公开的运营信息",
            "rights_basis": "我公司为线路承运企业",
            "contact_name": "韩梅梅",
            "contact_phone": PHONE,
        },
    )


def test_an_anonymous_rights_objection_goes_to_the_department_which_suspends_then_restores(env):
    with env["rt"].reader() as session:
        res = session.scalar(select(Resource).join(Dataset).where(Dataset.name == "bus-routes"))
        url = f"/dataset/bus-routes/resource/{res.id}/download/{res.filename}"
    anonymous = env["app"].test_client()
    assert anonymous.get(url).status_code == 200
    form = anonymous.get("/services/rights-objection/new?dataset=bus-routes").get_data(as_text=True)
    assert "已登录且联系方式经验证" in form and "手机号码暂不能验证" in form
    made = _objection_form(anonymous, "bus-routes")
    case_id = _case_id(made)
    mine = anonymous.get(made.location).get_data(as_text=True)
    assert "提供部门将决定是否暂停开放" in mine and "待部门决定是否暂停开放" in mine
    assert anonymous.get(url).status_code == 200  # still open: no one was identified
    hidden = env["app"].test_client().get(made.location)
    assert hidden.status_code == 404
    public = hidden.get_data(as_text=True) + _public_log(env)
    assert "韩梅梅" not in public and PHONE not in public and "未公开的运营信息" not in public

    reviewer = _login(env, "reviewer1")
    page = reviewer.get(f"/services/rights-objection/{case_id}").get_data(as_text=True)
    assert PHONE in page and "决定是否暂停开放" in page and "未验证" in page
    suspended = reviewer.post(
        f"/services/rights-objection/{case_id}/suspension",
        data={"csrf_token": _token(page), "suspend": "true", "note": "涉及未公开协议价"},
    )
    assert suspended.status_code == 303
    refused = anonymous.get(url)
    assert refused.status_code == 403 and "因权益异议暂停开放" in refused.get_data(as_text=True)
    dataset_page = anonymous.get("/dataset/bus-routes").get_data(as_text=True)
    assert "因权益异议暂停开放" in dataset_page and url not in dataset_page
    page = reviewer.get(f"/services/rights-objection/{case_id}").get_data(as_text=True)
    assert "提供部门（reviewer1）决定暂停" in page and "作出处理决定" in page
    done = reviewer.post(
        f"/services/rights-objection/{case_id}/decision",
        data={"csrf_token": _token(page), "decision": "restore", "reply": "经核实，异议不成立"},
    )
    assert done.status_code == 303
    assert anonymous.get(url).status_code == 200
    assert "因权益异议暂停开放" not in anonymous.get("/dataset/bus-routes").get_data(as_text=True)
    assert "经核实，异议不成立" in anonymous.get(made.location).get_data(as_text=True)
    assert "经核实，异议不成立" in _public_log(env)


def test_a_verified_account_suspends_at_once_through_the_form(env):
    with env["rt"].reader() as session:
        res = session.scalar(select(Resource).join(Dataset).where(Dataset.name == "gdp"))
        url = f"/dataset/gdp/resource/{res.id}/download/{res.filename}"
    holder = _login(env, "holder3")
    form = holder.get("/services/rights-objection/new?dataset=gdp").get_data(as_text=True)
    assert "账户中的电子邮箱已经验证" in form
    made = _objection_form(holder, "gdp")
    case_id = _case_id(made)
    assert "该数据集已暂停开放" in holder.get(made.location).get_data(as_text=True)
    assert env["app"].test_client().get(url).status_code == 403
    staff = _login(env, "reviewer2").get(f"/services/rights-objection/{case_id}")
    assert "提出人（账户 holder3，联系方式已验证）提出后立即暂停" in staff.get_data(as_text=True)


def test_assessment_page_and_its_completion_form(env):
    client = env["app"].test_client()
    for n in range(3):  # typed e-mail addresses prove no one: no assessment
        _case_id(
            _submit(
                client,
                "/services/opening-request/new?dataset=taxi-permits",
                {
                    "dataset": "taxi-permits",
                    "description": "研究",
                    "contact_name": "申请人",
                    "contact_email": f"web{n}@example.com",
                },
            )
        )
    for n in (1, 2, 3):
        _case_id(
            _submit(
                _login(env, f"holder{n}"),
                "/services/opening-request/new?dataset=taxi-permits",
                {"dataset": "taxi-permits", "description": "研究"},
            )
        )
    with env["rt"].reader() as session:
        assessment = session.scalar(
            select(Case.id)
            .join(Dataset)
            .where(Case.kind == "assessment", Dataset.name == "taxi-permits")
        )
    assert assessment is not None
    bureau = _login(env, "bureau1").get(f"/services/assessment/{assessment}").get_data(as_text=True)
    assert "待评估" in bureau and "完成开放评估" not in bureau
    reviewer = _login(env, "reviewer1")
    page = reviewer.get(f"/services/assessment/{assessment}").get_data(as_text=True)
    assert "完成开放评估" in page
    assert page.count("已验证的登录账户") == 3 and page.count("联系方式未验证") >= 3
    assert "web0@example.com" not in page  # the requests are linked, not their requesters
    done = reviewer.post(
        f"/services/assessment/{assessment}/complete",
        data={"csrf_token": _token(page), "conclusion": "keep_closed", "reply": "维持协议限制"},
    )
    assert done.status_code == 303
    # the requesters behind it are no participants of the assessment (it has no code)
    assert client.get(f"/services/assessment/{assessment}").status_code == 404
    public = _public_log(env)
    assert (
        "维持不予开放" in public and "维持协议限制" in public and "web0@example.com" not in public
    )


_FORM_ACTION = re.compile(r'<form class="form" method="post" action="(/services/[^"]+)"')


def test_case_pages_offer_exactly_the_steps_the_machine_allows_at_its_urls(env):
    """The department's reviewer sees one form per allowed step, at the step URL of the table;
    other participants and a closed case get none; a step the table does not name is 404."""
    from datasets.workflows.participation import PROCESSES

    made = _submit(
        env["app"].test_client(),
        "/services/suggestion/new",
        {"department": env["department"], "content": "增加夜班线路数据"},
    )
    case_id = _case_id(made)
    page = f"/services/suggestion/{case_id}"
    step = PROCESSES["suggestion"].machine.transition("answer").step
    reviewer = _login(env, "reviewer1")
    html = reviewer.get(page).get_data(as_text=True)
    assert _FORM_ACTION.findall(html) == [f"{page}/{step}"]
    for other in ("reviewer2", "bureau1", "citizen1"):
        assert _FORM_ACTION.findall(_login(env, other).get(page).get_data(as_text=True)) == []
    token = _token(html)
    unknown = reviewer.post(f"{page}/decision", data={"csrf_token": token, "reply": "x"})
    assert unknown.status_code == 404
    bureau = _login(env, "bureau1")
    refused = bureau.post(f"{page}/{step}", data={"csrf_token": _token(bureau.get(page).text)})
    assert refused.status_code == 403  # checked before the (empty) form is read
    done = reviewer.post(f"{page}/{step}", data={"csrf_token": token, "reply": "已列入计划"})
    assert done.status_code == 303
    assert _FORM_ACTION.findall(reviewer.get(page).get_data(as_text=True)) == []
    again = reviewer.post(f"{page}/{step}", data={"csrf_token": token, "reply": "再次答复"})
    assert again.status_code == 409
