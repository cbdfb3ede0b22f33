"""The statistics page of a province: its department tables are paged (the total row sums every
department) and its charts by department draw the largest, so the page stays one page long
whatever the number of departments."""

from __future__ import annotations

import re

import pytest

from datasets.models import Dataset, Organization
from portal.app import create_app
from portal.pages.stats_charts import TOP
from portal.pages.transparency import STATS_PER_PAGE
from tests.factories import make_runtime

DEPARTMENTS = STATS_PER_PAGE + 7


@pytest.fixture(scope="module")
def client(tmp_path_factory):  # type: ignore[no-untyped-def]
    rt = make_runtime(tmp_path_factory.mktemp("stats-paging") / "instance")
    with rt.session() as session:
        for i in range(DEPARTMENTS):
            org = Organization(name=f"dept-{i:03d}", title=f"测试局{i:03d}")
            session.add(org)
            session.flush()
            # department i has i % 5 + 1 open datasets: 测试局004 has 5, 测试局000 one
            for j in range(i % 5 + 1):
                session.add(
                    Dataset(
                        name=f"ds-{i:03d}-{j}",
                        title=f"数据{i}-{j}",
                        organization_id=org.id,
                        openness="unconditional",
                        state="active",
                    )
                )
    app = create_app({"instance": str(rt.paths.root), "ratelimit_enabled": False})
    yield app.test_client()
    rt.close()


def _departments(html: str) -> list[str]:
    """The departments of the first table (the openness table), in order."""
    table = html.split('aria-label="数据开放统计"', 1)[1].split("</table>", 1)[0]
    return re.findall(r'<th scope="row"><a href="/organization/[^"]+">([^<]+)</a>', table)


def test_the_tables_are_paged_and_the_total_counts_every_department(client) -> None:  # type: ignore[no-untyped-def]
    first = client.get("/transparency/stats").get_data(as_text=True)
    shown = _departments(first)
    assert shown == [f"测试局{i:03d}" for i in range(STATS_PER_PAGE)]
    assert f"共 {DEPARTMENTS} 个部门" in first and "第 1 页，共 2 页" in first
    assert 'href="/transparency/stats?page=2"' in first
    total = sum(i % 5 + 1 for i in range(DEPARTMENTS))
    row = first.split('class="total-row"', 1)[1].split("</tr>", 1)[0]
    assert re.findall(r"<td>([\d,]+)</td>", row)[:4] == [
        f"{total:,}",
        "0",
        "0",
        f"{total:,}",
    ]

    second = client.get("/transparency/stats?page=2&year=2026").get_data(as_text=True)
    assert _departments(second) == [f"测试局{i:03d}" for i in range(STATS_PER_PAGE, DEPARTMENTS)]
    assert 'href="/transparency/stats?page=1&amp;year=2026"' in second
    # a page past the last shows the last
    assert _departments(client.get("/transparency/stats?page=99").get_data(as_text=True)) == (
        _departments(second)
    )


def test_charts_by_department_draw_the_largest(client) -> None:  # type: ignore[no-untyped-def]
    html = client.get("/transparency/stats").get_data(as_text=True)
    chart = html.split("各部门在用数据集数（按开放属性）", 1)[1].split("</svg>", 1)[0]
    labels = re.findall(r'text-anchor="end" fill="#222222">([^<]+)</text>', chart)
    assert len(labels) == TOP
    # the departments with 5 datasets first: 004, 009, …
    assert labels[0] == "测试局004" and all(int(label[-3:]) % 5 >= 3 for label in labels)
    assert f"图中为各项数值最大的 {TOP} 个部门" in html
    # the JSON keeps every department
    assert len(client.get("/api/v1/transparency/stats").get_json()["departments"]) == DEPARTMENTS


def test_the_decisions_filter_offers_only_departments_with_decisions(client) -> None:  # type: ignore[no-untyped-def]
    html = client.get("/transparency").get_data(as_text=True)
    select = html.split('id="filter-department"', 1)[1].split("</select>", 1)[0]
    assert re.findall(r"<option value=\"([^\"]*)\"", select) == [""]  # 全部 only: none decided
    assert client.get("/api/v1/transparency/decisions").get_json()["departments"] == []
