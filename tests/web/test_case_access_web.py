"""Case pages and the case API answer only participants and holders of the case's code: the
same 404 as for an unknown reference for everyone else; the code is shown once after the form,
never put in a URL, and opens the case through /services/lookup (POST) or X-Access-Code; what is
public of a case goes through the transparency log's blanking, which the crawler checks."""

from __future__ import annotations

import re

import pytest

from datasets.workflows.redaction import REDACTED
from tests.factories import id_number
from tests.leaks import CASE_PAGES, case_secrets, crawl, find_leaks
from tests.services.test_requests_feedback import CONTACT, PHONE, build_env
from tests.web.test_requests_feedback_web import _code, _login, _lookup, _submit, _token

ID_NUMBER = id_number("440305", "19791231", "046")
MOBILE = "15811112222"
REPLY = f"已联系申请人（身份证 {ID_NUMBER}，电话 {MOBILE}），数据将按计划开放。"
SUBMISSIONS = {
    "opening_request": (
        "/opening-requests",
        {"dataset": "taxi-permits", "description": "研究出租车供给缺口", "contact": CONTACT},
    ),
    "error_report": (
        "/error-reports",
        {"dataset": "bus-lines", "description": "二号线票价写错了", "contact": CONTACT},
    ),
    "rights_objection": (
        "/rights-objections",
        {
            "dataset": "bus-fares",
            "claim": "票价表含我公司未公开协议价",
            "rights_basis": "我公司为承运企业",
            "contact": CONTACT,
        },
    ),
    "suggestion": (
        "/suggestions",
        {"dataset": "bus-stops", "content": "希望按月更新站点信息", "contact": CONTACT},
    ),
}


@pytest.fixture(scope="module")
def env(tmp_path_factory):
    built = build_env(tmp_path_factory.mktemp("case-access-web"))
    api = built["app"].test_client()
    built["cases"] = {}
    for kind, (path, body) in SUBMISSIONS.items():
        made = api.post(f"/api/v1{path}", json=body)
        assert made.status_code == 201, made.get_json()
        assert made.headers["Cache-Control"] == "private, no-store"
        built["cases"][kind] = made.get_json()
    for n in (1, 2, 3):  # three verified requesters: an assessment opens
        made = api.post(
            "/api/v1/opening-requests",
            json={"dataset": "bus-drivers", "description": "研究"},
            headers={"Authorization": built["keys"][f"holder{n}"]},
        )
    built["assessment"] = made.get_json()["assessment"]
    yield built
    built["rt"].close()


def _unknown(reference: str) -> str:
    return reference[:-4] + "9999"


def _html(response, *echoed: str) -> str:  # type: ignore[no-untyped-def]
    """The page without its CSRF token and without what the visitor typed (shown back)."""
    text = re.sub(r'name="csrf_token" value="[^"]+"', "", response.get_data(as_text=True))
    for value in echoed:
        text = text.replace(value, "…")
    return text


def _every_case(env):  # type: ignore[no-untyped-def]
    yield from env["cases"].items()
    yield "assessment", env["assessment"]


def test_case_pages_answer_outsiders_as_for_an_unknown_reference(env):
    for client in (env["app"].test_client(), _login(env, "reviewer2"), _login(env, "citizen1")):
        for kind, case in _every_case(env):
            page, api = CASE_PAGES[kind]
            for prefix in (page, api):
                unknown = client.get(prefix + _unknown(case["reference"]))
                assert unknown.status_code == 404
                for key in (case["reference"], case["id"]):
                    hidden = client.get(prefix + key)
                    assert hidden.status_code == 404, (kind, prefix)
                    assert _html(hidden) == _html(unknown), (kind, prefix)


def test_a_department_step_tells_an_outsider_nothing_either(env):
    api = env["app"].test_client()
    outsider = {"Authorization": env["keys"]["reviewer2"]}
    steps = {"rights_objection": "decision", "assessment": "complete"}
    for kind, case in _every_case(env):
        path = CASE_PAGES[kind][1] + "{}/" + steps.get(kind, "reply")
        unknown = api.post(path.format(_unknown(case["reference"])), json={}, headers=outsider)
        assert unknown.status_code == 404
        for key in (case["reference"], case["id"]):
            refused = api.post(path.format(key), json={}, headers=outsider)
            assert refused.status_code == 404 and refused.get_json() == unknown.get_json()


