"""Public HTML pages render the catalog as a citizen sees it."""

import re
from html import unescape

import pytest


def _text(response) -> str:
    assert response.status_code == 200, response.status_code
    return _text_any(response)


def _text_any(response) -> str:
    return unescape(re.sub(r"<[^>]+>", "", response.get_data(as_text=True)))


def _api(client, action, **query):
    return client.get(f"/api/3/action/{action}", query_string=query).get_json()["result"]


def test_home_shows_counts_topics_and_departments(client):
    summary = _api(client, "package_search", rows=0)
    page = _text(client.get("/"))
    assert str(summary["count"]) in page
    for label in ("无条件开放", "有条件开放", "不予开放", "交通运输", "江州市交通运输局"):
        assert label in page
    assert 'href="/api/3/action/package_search' in client.get("/").get_data(as_text=True)


def test_search_finds_the_bus_datasets_with_highlights_and_facets(client):
    response = client.get("/search", query_string={"q": "公交"})
    html = response.get_data(as_text=True)
    text = _text(response)
    assert "公交线路信息" in text and "公交站点信息" in text
    assert re.search(r"共找到\s*2\s*个数据集", text)
    assert '<mark class="hl">公交</mark>' in html
    assert "提供部门" in text and "江州市交通运输局" in text
    assert "/api/3/action/package_search?q=" in html


def test_search_filters_sort_and_pages(client):
    closed = _text(client.get("/search", query_string={"openness": "closed"}))
    assert re.search(r"共找到\s*7\s*个数据集", closed)
    by_name = client.get("/search", query_string={"sort": "title_string asc"})
    assert by_name.status_code == 200
    second = client.get("/search", query_string={"page": 2})
    assert second.status_code == 200 and "上一页" in _text(second)


def test_facet_links_keep_the_fq_of_the_page(client):
    html = client.get("/search", query_string={"fq": "openness:closed"}).get_data(as_text=True)
    links = re.findall(r'class="facet-link[^"]*"\s+href="([^"]+)"', html)
    assert links and all("fq=openness:closed" in unescape(link) for link in links)
    # following one keeps both filters: only closed entries (7 in all) remain
    for link in links:
        found = re.search(r"共找到\s*(\d+)\s*个数据集", _text(client.get(unescape(link))))
        assert found and 1 <= int(found.group(1)) <= 7, link


@pytest.mark.parametrize("query", [{"page": "x"}, {"page": "0"}, {"sort": "evil"}])
def test_bad_search_parameters_are_400_pages(client, query):
    response = client.get("/search", query_string=query)
    assert response.status_code == 400
    assert "请求有误" in _text_any(response)


def test_the_flawed_table_shows_its_validation_report(client):
    flawed = [
        p
        for p in _api(client, "package_search", rows=100)["results"]
        if p["validation_status"] == "failure"
    ]
    assert flawed, "the demo has a deliberately flawed table"
    page = _text(client.get(f"/dataset/{flawed[0]['name']}"))
    assert "数据质量校验" in page
    for error_type in ("type-error", "missing-cell", "extra-cell", "blank-row"):
        assert error_type in page
    assert "暂无" in page  # the offending cell of public data is shown


def test_conditional_dataset_page_shows_conditions_but_no_file_link(client):
    pkg = _api(client, "package_search", fq="openness:conditional", rows=1)["results"][0]
    html = client.get(f"/dataset/{pkg['name']}").get_data(as_text=True)
    assert "有条件开放" in html and "申请后可获取" in html
    assert pkg["conditions"] and unescape(pkg["conditions"][:20]) in unescape(html)
    for resource in pkg["resources"]:
        assert resource["url"].replace("http://localhost", "") not in html
    # a masked preview (the leak test checks the values)
    assert "数据预览" in html and "已做脱敏处理" in html


def test_closed_dataset_page_shows_rule_and_basis_and_no_data(client):
    pkg = _api(client, "package_search", fq="openness:closed", rows=1)["results"][0]
    page = _text(client.get(f"/dataset/{pkg['name']}"))
    assert "该数据不予开放" in page
    assert pkg["exclusion_rule"] in page and pkg["exclusion_basis"][:15] in page
    assert pkg["organization"]["title"] in page
    assert "下载" not in page.replace("开发者", "") or "数据资源" not in page


def test_unconditional_dataset_page_has_downloads_preview_and_metadata(client):
    pkg = _api(client, "package_search", q="公交线路", rows=1)["results"][0]
    response = client.get(f"/dataset/{pkg['name']}")
    html = response.get_data(as_text=True)
    page = _text(response)
    assert pkg["resources"][0]["url"] in html
    assert "数据预览" in page and "目录信息" in page and "信息项" in page
    for column in pkg["columns"][:3]:
        assert column["name"] in page
    assert f"/api/3/action/package_show?id={pkg['name']}" in html


def test_descriptions_are_sanitised(client):
    found = _api(client, "package_search", q="旅游景区", rows=10)["results"]
    pkg = next(p for p in found if "<script>" in p["notes"])  # the source really carries it
    html = client.get(f"/dataset/{pkg['name']}").get_data(as_text=True)
    assert "<script>alert" not in html and "onerror" not in html


def test_department_pages(client):
    orgs = _api(client, "organization_list", all_fields="true")
    page = _text(client.get("/organization/"))
    assert all(o["title"] in page for o in orgs)
    busiest = max(orgs, key=lambda o: o["package_count"])
    detail = _text(client.get(f"/organization/{busiest['name']}"))
    assert busiest["title"] in detail
    assert client.get("/organization/no-such").status_code == 404


def test_rules_page_lists_the_five_rules(client):
    page = _text(client.get("/rules"))
    for code in (
        "state-secret",
        "security",
        "privacy-trade-secret",
        "agreement-ip",
        "law-other-channel",
    ):
        assert code in page


def test_unknown_pages_are_404_in_chinese(client):
    response = client.get("/dataset/no-such-dataset")
    assert response.status_code == 404
    assert "未找到该数据集" in _text_any(response)


def test_security_headers(client):
    headers = client.get("/").headers
    assert "script-src 'self'" in headers["Content-Security-Policy"]
    assert headers["X-Content-Type-Options"] == "nosniff"
