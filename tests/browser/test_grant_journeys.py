"""Two journeys of issue 16 in a real browser: a grant holder downloads from the dataset page
itself (not only from the grant page), and a reviewer sees the applying company's identity and
opens its supporting document. The grant holder's page is the README's screenshot."""

from __future__ import annotations

import os
import re
import shutil
import threading
from pathlib import Path

import pytest
from sqlalchemy import select
from werkzeug.serving import make_server

from datasets.accounts.permissions import Actor
from datasets.accounts.users import create_user
from datasets.models import User
from datasets.workflows import application_decisions, applications, attachments
from datasets.workflows import step_requests as req
from portal.app import create_app
from tests.factories import make_runtime, pdf_bytes, services_catalog

pytestmark = pytest.mark.browser

PASSWORD = "correct horse battery"
COMPANY = "江州智医科技有限公司"
CODE = "91350100M000100Y43"
BODY = {
    "purpose": "医疗资源布局研究",
    "scope": "本公司研究团队内部使用",
    "scenario": "分析各区执业医师分布",
    "security_measures": "等级保护三级，专人专机",
    "period_months": 12,
    "fields": "all",
    "access_mode": "download",
}
# where the README's screenshot goes when README_SCREENSHOTS is set
DOCS = Path(__file__).resolve().parents[2] / "docs"


def _actor(rt, name: str) -> Actor:
    with rt.reader() as session:
        user = session.scalar(select(User).where(User.name == name))
        return Actor(name, user.id, frozenset({user.role}), user.organization_id)


@pytest.fixture(scope="module")
def cases_server(tmp_path_factory):
    """A real server over the services catalog: acme holds a grant on the physicians'
    register; its application for the medical-assistance list, with a PDF, awaits review."""
    folder = tmp_path_factory.mktemp("grant-journeys")
    rt = make_runtime(folder / "instance")
    names = services_catalog(rt, folder)
    create_user(
        rt,
        name="acme",
        role="company",
        password=PASSWORD,
        company_name=COMPANY,
        credit_code=CODE,
        legal_representative="王五",
        phone="0791-88886666",
    )
    create_user(
        rt, name="health", role="reviewer", password=PASSWORD, department="江州市卫生健康委员会"
    )
    acme, health = _actor(rt, "acme"), _actor(rt, "health")
    granted = applications.submit(
        rt, acme, req.Application.parse({**BODY, "dataset": names["conditional"]}, rt.settings)
    )
    approval = req.Decision.parse({"decision": "approve"})
    application_decisions.decide(rt, health, granted["id"], approval)
    version = applications.current_agreement().version
    applications.sign(
        rt, acme, granted["id"], req.Signature.parse({"agreement_version": version, "accept": True})
    )
    pending = applications.submit(
        rt, acme, req.Application.parse({**BODY, "dataset": names["conditional2"]}, rt.settings)
    )
    document = attachments.Upload("等保备案证明.pdf", pdf_bytes("record 36010012345"))
    attachments.attach(rt, acme, pending["id"], document)
    app = create_app({"instance": str(rt.paths.root), "ratelimit_enabled": False})
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}", names, pending["reference"]
    server.shutdown()
    rt.close()


def _sign_in(page, base: str, name: str) -> None:
    page.goto(base + "/login")
    page.get_by_label("用户名").fill(name)
    page.get_by_label("密码").fill(PASSWORD)
    page.get_by_role("button", name="登录").click()
    page.wait_for_url(lambda url: "/login" not in url)


def test_a_grant_holder_downloads_from_the_dataset_page(page, cases_server, tmp_path):
    base, names, _ = cases_server
    _sign_in(page, base, "acme")
    page.goto(f"{base}/dataset/{names['conditional']}")
    access = page.locator("#my-access")
    assert access.get_by_role("heading", name="您的授权").is_visible()
    assert "有效" in access.inner_text() and "全部字段" in access.inner_text()
    assert page.get_by_role("link", name="申请使用").count() == 0
    assert page.get_by_text("申请后可获取").count() == 0

    shot = tmp_path / "screenshot-grant-holder.png"
    page.set_viewport_size({"width": 1000, "height": 1250})
    page.screenshot(path=str(shot), full_page=False)
    if os.environ.get("README_SCREENSHOTS"):
        shutil.copyfile(shot, DOCS / "screenshot-grant-holder.png")

    with page.expect_download() as info:
        page.get_by_role("link", name=re.compile("^下载 CSV")).first.click()
    target = tmp_path / "physicians.csv"
    info.value.save_as(target)
    text = target.read_text(encoding="utf-8-sig")
    assert text.splitlines()[0].startswith("姓名") and "110101199003071234" in text

    # the signed agreement is one link away, as a document naming both parties
    page.get_by_role("link", name="查看已签署的协议").click()
    page.wait_for_url("**/agreement")
    region = page.get_by_role("region", name="数据使用协议全文")
    assert COMPANY in region.inner_text() and "江州市卫生健康委员会" in region.inner_text()


def test_a_reviewer_sees_the_company_and_its_documents(page, cases_server, tmp_path):
    base, _, reference = cases_server
    _sign_in(page, base, "health")
    assert page.url.endswith("/workspace")  # the reviewer lands on 工作台
    page.locator("tr", has_text=reference).get_by_role("link", name=reference).click()
    page.wait_for_url("**/services/application/**")
    applicant = page.locator("section", has=page.get_by_role("heading", name="申请人", exact=True))
    shown = applicant.inner_text()
    assert COMPANY in shown and CODE in shown and "王五" in shown and "0791-88886666" in shown
    with page.expect_download() as info:
        page.get_by_role("link", name="等保备案证明.pdf").click()
    target = tmp_path / "document.pdf"
    info.value.save_as(target)
    assert target.read_bytes() == pdf_bytes("record 36010012345")