def test_the_api_opens_a_case_with_its_code_in_a_header_and_not_with_a_wrong_one(env):
    api = env["app"].test_client()
    for kind, case in env["cases"].items():
        path = CASE_PAGES[kind][1]
        unknown = api.get(path + _unknown(case["reference"]), headers={"X-Access-Code": "0" * 20})
        for key in (case["reference"], case["id"]):
            shown = api.get(path + key, headers={"X-Access-Code": case["access_code"].lower()})
            assert (
                shown.status_code == 200 and shown.headers["Cache-Control"] == "private, no-store"
            )
            assert shown.get_json()["access"] == "code" and "access_code" not in shown.get_json()
            assert shown.get_json()["contact"]["phone"] == PHONE
            other = env["cases"]["suggestion" if kind != "suggestion" else "error_report"]
            for wrong in ("0" * 20, other["access_code"], "不是查询码", "x" * 5000):
                refused = api.get(path + key, headers={"X-Access-Code": wrong})
                assert refused.status_code == 404
                assert refused.get_json() == unknown.get_json()
            # the query string is not a way to send the code (it would land in the logs)
            assert api.get(f"{path}{key}?code={case['access_code']}").status_code == 404


def test_the_lookup_form_opens_a_case_with_reference_and_code_only(env):
    case = env["cases"]["error_report"]
    visitor = env["app"].test_client()
    assert visitor.get("/services/lookup?reference=" + case["reference"]).status_code == 200
    unknown = _lookup(visitor, _unknown(case["reference"]), case["access_code"])
    assert unknown.status_code == 404 and "请核对受理编号和查询码" in unknown.get_data(as_text=True)
    for reference, code in (
        (case["reference"], ""),
        (case["reference"], env["cases"]["suggestion"]["access_code"]),
        (case["id"], case["access_code"]),
    ):
        refused = _lookup(visitor, reference, code)
        assert refused.status_code == 404
        assert _html(refused, reference) == _html(unknown, _unknown(case["reference"]))
    assert visitor.get(CASE_PAGES["error_report"][0] + case["id"]).status_code == 404
    opened = _lookup(visitor, case["reference"], case["access_code"].replace("-", " "))
    assert opened.status_code == 303 and case["access_code"] not in opened.location
    assert opened.location.endswith(f"/services/error-report/{case['id']}")
    page = visitor.get(opened.location).get_data(as_text=True)
    assert "二号线票价写错了" in page and PHONE in page and "您正凭查询码查看本事项" in page
    assert "答复纠错" not in page and 'class="access-code-value"' not in page
    # leaving: the browser holds the code no more
    left = visitor.post("/services/forget", data={"csrf_token": _token(page)})
    assert left.status_code == 303
    assert visitor.get(opened.location).status_code == 404


def test_bad_lookup_input_is_a_404_or_a_400_never_an_error(env):
    visitor = env["app"].test_client()
    for reference, code in (
        ("", ""),
        ("XQ-", "----"),
        ("XQ-20260101-0001" * 50, "A" * 10_000),
        ("SQ-20260101-0001", "\x00"),
        ("<script>", "码码码"),
    ):
        assert _lookup(visitor, reference, code).status_code == 404
    no_token = visitor.post("/services/lookup", data={"reference": "XQ-1", "code": "x"})
    assert no_token.status_code == 400
    for path in ("/services/opening-request/%00", "/services/suggestion/" + "9" * 3000):
        assert visitor.get(path).status_code == 404


def test_the_form_shows_the_code_once_and_never_in_a_url(env):
    requester = env["app"].test_client()
    made = _submit(
        requester,
        "/services/suggestion/new",
        {
            "department": env["department"],
            "content": "公交站点加无障碍信息",
            "contact_name": "李雷",
            "contact_email": "li.lei@example.com",
        },
    )
    assert made.status_code == 303
    first = requester.get(made.location).get_data(as_text=True)
    code = _code(first)
    assert code not in made.location and "请记下受理编号和查询码" in first
    assert "公交站点加无障碍信息" in first
    again = requester.get(made.location).get_data(as_text=True)
    assert "公交站点加无障碍信息" in again and code not in again  # shown once
    reference = re.search(r"受理编号</th><td>([A-Z]{2}-\d{8}-\d{4})<", first).group(1)
    elsewhere = env["app"].test_client()
    assert elsewhere.get(made.location).status_code == 404
    assert _lookup(elsewhere, reference, code).status_code == 303
    assert "公交站点加无障碍信息" in elsewhere.get(made.location).get_data(as_text=True)


