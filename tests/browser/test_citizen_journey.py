"""A citizen searches, opens a dataset and downloads its file, in a real browser."""

import pytest

pytestmark = pytest.mark.browser


def test_search_open_and_download(page, live_server, tmp_path):
    page.goto(live_server + "/")
    page.get_by_label("搜索数据集").first.fill("公交")
    page.get_by_role("button", name="搜索").first.click()
    page.wait_for_url("**/search?**")
    results = page.locator("article.result")
    assert results.count() == 2
    page.get_by_role("link", name="公交线路信息").click()
    page.wait_for_url("**/dataset/**")
    assert page.get_by_role("heading", level=1).inner_text() == "公交线路信息"
    with page.expect_download() as info:
        page.get_by_role("link", name="下载 CSV").first.click()
    target = tmp_path / "download.csv"
    info.value.save_as(target)
    assert target.read_text(encoding="utf-8").splitlines()[0].startswith("线路")


def test_conditional_dataset_offers_no_download(page, live_server):
    page.goto(live_server + "/search?openness=conditional")
    page.locator("article.result a").first.click()
    page.wait_for_url("**/dataset/**")
    assert page.get_by_text("申请后可获取").count() >= 1
    assert page.get_by_role("link", name="下载 CSV").count() == 0


def test_large_text_mode_is_remembered(page, live_server):
    page.goto(live_server + "/")
    page.get_by_role("button", name="大字版").click()
    assert "large-text" in page.evaluate("document.documentElement.className")
    page.goto(live_server + "/rules")
    assert "large-text" in page.evaluate("document.documentElement.className")


def test_phone_layout_has_no_horizontal_scrolling(browser, live_server):
    context = browser.new_context(viewport={"width": 360, "height": 740}, locale="zh-CN")
    tab = context.new_page()
    for path in ("/", "/search?q=公交", "/dataset/jiangzhou-public-parking", "/rules"):
        tab.goto(live_server + path)
        overflow = tab.evaluate(
            "document.documentElement.scrollWidth - document.documentElement.clientWidth"
        )
        assert overflow <= 0, path
    context.close()
