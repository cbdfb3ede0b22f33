"""Grant terms and sharing through the API and the pages: the volume of each access under a grant
shown to the department and the bureau, the end-of-term use report, overdue reports where
overdue things show up; the sharing catalog for staff and the pointer to the sharing platform
for departments' staff who ask for conditional data."""

from __future__ import annotations

import csv
import io
from datetime import timedelta

import pytest
from sqlalchemy import select, update

from datasets.accounts.keys import create_api_key
from datasets.accounts.users import create_user
from datasets.models import AuditEntry, Dataset, Grant, GrantAccess
from datasets.workdays import shanghai_date
from datasets.workflows.cases import now_utc
from portal.app import create_app
from tests.factories import credit_code, make_runtime, services_catalog
from tests.web.test_api_v1_applications import BASE, PASSWORD, Api, _agreement, _resource_url

PLATFORM = "https://share.jiangzhou.example.gov.cn/catalog"


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    folder = tmp_path_factory.mktemp("terms")
    rt = make_runtime(folder / "instance")
    names = services_catalog(rt, folder)
    users = {
        "acme": dict(role="company", company_name="江州智医科技有限公司"),
        "reviewer": dict(role="reviewer", department=names["health"]),
        "other_reviewer": dict(role="reviewer", department=names["transport"]),
        "bureau": dict(role="bureau"),
        "citizen": dict(role="citizen"),
    }
    keys = {}
    for seed, (name, extra) in enumerate(users.items(), start=1):
        if extra["role"] == "company":
            extra |= dict(
                credit_code=credit_code(seed), legal_representative="王五", phone="13800138000"
            )
        create_user(rt, name=name, password=PASSWORD, **extra)
        keys[name] = create_api_key(rt, user_name=name)["key"]
    with rt.session() as session:
        session.execute(
            update(Dataset)
            .where(Dataset.name == names["conditional"])
            .values(
                share_type="有条件共享",
                share_conditions="仅向医疗保障部门提供",
                share_method="系统对接（查询服务）",
            )
        )
        session.execute(
            update(Dataset)
            .where(Dataset.name == names["closed"])
            .values(share_type="不予共享", share_basis="《税收征收管理法》第八条")
        )
    settings = {
        "instance": str(rt.paths.root),
        "ratelimit_enabled": False,
        "share_platform_url": PLATFORM,
    }
    app = create_app(settings)
    app.config.update(TESTING=True)
    yield {"rt": rt, "app": app, "keys": keys, **names}
    rt.close()


@pytest.fixture
def api(world):
    return Api(world)


def _page(api, who, url, status=200):
    headers = {"Authorization": api.keys[who]} if who else {}
    response = api.client.get(url, headers=headers)
    assert response.status_code == status, response.get_data(as_text=True)[:500]
    return response.get_data(as_text=True)


@pytest.fixture(scope="module")
def grant(world):
    """A full grant of acme on the conditional dataset, used once by a download."""
    api = Api(world)
    body = {**BASE, "dataset": world["conditional"]}
    app_id = api("acme", "POST", "/api/v1/applications", body, status=201)["id"]
    url = f"/api/v1/applications/{app_id}"
    api("reviewer", "POST", f"{url}/decision", {"decision": "approve", "reason": "符合条件"})
    signed = api(
        "acme", "POST", f"{url}/sign", {"agreement_version": _agreement(api), "accept": True}
    )
    resource = _resource_url(api, world["conditional"])
    got = api.client.get(resource, headers={"Authorization": world["keys"]["acme"]})
    assert got.status_code == 200
    return {"id": signed["grant"]["id"], "size": len(got.get_data()), "resource": resource}


# -- use of a grant: volume and reports ------------------------------------------------------


def test_each_access_is_logged_with_its_volume_for_the_department_and_the_bureau(api, world, grant):
    base = f"/api/v1/grants/{grant['id']}"
    for who in ("reviewer", "bureau", "acme"):
        shown = api(who, "GET", base)
        assert shown["usage"] == {"accesses": 1, "rows": 2, "bytes": grant["size"]}
        (entry,) = shown["access_log"]
        assert (entry["action"], entry["action_label"]) == ("download", "下载文件")
        assert (entry["rows"], entry["bytes"], entry["by_api_key"]) == (2, grant["size"], True)
    api("other_reviewer", "GET", base, status=404)  # not their department's grant
    page = _page(api, "reviewer", f"/services/grants/{grant['id']}")
    assert f"共 1 次获取，合计 2 行、{grant['size']} B" in page
    assert "<td>下载文件</td>" in page and "<td>接口密钥</td>" in page
    bureau_page = _page(api, "bureau", f"/services/grants/{grant['id']}")
    assert "合计 2 行" in bureau_page


def test_an_overdue_periodic_report_shows_in_the_workspace_and_on_the_bureau_dashboard(
    api, world, grant
):
    rt = world["rt"]
    yesterday = shanghai_date(now_utc()) - timedelta(days=1)
    with rt.session() as session:
        session.execute(
            update(Grant).where(Grant.id == grant["id"]).values(report_due_on=yesterday)
        )
        reference = session.get(Grant, grant["id"]).reference
    try:
        workspace = _page(api, "reviewer", "/workspace")
        section = workspace.split('id="overdue-reports"', 1)[1].split("</section>", 1)[0]
        assert reference in section and "定期使用情况报告" in section and str(yesterday) in section
        board = _page(api, "bureau", "/bureau")
        section = board.split('id="overdue-reports"', 1)[1].split("</section>", 1)[0]
        assert reference in section and "江州市卫生健康委员会" in section
        other = _page(api, "other_reviewer", "/workspace")
        assert reference not in other.split('id="overdue-reports"', 1)[1]
    finally:
        with rt.session() as session:
            far = shanghai_date(now_utc()) + timedelta(days=90)
            session.execute(
                update(Grant)
                .where(Grant.id == grant["id"])
                .values(report_due_on=far, status="active", status_reason=None)
            )


