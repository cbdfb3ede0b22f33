"""An application for conditional data in a real browser: a company applies through the form, a
reviewer of the department approves it from 工作台, the company signs the agreement and gets
the grant with its download."""

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


@pytest.fixture(scope="module")
def journey_server(tmp_path_factory):
    """A real server over a writable demo catalog with a company and a reviewer of the
    dataset's department (the shared live_server's catalog must not be written to)."""
    rt = make_runtime(tmp_path_factory.mktemp("journey") / "instance")
    harvest_demo(rt)
    department = catalog.package_show(rt, id_or_name=DATASET, base_url="")["organization"]["name"]
    create_user(
        rt,
        name="acme",
        role="company",
        password=PASSWORD,
        company_name="江州数智科技有限公司",
        credit_code="91350100M000100Y43",
        legal_representative="王五",
        phone="0791-88886666",
    )
    create_user(rt, name="health", role="reviewer", password=PASSWORD, department=department)
    app = create_app({"instance": str(rt.paths.root), "ratelimit_enabled": False})
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    rt.close()


def _sign_in(page, base: str, name: str) -> None:
    page.goto(base + "/login")
    page.get_by_label("用户名").fill(name)
    page.get_by_label("密码").fill(PASSWORD)
    page.get_by_role("button", name="登录").click()
    page.wait_for_url(lambda url: "/login" not in url)  # each role lands where its work is
    assert page.get_by_role("button", name="退出").is_visible()


def _sign_out(page) -> None:
    page.get_by_role("button", name="退出").click()
    page.wait_for_load_state()
    assert page.get_by_role("link", name="登录", exact=True).is_visible()


def test_apply_approve_sign_and_download(page, journey_server, tmp_path):
    base = journey_server

    # the company finds the dataset, opens the form from its page and applies
    _sign_in(page, base, "acme")
    page.goto(f"{base}/dataset/{DATASET}")
    page.get_by_role("link", name="申请使用").click()
    page.wait_for_url(f"**/services/apply/{DATASET}")
    assert page.get_by_role("heading", level=1).inner_text() == "申请使用有条件开放数据"
    page.get_by_label("使用用途").fill("医疗资源布局研究")
    page.get_by_label("使用范围").fill("本公司研究团队内部使用")
    page.get_by_label("应用场景").fill("分析各区执业医师分布")
    page.get_by_label("安全保障措施").fill("等级保护三级，专人专机")
    page.get_by_label("申请全部字段").check()
    page.get_by_label("使用期限（月）").fill("6")
    page.get_by_label("文件下载").check()
    page.get_by_role("button", name="提交申请").click()
    page.wait_for_url("**/services/application/**")
    assert page.get_by_text("申请已提交").is_visible()
    assert page.get_by_text("已受理，待审核").first.is_visible()
    reference = re.search(r"SQ-\d{8}-\d{4}", page.get_by_role("heading", level=1).inner_text())
    assert reference is not None
    reference = reference.group(0)
    _sign_out(page)

    # a reviewer of the department finds it in 工作台 and approves it
    _sign_in(page, base, "health")
    page.get_by_role("link", name="工作台").click()
    page.wait_for_url("**/workspace")
    row = page.locator("tr", has_text=reference)
    assert row.is_visible() and "执业医师注册信息" in row.inner_text()
    row.get_by_role("link", name=reference).click()
    page.wait_for_url("**/services/application/**")
    page.get_by_label("同意", exact=True).check()
    page.get_by_role("button", name="作出决定").click()
    page.wait_for_load_state()
    assert page.get_by_text("已作出决定：已同意，待签署协议").is_visible()
    _sign_out(page)

    # the company sees the decision, signs the agreement and gets the grant
    _sign_in(page, base, "acme")
    page.get_by_role("link", name="我的申请").click()
    page.wait_for_url("**/services/mine")
    row = page.locator("tr", has_text=reference)
    assert "已同意，待签署协议" in row.inner_text()
    row.get_by_role("link", name=reference).click()
    page.wait_for_url("**/services/application/**")
    assert page.get_by_role("region", name="数据使用协议全文").is_visible()
    page.get_by_label("我已阅读并同意遵守上述数据使用协议").check()
    page.get_by_role("button", name="签署协议").click()
    page.wait_for_url("**/services/grants/**")
    assert page.get_by_text(
        re.compile(r"已签署数据使用协议，授权 SQQ-\d{8}-\d{4} 生效")
    ).is_visible()
    assert page.get_by_role("heading", name="授权范围").is_visible()
    assert "全部字段" in page.locator("table.meta-table").inner_text()

    page.screenshot(path=str(tmp_path / "grant.png"), full_page=True)
    # the download is the original, with what the public preview masks
    with page.expect_download() as info:
        page.get_by_role("link", name=re.compile("^下载 CSV")).first.click()
    target = tmp_path / "physicians.csv"
    info.value.save_as(target)
    text = target.read_text(encoding="utf-8-sig")
    assert text.splitlines()[0].startswith("姓名")
    assert re.search(r"\b\d{17}[\dX]\b", text), "full 身份证号, not masked"
    page.reload()
    assert page.get_by_role("cell", name="下载").first.is_visible()  # the access log