def test_participants_still_see_the_case_pages(env):
    request = env["cases"]["opening_request"]
    page = CASE_PAGES["opening_request"][0] + request["reference"]
    for name, form in (("reviewer1", True), ("bureau1", False)):
        html = _login(env, name).get(page).get_data(as_text=True)
        assert "研究出租车供给缺口" in html and PHONE in html
        assert ("答复开放需求" in html) is form
    assessment = CASE_PAGES["assessment"][0] + env["assessment"]["reference"]
    html = _login(env, "reviewer1").get(assessment).get_data(as_text=True)
    assert "完成开放评估" in html and "相关开放需求" in html
    mine = _login(env, "holder1").get("/services/mine").get_data(as_text=True)
    link = re.search(r'href="(/services/opening-request/[^"]+)"', mine).group(1)
    assert "研究" in _login(env, "holder1").get(link).get_data(as_text=True)


def test_a_reply_with_an_id_number_and_a_mobile_is_blanked_on_every_public_view(env):
    reviewer = {"Authorization": env["keys"]["reviewer1"]}
    api = env["app"].test_client()
    later = "2099-12-31"
    for kind, step, body in (
        ("opening_request", "reply", {"category": "will_open", "open_by": later}),
        ("error_report", "reply", {"corrected": True}),
        ("suggestion", "reply", {}),
        ("rights_objection", "decision", {"decision": "restore"}),
    ):
        case = env["cases"][kind]
        done = api.post(
            f"{CASE_PAGES[kind][1]}{case['id']}/{step}",
            json={**body, "reply": REPLY},
            headers=reviewer,
        )
        assert done.status_code == 200, done.get_json()
    visitor = env["app"].test_client()
    log = visitor.get("/transparency").get_data(as_text=True)
    log += visitor.get("/api/v1/transparency/decisions?per_page=100").get_data(as_text=True)
    log += visitor.get("/transparency/open-list.csv").get_data(as_text=True)
    assert log.count("数据将按计划开放") >= 8 and REDACTED in log
    for secret in (ID_NUMBER, MOBILE, PHONE, CONTACT["name"], "研究出租车供给缺口"):
        assert secret not in log, secret
    # the crawler: every case page is a 404 to the public, and no case secret is anywhere
    secrets = case_secrets(env["rt"])
    assert {ID_NUMBER, MOBILE, PHONE, "二号线票价写错了"} <= secrets
    channels = crawl(visitor, env["rt"])
    assert any(url.startswith("/transparency?page=") for url in channels)
    assert any(url.startswith("/services/rights-objection/") for url in channels)
    assert find_leaks(channels, secrets) == []


def test_the_crawler_catches_an_open_case_page_and_an_unblanked_reply(env, monkeypatch):
    visitor = env["app"].test_client()
    with monkeypatch.context() as patched:
        patched.setattr("datasets.workflows.case_access.can_view", lambda actor, case: True)
        with pytest.raises(AssertionError, match="case pages open to an anonymous visitor"):
            crawl(visitor, env["rt"])
    api = env["app"].test_client()
    case = env["cases"]["suggestion"]
    if case["id"] not in api.get("/api/v1/transparency/decisions?per_page=100").get_data(
        as_text=True
    ):
        api.post(
            f"/api/v1/suggestions/{case['id']}/reply",
            json={"reply": REPLY},
            headers={"Authorization": env["keys"]["reviewer1"]},
        )
    monkeypatch.setattr(
        "datasets.workflows.transparency.public_log.public_reply",
        lambda session, case: case.reply or "",
    )
    leaks = find_leaks(crawl(visitor, env["rt"]), case_secrets(env["rt"]))
    assert any(where.startswith("/transparency") and value == ID_NUMBER for where, value in leaks)
