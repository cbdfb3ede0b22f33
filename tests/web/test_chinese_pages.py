"""Chinese throughout, and honest badges: every page of a seeded demo instance, as each role
(anonymous, citizen, company, reviewer, bureau, operator), is read for English words
(``tests/web/chinese_crawl.py`` says what counts) and for times not given in Shanghai time; the
crawler is shown to catch an English word. Closed entries carry no quality badge anywhere."""

from __future__ import annotations

import re

import pytest

from datasets.accounts.users import create_user
from datasets.catalog import services as catalog
from datasets.catalog.quality import refresh_quality
from portal.app import create_app
from tests.conftest import harvest_demo
from tests.factories import csrf_token, make_runtime, sign_in
from tests.web.chinese_crawl import crawl, english_words, read_page, report

PASSWORD = "correct horse battery"
PHYSICIANS = "jiangzhou-licensed-physicians"
ASSISTANCE = "jiangzhou-medical-assistance"
CLOSED = "jiangzhou-taxpayer-information"
APPLICATION = {
    "purpose": "医疗资源布局研究",
    "scope": "本公司研究团队内部使用",
    "scenario": "分析各区执业医师分布",
    "security_measures": "等级保护三级，专人专机，用后销毁",
    "period_months": "12",
    "access_mode": "download",
    "field_scope": "all",  # requesting every field is an explicit choice
}
CARD = r"<article class=\"(?:result|card dataset-card)\">.*?</article>"
ROLES = ("citizen1", "company1", "reviewer1", "bureau1", "operator1")
STARTS = {
    None: ["/", "/services", "/transparency", "/transparency/stats", "/api", "/login"],
    "citizen1": ["/", "/services/mine", "/account", "/notifications"],
    "company1": ["/", "/services/mine", "/account", "/notifications"],
    "reviewer1": ["/", "/workspace", "/account", "/notifications"],
    "bureau1": ["/", "/bureau", "/account", "/notifications"],
    "operator1": ["/", "/admin/", "/admin/quarantine", "/admin/harvest", "/account"],
}


def _post(client, page: str, action: str, data: dict):  # type: ignore[no-untyped-def]
    token = csrf_token(client.get(page).get_data(as_text=True))
    response = client.post(action, data={"csrf_token": token, **data})
    assert response.status_code == 303, response.get_data(as_text=True)[:1500]
    return response.location


def _seed(rt, app) -> None:  # type: ignore[no-untyped-def]
    """Users of every role, and cases in each state a page lists: a grant, a refusal under
    复核, an opening request answered with a rule, an error report."""

    def department(name: str) -> str:
        return catalog.package_show(rt, id_or_name=name, base_url="")["organization"]["name"]

    create_user(
        rt, name="company1", role="company", password=PASSWORD,
        company_name="江州数智科技有限公司", credit_code="91350100M000100Y43",
        legal_representative="王五", phone="0791-88886666",
    )  # fmt: skip
    create_user(rt, name="citizen1", role="citizen", password=PASSWORD, phone="13700002222")
    create_user(
        rt, name="reviewer1", role="reviewer", password=PASSWORD, department=department(PHYSICIANS)
    )
    create_user(
        rt, name="reviewer2", role="reviewer", password=PASSWORD, department=department(ASSISTANCE)
    )
    create_user(
        rt, name="reviewer3", role="reviewer", password=PASSWORD, department=department(CLOSED)
    )
    create_user(rt, name="bureau1", role="bureau", password=PASSWORD)
    create_user(rt, name="operator1", role="operator", password=PASSWORD)
    company, citizen = sign_in(app, "company1", PASSWORD), sign_in(app, "citizen1", PASSWORD)
    health, insurer = sign_in(app, "reviewer1", PASSWORD), sign_in(app, "reviewer2", PASSWORD)

    apply = f"/services/apply/{PHYSICIANS}"
    granted = _post(company, apply, apply, APPLICATION)
    _post(health, granted, granted + "/decision", {"decision": "approve", "reason": ""})
    page = company.get(granted).get_data(as_text=True)
    version = re.search(r'name="agreement_version" value="([^"]+)"', page).group(1)
    _post(company, granted, granted + "/sign", {"agreement_version": version, "accept": "true"})

    apply = f"/services/apply/{ASSISTANCE}"
    refused = _post(citizen, apply, apply, APPLICATION)
    decision = {"decision": "refuse", "rule_code": "privacy-trade-secret", "reason": "涉及个人隐私"}
    _post(insurer, refused, refused + "/decision", decision)
    _post(citizen, refused, refused + "/objection", {"reason": "本人为医疗救助研究人员"})

    form = f"/services/opening-request/new?dataset={CLOSED}"
    request = _post(citizen, form, form.split("?")[0], {"dataset": CLOSED, "description": "研究"})
    reply = {"category": "refused", "rule_code": "privacy-trade-secret", "reply": "涉及纳税人信息"}
    _post(sign_in(app, "reviewer3", PASSWORD), request, request + "/reply", reply)
    form = "/services/error-report/new?dataset=jiangzhou-public-parking"
    parking = "jiangzhou-public-parking"
    error = {"dataset": parking, "location": "第 2 行", "description": "车位数有误"}
    _post(citizen, form, form.split("?")[0], error)


