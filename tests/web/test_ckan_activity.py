"""The activity stream over the web: ckanapi reads CKAN's three activity lists, and the dataset
and department pages show 更新记录."""

from __future__ import annotations

from typing import Any

import pytest

from tests.web.test_ckan_read import portal  # noqa: F401 - fixture


def test_ckanapi_reads_the_activity_lists(portal: Any) -> None:  # noqa: F811
    from ckanapi import NotFound

    recent = portal.action.recently_changed_packages_activity_list(limit=5)
    assert 0 < len(recent) <= 5
    first = recent[0]
    for key in ("id", "timestamp", "activity_type", "object_id", "data"):
        assert key in first
    assert first["activity_type"] in ("new package", "changed package", "deleted package")
    pkg = first["data"]["package"]
    own = portal.action.package_activity_list(id=pkg["name"])
    assert own and all(a["object_id"] == pkg["id"] for a in own)
    org = portal.action.organization_activity_list(id=pkg["owner_org"], limit=100)
    assert first["id"] in {a["id"] for a in org}
    assert portal.action.recently_changed_packages_activity_list(limit=2, offset=1) == recent[1:3]
    with pytest.raises(NotFound):
        portal.action.package_activity_list(id="no-such-dataset")


def test_dataset_and_department_pages_show_their_history(client) -> None:  # type: ignore[no-untyped-def]
    recent = client.get("/api/3/action/recently_changed_packages_activity_list?limit=1")
    pkg = recent.get_json()["result"][0]["data"]["package"]
    page = client.get(f"/dataset/{pkg['name']}").get_data(as_text=True)
    assert "更新记录" in page and "发布" in page
    org = client.get(f"/organization/{pkg['organization']['name']}").get_data(as_text=True)
    assert "更新记录" in org and pkg["title"] in org


def test_activity_actions_have_chinese_help(client) -> None:  # type: ignore[no-untyped-def]
    for name in (
        "package_activity_list",
        "organization_activity_list",
        "recently_changed_packages_activity_list",
    ):
        body = client.get(f"/api/3/action/help_show?name={name}").get_json()
        assert "更新记录" in body["result"]
    assert "package_activity_list" in client.get("/api").get_data(as_text=True)
