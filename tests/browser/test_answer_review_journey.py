"""A citizen seeks 复核 of a department's answer to their request to open data, in a real
browser (岳阳 第二十八条第二款): the citizen files the request without an account, the
department's reviewer refuses it, the citizen — holding only the request's code, which the
browser remembers — asks the bureau for 复核 on the request's page, the bureau overturns the
answer, and the citizen reads the decision on the same page."""

from __future__ import annotations

import re
import threading

import pytest
from werkzeug.serving import make_server

from datasets.accounts.users import create_user
from datasets.catalog import services as catalog
from portal.app import create_app
from tests.conftest import harvest_demo
from tests.factories import make_runtime

pytestmark = pytest.mark.browser

PASSWORD = "correct horse battery"
DATASET = "jiangzhou-licensed-physicians"
REASON = "同类城市已开放执业医师的执业类别和执业机构，请重新评估"


@pytest.fixture(scope="module")
def review_server(tmp_path_factory):
    """A real server over a writable demo catalog with a reviewer of the dataset's department
    and a bureau officer."""
    rt = make_runtime(tmp_path_factory.mktemp("answer-review") / "instance")
    harvest_demo(rt)
    department = catalog.package_show(rt, id_or_name=DATASET, base_url="")["organization"]["name"]
    create_user(rt, name="health", role="reviewer", password=PASSWORD, department=department)
    create_user(rt, name="bureau", role="bureau", password=PASSWORD)
    app = create_app({"instance": str(rt.paths.root), "ratelimit_enabled": False})
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    rt.close()


def _signed_in(browser, base: str, name: str):  # type: ignore[no-untyped-def]
    """A tab of a new browser context signed in as ``name``."""
    tab = browser.new_context(locale="zh-CN").new_page()
    tab.goto(base + "/login")
    tab.get_by_label("用户名").fill(name)
    tab.get_by_label("密码").fill(PASSWORD)
    tab.get_by_role("button", name="登录").click()
    tab.wait_for_load_state()
    assert tab.get_by_role("button", name="退出").is_visible()
    return tab


def test_a_citizen_seeks_review_of_an_answer(page, browser, review_server):
    base = review_server

    # the citizen asks, without an account, for the conditional dataset to be opened
    page.goto(f"{base}/services/opening-request/new?dataset={DATASET}")
    page.get_by_label("数据用途").fill("研究全市医疗资源布局")
    page.get_by_label("联系人姓名").fill("张伟")
    page.get_by_label("联系电话").fill("13912345678")
    page.get_by_role("button", name="提交开放需求").click()
    page.wait_for_url("**/services/opening-request/**")
    request_url = page.url
    reference = re.search(r"XQ-\d{8}-\d{4}", page.content()).group(0)
    assert page.get_by_text("已受理，待答复").first.is_visible()

    # the department's reviewer refuses it
    reviewer = _signed_in(browser, base, "health")
    reviewer.goto(request_url)
    reviewer.get_by_label("答复类别").select_option(label="不予开放")
    reviewer.get_by_label("答复内容").fill("涉及个人信息，不予开放")
    reviewer.get_by_label("不予开放依据").select_option(index=1)
    reviewer.get_by_role("button", name="提交答复").click()
    reviewer.wait_for_load_state()
    assert reviewer.get_by_text("已办理：已答复").is_visible()

    # the citizen reads the answer and asks the bureau for 复核 on the same page
    page.goto(request_url)
    assert page.get_by_role("heading", name=re.compile("答复：不予开放")).is_visible()
    assert page.get_by_text("申请复核期限").is_visible()
    page.get_by_label("异议理由").fill(REASON)
    page.get_by_role("button", name="申请复核").click()
    page.wait_for_load_state()
    assert page.get_by_text("复核申请已提交").is_visible()
    objection = re.search(r"FH-\d{8}-\d{4}", page.content()).group(0)
    assert page.get_by_text("已受理，复核中").first.is_visible()
    assert page.get_by_role("button", name="申请复核").count() == 0  # once per request

    # the bureau finds it in 复核与督办 and overturns the answer
    bureau = _signed_in(browser, base, "bureau")
    bureau.goto(base + "/bureau")
    bureau.get_by_role("link", name=objection).first.click()
    bureau.wait_for_url("**/services/objection/**")
    assert bureau.get_by_text(reference).first.is_visible()
    assert bureau.get_by_text(REASON).is_visible()
    bureau.get_by_label("撤销原答复，责令重新答复").check()
    bureau.get_by_label("复核理由").fill("所列理由不足，请部门重新答复")
    bureau.get_by_role("button", name="作出复核决定").click()
    bureau.wait_for_load_state()
    assert bureau.get_by_text("已作出复核决定").is_visible()

    # the citizen reads the decision on the request's page
    page.goto(request_url)
    assert page.get_by_text("复核撤销原答复，待部门重新答复").first.is_visible()
    assert page.get_by_text("所列理由不足，请部门重新答复").is_visible()