def test_the_end_of_term_report_is_owed_once_the_grant_ended(api, world, grant):
    rt = world["rt"]
    base = f"/api/v1/grants/{grant['id']}"
    shown = api("acme", "GET", base)
    assert shown["final_report_due_on"] > shown["expires_on"]
    api("acme", "POST", f"{base}/final-report", {"text": "提前报送"}, status=409)
    today = shanghai_date(now_utc())
    with rt.session() as session:
        session.execute(
            update(Grant)
            .where(Grant.id == grant["id"])
            .values(
                expires_on=today - timedelta(days=40),
                final_report_due_on=today - timedelta(days=10),
            )
        )
    # the next use attempt finds it expired (and logs nothing)
    key = {"Authorization": world["keys"]["acme"]}
    assert api.client.get(grant["resource"], headers=key).status_code == 403
    page = _page(api, "acme", f"/services/grants/{grant['id']}")
    assert "授权已到期" in page and 'id="final-report-form"' in page
    expired = api("acme", "GET", base)
    assert expired["status"] == "expired" and expired["final_report_overdue"] is True
    assert [o["label"] for o in expired["overdue_reports"]] == ["期末使用情况报告"]
    board = _page(api, "bureau", "/bureau")
    assert "期末使用情况报告" in board.split('id="overdue-reports"', 1)[1].split("</section>")[0]

    api("reviewer", "POST", f"{base}/final-report", {"text": "代报"}, status=404)
    api("acme", "POST", f"{base}/final-report", {"text": ""}, status=400)
    filed = api(
        "acme", "POST", f"{base}/final-report", {"text": "数据已用于医师分布研究，副本已删除"}
    )
    assert filed["final_report_due_on"] is None
    shown = api("reviewer", "GET", base)
    assert shown["reports"][-1]["kind_label"] == "期末使用情况报告"
    assert shown["overdue_reports"] == []
    api("acme", "POST", f"{base}/final-report", {"text": "再报一次"}, status=409)
    page = _page(api, "reviewer", f"/services/grants/{grant['id']}")
    assert "数据已用于医师分布研究，副本已删除" in page and "期末使用情况报告" in page
    with rt.reader() as session:
        count = len(
            session.scalars(select(GrantAccess).where(GrantAccess.grant_id == grant["id"])).all()
        )
    assert count == 1


# -- sharing between departments -------------------------------------------------------------


def test_departments_staff_asking_for_conditional_data_are_pointed_to_the_sharing_platform(
    api, world
):
    resource = _resource_url(api, world["conditional"])
    page = _page(api, "other_reviewer", resource, status=403)
    assert "政务部门如何获取共享数据" in page and "政务数据共享平台" in page
    assert f'href="{PLATFORM}"' in page and "国发〔2016〕51号" in page
    assert "导出共享目录" in page  # staff may export the catalog
    bureau = _page(api, "bureau", resource, status=403)
    assert f'href="{PLATFORM}"' in bureau
    # a company without a grant is told how to apply, not sent to the sharing platform
    company = _page(api, "citizen", resource, status=403)
    assert PLATFORM not in company and "签署数据使用协议" in company and "申请使用" in company
    dataset = _page(api, None, f"/dataset/{world['conditional']}")
    assert 'id="sharing-pointer"' in dataset and "共享条件" in dataset
    assert "仅向医疗保障部门提供" in dataset and "系统对接（查询服务）" in dataset


def test_the_sharing_page_names_the_platform_and_offers_the_export_to_staff_only(api, world):
    public = _page(api, None, "/sharing")
    assert f'href="{PLATFORM}"' in public and "导出共享目录" not in public
    assert "导出共享目录" in _page(api, "reviewer", "/sharing")


def test_the_sharing_catalog_is_exported_as_csv_for_staff(api, world):
    assert api.client.get("/sharing/catalog.csv").status_code == 302  # sign in first
    refused = api.client.get(
        "/sharing/catalog.csv", headers={"Authorization": world["keys"]["citizen"]}
    )
    assert refused.status_code == 403 and "共享目录仅供" in refused.get_data(as_text=True)
    got = api.client.get(
        "/sharing/catalog.csv", headers={"Authorization": world["keys"]["other_reviewer"]}
    )
    assert got.status_code == 200 and got.headers["Cache-Control"] == "private, no-store"
    raw = got.get_data()
    assert raw.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(raw.decode("utf-8-sig"))))
    assert rows[0][:9] == [
        "信息资源代码",
        "信息资源名称",
        "数据集标识",
        "提供方",
        "提供方代码",
        "共享属性",
        "共享条件",
        "共享方式",
        "不予共享依据",
    ]
    by_name = {r[2]: r for r in rows[1:]}
    assert by_name[world["conditional"]][5:8] == [
        "有条件共享",
        "仅向医疗保障部门提供",
        "系统对接（查询服务）",
    ]
    assert by_name[world["closed"]][5] == "不予共享"
    assert by_name[world["closed"]][8] == "《税收征收管理法》第八条"
    assert by_name[world["open"]][5] == "未填报"
    with world["rt"].reader() as session:
        exported = session.scalars(select(AuditEntry).where(AuditEntry.action == "sharing.export"))
        assert [e.actor for e in exported] == ["other_reviewer"]
