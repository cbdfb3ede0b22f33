import html

import pytest

from datasets.catalog.slugs import is_slug, slugify, unique_slug
from datasets.text import plain_text, render_markdown, safe_url


def test_markdown_is_rendered_and_sanitised():
    html = render_markdown(
        "**公交**线路 [详情](https://example.gov.cn) [坏](javascript:alert(1))\n\n"
        "<script>alert(1)</script><img src=x onerror=alert(1)>"
    )
    assert "<strong>公交</strong>" in html
    assert 'href="https://example.gov.cn"' in html and "nofollow" in html
    assert "<script" not in html and "alert(1)</" not in html
    assert "onerror" not in html and "<img" not in html
    assert "javascript:" not in html


def test_plain_text_drops_markup_and_scripts():
    assert plain_text("# 标题\n\n- **一**\n<script>evil()</script>") == "标题 一"


def test_plain_text_without_markup_is_what_markdown_makes_of_it():
    # descriptions as catalogs write them: the fast path must agree with Markdown's reading
    import markdown
    import nh3

    from datasets import text

    samples = [
        "全市公交线路的起讫站点与票价",
        "PM2.5 与 AQI 日报，按日更新。\n\n数据来源：市生态环境局",
        "第一段\n第二段\r\n\n\n  第三段  ",
        "金额单位为元（人民币）\u00a0含税",
        "1. 第一条\n2. 第二条",
        "2020-2021 年度 & 2022 年度",
        "    缩进的代码",
        "行尾两个空格  \n换行",
        "标题\n===",
        "<b>粗</b> &amp; 细",
    ]
    for sample in samples:
        slow = nh3.clean(markdown.markdown(sample), tags=set())
        expected = " ".join(html.unescape(slow).split())
        assert plain_text(sample) == expected, sample
    assert text._MARKUP.search(samples[0]) is None  # the fast path was taken for plain words
    assert text._MARKUP.search(samples[1]) is None


def test_slugs_fall_back_to_pinyin():
    assert slugify("公交线路信息") == "gong-jiao-xian-lu-xin-xi"
    assert slugify("PM2.5 日报") == "pm2-5-ri-bao"
    assert slugify("!!!") == "dataset"
    assert unique_slug("a", {"a", "a-2"}) == "a-3"
    assert is_slug("bus-lines") and not is_slug("Bus Lines") and not is_slug("../x")


@pytest.mark.parametrize(
    "url",
    [
        "javascript:alert(1)",
        "  JaVaScRiPt:alert(1)",
        "java\tscript:alert(1)",
        "java\nscript:alert(1)",
        "\x01javascript:alert(1)",
        "data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==",
        "vbscript:msgbox(1)",
        "file:///etc/passwd",
        "//evil.example.com/x",
        "/relative/path",
        "https:no-host",
        "mailto:",
        "",
        None,
    ],
)
def test_only_http_https_and_mailto_urls_are_safe_links(url):
    assert safe_url(url) == ""


@pytest.mark.parametrize(
    "url",
    [
        "https://creativecommons.org/licenses/by/4.0/",
        "http://data.jiangzhou.gov.cn/dataset/1?a=b",
        "mailto:data@jiangzhou.gov.cn",
    ],
)
def test_ordinary_urls_stay_as_they_are(url):
    assert safe_url(url) == url
    assert safe_url(f"  {url}\n") == url