@pytest.fixture(scope="module")
def seeded(tmp_path_factory):  # type: ignore[no-untyped-def]
    rt = make_runtime(tmp_path_factory.mktemp("chinese") / "instance")
    harvest_demo(rt)
    refresh_quality(rt)
    app = create_app({"instance": str(rt.paths.root), "ratelimit_enabled": False})
    app.config.update(TESTING=True)
    _seed(rt, app)
    yield rt, app
    rt.close()


@pytest.mark.parametrize("role", [None, *ROLES], ids=["anonymous", *ROLES])
def test_every_page_speaks_chinese_with_shanghai_times(seeded, role):
    _rt, app = seeded
    client = app.test_client() if role is None else sign_in(app, role, PASSWORD)
    found = crawl(client, STARTS[role])
    assert found["pages"] > (60 if role is None else 20), found["pages"]
    assert not found["words"], "英文词：\n" + report(found["words"])
    assert not found["times"], f"非北京时间：{found['times']}"


def test_the_crawler_catches_english_words_but_not_codes_or_code_samples():
    text, links = read_page(
        '<p title="Quality">状态 finished，格式 CSV，编号 SQ-20261207-0001，citizen1</p>'
        "<code>package_search bus-lines</code><pre>curl https://x.example/api</pre>"
        '<a href="/dataset/bus-lines">公交</a> 见 https://data.example.gov.cn/x 或 a@b.cn'
    )
    assert english_words(text) == ["Quality", "finished"]
    assert links == ["/dataset/bus-lines"]


def test_closed_entries_carry_no_quality_badge(seeded):
    rt, app = seeded
    client = app.test_client()
    closed = catalog.package_show(rt, id_or_name=CLOSED, base_url="")
    assert closed["quality"]["grade"] is None and closed["quality_score"] is None
    for url in ("/", "/search?openness=closed", "/search?q=纳税人"):
        html = client.get(url).get_data(as_text=True)
        cards = re.findall(CARD, html, re.S)
        assert cards, url
        for card in cards:
            assert not ("badge-closed" in card and "badge-quality" in card), card
    page = client.get(f"/dataset/{CLOSED}").get_data(as_text=True)
    assert "不评定质量等级" in page and "quality-grade" not in page
    # a conditional entry: its private files are not graded, what the public sees is
    physicians = catalog.package_show(rt, id_or_name=PHYSICIANS, base_url="")["quality"]
    skipped = {c["code"] for c in physicians["criteria"] if not c["applies"]}
    assert {"machine-readable", "valid-data", "capacity"} <= skipped
    assert physicians["grade"] in ("A", "B", "C", "D")
