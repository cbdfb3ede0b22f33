"""The statistics charts in a real browser: drawn without any script, named for assistive
technology, with the period filter working as a plain form. With SCREENSHOT_DIR set,
the README's screenshots of the charts are written there."""

from __future__ import annotations

import os
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from datasets.catalog import usage
from datasets.models import Dataset, UsageCount
from portal.app import create_app
from tests.factories import serving
from tests.services.test_transparency import build_world

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def stats_server(tmp_path_factory):  # type: ignore[no-untyped-def]
    world = build_world(tmp_path_factory.mktemp("charts") / "instance")
    today = usage.today()
    with world.rt.session() as session:
        ids = dict(session.execute(select(Dataset.name, Dataset.id)).all())
        for back, (name, kind, n) in enumerate(
            [
                ("bus-lines", "view", 420),
                ("bus-lines", "download", 130),
                ("taxi-permits", "api", 75),
            ]
            * 4
        ):
            day = today - timedelta(days=1 + 31 * (back // 3))
            session.add(UsageCount(day=day, dataset_id=ids[name], kind=kind, count=n + 10 * back))
    app = create_app({"instance": str(world.rt.paths.root), "ratelimit_enabled": False})
    with serving(app) as url:
        yield url
    world.rt.close()


def test_the_charts_are_images_named_and_described(browser, stats_server):
    context = browser.new_context(
        locale="zh-CN", java_script_enabled=False, viewport={"width": 1100, "height": 900}
    )
    page = context.new_page()
    page.goto(stats_server + "/transparency/stats")
    openness = page.get_by_role("img", name="各部门在用数据集数（按开放属性）")
    assert openness.is_visible()
    assert openness.bounding_box()["width"] > 300
    trends = page.get_by_role("img", name="每月数据使用次数（浏览、下载、API 调用）")
    assert trends.is_visible()
    assert page.get_by_role("region", name="按月趋势数据表").is_visible()
    shots = os.environ.get("SCREENSHOT_DIR")
    if shots:
        page.locator("section", has=page.locator("#stats-datasets")).screenshot(
            path=str(Path(shots) / "screenshot-charts.png")
        )
        page.locator("section", has=page.locator("#stats-trends")).screenshot(
            path=str(Path(shots) / "screenshot-trends.png")
        )
    page.get_by_label("年度").select_option(str(usage.today().year))
    page.get_by_role("button", name="查看").click()
    page.wait_for_url("**/transparency/stats?**")
    assert f"统计期间 {usage.today().year}年" in page.inner_text("main")
    context.close()
