"""A developer (or a curious citizen) browses a whole table from the dataset page's preview:
filters by a column, sorts by another, and pages through, in a real browser without scripts
being needed."""

import pytest

pytestmark = pytest.mark.browser


def test_filter_sort_and_page_a_table(page, live_server):
    page.goto(live_server + "/dataset/jiangzhou-bus-lines")
    page.get_by_role("link", name="浏览全部 64 行").first.click()
    page.wait_for_url("**/rows**")
    assert page.locator("table.rows-table tbody tr").count() == 50
    page.get_by_label("字段").select_option("站点数")
    page.get_by_label("条件").select_option("gte")
    page.get_by_label("值").fill("30")
    page.get_by_role("button", name="添加筛选").click()
    page.wait_for_url("**__gte=30**")
    page.get_by_role("link", name="按 票价(元) 升序").click()
    page.wait_for_url("**_sort=**")
    headers = page.locator("table.rows-table thead th").all_inner_texts()
    stops = headers.index("站点数")
    fares = headers.index("票价(元) ▲")
    rows = page.locator("table.rows-table tbody tr")
    cells = [rows.nth(i).locator("td").all_inner_texts() for i in range(rows.count())]
    assert cells and all(int(c[stops]) >= 30 for c in cells)
    values = [float(c[fares]) for c in cells]
    assert values == sorted(values)
    total = page.locator("p", has_text="共").first.inner_text()
    assert f"共 {len(cells)} 行" in total.replace(",", "")
    page.get_by_role("link", name="去掉筛选 站点数").click()
    page.wait_for_load_state()
    assert page.locator("table.rows-table tbody tr").count() == 50
    page.get_by_role("link", name="下一页").click()
    page.wait_for_url("**_next=**")
    assert page.locator("table.rows-table tbody tr").count() == 14
