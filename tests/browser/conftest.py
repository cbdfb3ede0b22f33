"""A real server (threaded werkzeug) on a free port and Debian's Chromium driven by Playwright."""

from __future__ import annotations

import shutil

import pytest

CHROMIUM = "/usr/bin/chromium"
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]


@pytest.fixture(scope="session")
def live_server(live: str) -> str:
    return live


@pytest.fixture(scope="session")
def browser():  # type: ignore[no-untyped-def]
    if shutil.which("chromium") is None:
        pytest.fail("Debian's chromium is not installed (make test installs it)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        instance = playwright.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        yield instance
        instance.close()


@pytest.fixture
def page(browser):  # type: ignore[no-untyped-def]
    context = browser.new_context(locale="zh-CN", accept_downloads=True)
    tab = context.new_page()
    yield tab
    context.close()
