"""A small instance for the API's edge tests: the services catalog, one account (and API key)
of each role, and an application refused and objected to, so that each kind of case exists."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from portal.app import create_app
from tests.factories import accounts, make_runtime, services_catalog

PASSWORD = "correct horse battery"
APPLICATION = {
    "purpose": "医疗资源布局研究",
    "scope": "本单位科研团队内部使用",
    "scenario": "分析执业医师在各区的分布",
    "security_measures": "等保二级系统，专人专机，访问留痕",
    "period_months": 12,
    "fields": "all",
    "access_mode": "download",
}


def build_world(folder: Path) -> dict[str, Any]:
    """{"rt", "app", "keys" (by role), "application", "objection" (ids), and the catalog's
    names}."""
    rt = make_runtime(folder / "instance")
    names = services_catalog(rt, folder)
    users = {
        "company": dict(role="company", company_name="江州智医科技有限公司"),
        "reviewer": dict(role="reviewer", department=names["health"]),
        "bureau": dict(role="bureau"),
        "citizen": dict(role="citizen"),
        "operator": dict(role="operator"),
    }
    keys = accounts(rt, users, PASSWORD)
    app = create_app({"instance": str(rt.paths.root), "ratelimit_enabled": False})
    app.config.update(TESTING=True)
    client = app.test_client(use_cookies=False)

    def post(who: str, url: str, body: dict[str, Any]) -> dict[str, Any]:
        answer = client.post(url, json=body, headers={"Authorization": keys[who]})
        assert answer.status_code in (200, 201), answer.get_data(as_text=True)
        return answer.get_json()

    application = post(
        "company", "/api/v1/applications", {**APPLICATION, "dataset": names["conditional"]}
    )
    url = f"/api/v1/applications/{application['id']}"
    refusal = {"decision": "refuse", "reason": "不符合条件", "rule_code": "unmet-condition"}
    post("reviewer", f"{url}/decision", refusal)
    objection = post("company", f"{url}/objection", {"reason": "本单位为科研机构"})
    return {
        "rt": rt,
        "app": app,
        "keys": keys,
        "application": application["id"],
        "objection": objection["id"],
        **names,
    }
