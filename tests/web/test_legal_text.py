"""The legal text is configuration: the bundled ``config/legal.toml`` keeps the 岳阳 texts, a
file of a 江州 portal changes every page and notice that cites them, and a wrong file stops
the start with a message naming the file and the key."""

from __future__ import annotations

from pathlib import Path

import pytest

from datasets.errors import ConfigError
from datasets.legal import DEFAULT_LEGAL_TEXT, load_legal_text
from datasets.settings import load_settings
from portal.app import create_app
from tests.factories import sign_in
from tests.services.test_transparency import PASSWORD, build_world

JIANGZHOU = """\
city = "江州市"
supervisor = "江州市数据局"
regulation = "《江州市公共数据开放管理办法》"

[articles]
state-secret = "第十二条第一项"
security = "第十二条第二项"
privacy-trade-secret = "第十二条第三项"
agreement-ip = "第十二条第四项"
law-other-channel = "第十二条第五项"
deidentified = "第十三条"
"""


def test_the_default_keeps_the_yueyang_texts():
    legal = load_settings({}, environ={}).legal
    assert legal.path == DEFAULT_LEGAL_TEXT
    assert legal.regulation == "《岳阳市政务信息资源管理暂行办法》"
    assert legal.article("security") == "《岳阳市政务信息资源管理暂行办法》第二十六条第（二）项"
    assert legal.article("deidentified").endswith("第二十六条第二款")
    settings = load_settings({}, environ={})
    assert settings.supervisor_name == "江州市行政审批服务局" and settings.region_name == "江州市"


@pytest.mark.parametrize(
    ("text", "said"),
    [
        (None, "不存在"),
        ("city = ", "不是有效的 TOML"),
        (JIANGZHOU.replace('city = "江州市"', 'town = "江州市"'), "未知的配置项 town"),
        (JIANGZHOU.replace('deidentified = "第十三条"\n', ""), "缺少 articles.deidentified"),
        (JIANGZHOU.replace('security = "第十二条第二项"', 'security = ""'), "articles.security"),
        (JIANGZHOU.replace('supervisor = "江州市数据局"', "supervisor = 3"), "supervisor"),
        (JIANGZHOU + 'treason = "第一条"\n', "未知的条款 treason"),
    ],
    ids=["missing", "not toml", "unknown key", "missing article", "empty", "not text", "extra"],
)
def test_a_wrong_file_stops_the_start_naming_file_and_key(tmp_path, text, said):
    path = tmp_path / "legal.toml"
    if text is not None:
        path.write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError) as caught:
        load_settings({"legal_text": str(path)}, environ={})
    assert said in str(caught.value) and str(path) in str(caught.value)


@pytest.fixture(scope="module")
def jiangzhou(tmp_path_factory):
    folder = tmp_path_factory.mktemp("legal")
    path = Path(folder / "jiangzhou.toml")
    path.write_text(JIANGZHOU, encoding="utf-8")
    assert load_legal_text(path).supervisor == "江州市数据局"
    world = build_world(folder / "instance", legal_text=str(path))
    settings = {"instance": str(world.rt.paths.root), "ratelimit_enabled": False}
    app = create_app({**settings, "legal_text": str(path)})
    app.config.update(TESTING=True)
    yield world, app
    world.rt.close()


def test_a_jiangzhou_file_changes_every_page_and_notice_citing_it(jiangzhou):
    world, app = jiangzhou
    anonymous = app.test_client()
    pages = {
        url: anonymous.get(url).get_data(as_text=True)
        for url in ("/", "/rules", "/dataset/tax", "/dataset/road-plan", "/transparency/stats")
    }
    rules = pages["/rules"]
    assert "《江州市公共数据开放管理办法》第十二条第三项" in rules
    assert "《江州市公共数据开放管理办法》第十三条" in rules  # de-identified data opens
    assert "依据《江州市公共数据开放管理办法》" in rules
    # the closed entries cite the article of their rule
    assert "《江州市公共数据开放管理办法》第十二条第三项" in pages["/dataset/tax"]
    assert "《江州市公共数据开放管理办法》第十二条第二项" in pages["/dataset/road-plan"]
    for url, html in pages.items():
        assert "主管部门：江州市数据局" in html, url  # the footer of every page
        assert "岳阳" not in html and "行政审批服务局" not in html, url
    # the refusal notice tells the applicant where to seek 复核
    company = sign_in(app, "company1", PASSWORD)
    notices = company.get("/notifications").get_data(as_text=True)
    assert "向江州市数据局申请复核" in notices and "行政审批服务局" not in notices
    objection = company.get(f"/services/objection/{world.ids['objection']}")
    assert "江州市数据局" in objection.get_data(as_text=True)
    # and the machine-readable catalog names the bureau as its publisher
    assert "江州市数据局" in anonymous.get("/catalog.ttl").get_data(as_text=True)
