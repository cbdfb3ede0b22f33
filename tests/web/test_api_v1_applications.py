"""Applications, objections and grants end to end through the JSON API with API keys:
submit → 补正 → extension → refusal → objection → overturn → approval → signature → grant, the
grant's scope, suspension for reasons, and the errors a client meets on the way."""

from __future__ import annotations

import csv
import hashlib
import io
from datetime import date

import pytest
from sqlalchemy import func, select, update

from datasets.accounts.keys import create_api_key
from datasets.accounts.users import create_user
from datasets.models import AuditEntry, Case, Grant, GrantAccess
from datasets.workdays import calendar_for, shanghai_date
from datasets.workflows.cases import now_utc
from portal.app import create_app
from tests.factories import credit_code, make_runtime, services_catalog

PASSWORD = "correct horse battery"
BASE = {
    "purpose": "医疗资源布局研究",
    "scope": "本单位科研团队内部使用",
    "scenario": "分析执业医师在各区的分布",
    "security_measures": "等保二级系统，专人专机，访问留痕",
    "period_months": 12,
    "fields": "all",
    "access_mode": "download",
}


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    folder = tmp_path_factory.mktemp("services")
    rt = make_runtime(folder / "instance")
    names = services_catalog(rt, folder)
    users = {
        "acme": dict(role="company", company_name="江州智医科技有限公司"),
        "beta": dict(role="company", company_name="江州贝塔数据有限公司"),
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
    app = create_app({"instance": str(rt.paths.root), "ratelimit_enabled": False})
    app.config.update(TESTING=True)
    yield {"rt": rt, "app": app, "keys": keys, **names}
    rt.close()


class Api:
    def __init__(self, world):
        self.client = world["app"].test_client(use_cookies=False)
        self.keys = world["keys"]

    def __call__(self, who, method, url, body=None, status=200):
        headers = {"Authorization": self.keys[who]} if who else {}
        response = self.client.open(url, method=method, json=body, headers=headers)
        assert response.status_code == status, response.get_data(as_text=True)
        return response.get_json() if response.is_json else response


@pytest.fixture
def api(world):
    return Api(world)


def _submit(api, world, who="acme", dataset=None, **changes):
    body = {**BASE, "dataset": dataset or world["conditional"], **changes}
    return api(who, "POST", "/api/v1/applications", body, status=201)


def _resource_url(api, name):
    shown = api(None, "GET", f"/api/3/action/package_show?id={name}")
    return shown["result"]["resources"][0]["url"].split("localhost", 1)[-1]


def _agreement(api):
    return api(None, "GET", "/api/v1/agreement")["version"]


def test_submission_answers_with_reference_receipt_and_deadline(api, world):
    created = _submit(api, world, fields=["执业类别", "主要执业机构"], access_mode="api")
    assert created["status"] == "submitted"
    assert created["reference"].startswith("SQ-")
    cal = calendar_for(world["rt"])
    received = cal.received_on(now_utc()).on
    assert created["received_on"] == str(received)
    assert created["due_on"] == str(cal.add(received, 10).on)
    assert created["due_provisional"] is False
    shown = api("acme", "GET", f"/api/v1/applications/{created['id']}")
    assert shown["fields"] == ["执业类别", "主要执业机构"] and shown["access_mode"] == "api"
    assert shown["purpose"] == BASE["purpose"]
    # the same reference number finds it too
    assert api("acme", "GET", f"/api/v1/applications/{created['reference']}")["id"] == shown["id"]
    # one open application per dataset and applicant
    api("acme", "POST", "/api/v1/applications", {**BASE, "dataset": world["conditional"]}, 409)
    api("acme", "POST", f"/api/v1/applications/{created['id']}/withdraw")


def test_others_cannot_see_an_application(api, world):
    created = _submit(api, world, who="beta")
    api("acme", "GET", f"/api/v1/applications/{created['id']}", status=404)
    api("other_reviewer", "GET", f"/api/v1/applications/{created['id']}", status=404)
    api(None, "GET", f"/api/v1/applications/{created['id']}", status=401)
    assert api("reviewer", "GET", f"/api/v1/applications/{created['id']}")["id"] == created["id"]
    assert api("bureau", "GET", f"/api/v1/applications/{created['id']}")["id"] == created["id"]
    # a reviewer of another department may not decide it
    api(
        "other_reviewer",
        "POST",
        f"/api/v1/applications/{created['id']}/decision",
        {"decision": "approve"},
        status=404,
    )
    api("beta", "POST", f"/api/v1/applications/{created['id']}/withdraw")


def test_asking_for_every_field_is_a_choice_not_a_default(api, world):
    """Leaving ``fields`` out is refused with a message naming the choice; ``"all"`` asks for
    every field (personal ones included) and the case says so."""
    body = {k: v for k, v in BASE.items() if k != "fields"}
    error = api(
        "acme",
        "POST",
        "/api/v1/applications",
        {**body, "dataset": world["conditional"]},
        status=400,
    )["error"]
    assert '"all"' in error["fields"][0] and "申请全部字段" in error["fields"][0]
    created = api(
        "acme",
        "POST",
        "/api/v1/applications",
        {**body, "fields": "all", "dataset": world["conditional"]},
        status=201,
    )
    assert created["fields"] == []
    api("acme", "POST", f"/api/v1/applications/{created['id']}/withdraw")


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"purpose": ""}, "purpose"),
        ({"security_measures": None}, "security_measures"),
        ({"period_months": 0}, "period_months"),
        ({"period_months": 99}, "period_months"),
        ({"access_mode": "fax"}, "access_mode"),
        ({"fields": ["不存在的字段"]}, "fields"),
        ({"fields": "姓名"}, "fields"),
        ({"fields": []}, "fields"),
        ({"fields": None}, "fields"),
    ],
)
def test_bad_applications_are_refused_field_by_field(api, world, change, field):
    body = {**BASE, "dataset": world["conditional"], **change}
    error = api("acme", "POST", "/api/v1/applications", body, status=400)["error"]
    assert field in error and error["message"]


def test_applications_only_for_conditional_data_and_from_applicants(api, world):
    for dataset in (world["open"], world["closed"], "no-such-dataset"):
        body = {**BASE, "dataset": dataset}
        assert api("acme", "POST", "/api/v1/applications", body, status=400)["error"]["dataset"]
    body = {**BASE, "dataset": world["conditional"]}
    api(None, "POST", "/api/v1/applications", body, status=401)
    api("reviewer", "POST", "/api/v1/applications", body, status=403)
    bad_json = api.client.post(
        "/api/v1/applications",
        data=b"{not json",
        headers={"Authorization": world["keys"]["acme"], "Content-Type": "application/json"},
    )
    assert bad_json.status_code == 400 and "JSON" in bad_json.get_json()["error"]["message"]


def test_refusal_objection_overturn_grant(api, world):
    """The whole path of SPEC §7, and the grant's scope afterwards."""
    app_id = _submit(api, world)["id"]
    url = f"/api/v1/applications/{app_id}"

    # 补正 pauses the clock, only once
    paused = api("reviewer", "POST", f"{url}/correction", {"items": "请补充等级保护备案证明"})
    assert paused["status"] == "correction" and paused["due_on"] is None
    assert paused["clock_paused"] is True
    api("reviewer", "POST", f"{url}/correction", {"items": "再补一次"}, status=409)
    resumed = api("acme", "POST", f"{url}/supplement", {"note": "已上传备案证明"})
    assert resumed["status"] == "submitted" and resumed["due_on"]
    api("reviewer", "POST", f"{url}/correction", {"items": "又一次"}, status=409)

    # one extension with a reason
    api("reviewer", "POST", f"{url}/extension", {"days": 5}, status=400)
    extended = api(
        "reviewer", "POST", f"{url}/extension", {"reason": "需征求权利人意见", "days": 5}
    )
    cal = calendar_for(world["rt"])
    resumed_due = date.fromisoformat(resumed["due_on"])
    assert extended["due_on"] == str(cal.add(resumed_due, 5).on)
    api("reviewer", "POST", f"{url}/extension", {"reason": "再延", "days": 3}, status=409)

    # refusals cite a rule or an unmet published condition, and say how to seek 复核
    api("reviewer", "POST", f"{url}/decision", {"decision": "refuse", "reason": "不同意"}, 400)
    api(
        "reviewer",
        "POST",
        f"{url}/decision",
        {"decision": "refuse", "reason": "x", "rule_code": "state-secret"},
        400,
    )
    api("acme", "POST", f"{url}/decision", {"decision": "approve"}, status=403)
    refused = api(
        "reviewer",
        "POST",
        f"{url}/decision",
        {
            "decision": "refuse",
            "reason": "申请人不是医疗卫生科研机构",
            "rule_code": "unmet-condition",
        },
    )
    assert refused["status"] == "refused" and refused["decision"] == "refuse"
    assert refused["rule_code"] == "unmet-condition"
    assert "复核" in refused["objection_instructions"]
    assert refused["objection_deadline"] in refused["objection_instructions"]
    conflict = api("reviewer", "POST", f"{url}/decision", {"decision": "approve"}, status=409)
    assert conflict == {
        "success": False,
        "error": {
            "__type": "Conflict Error",
            "message": "有条件开放申请当前状态为“不予同意”，不能作出决定",
        },
    }

    # the grant does not exist yet: the original stays refused
    resource = _resource_url(api, world["conditional"])
    assert (
        api.client.get(resource, headers={"Authorization": world["keys"]["acme"]}).status_code
        == 403
    )

    # 异议 → 复核 by the bureau
    api("beta", "POST", f"{url}/objection", {"reason": "不是我的"}, status=404)
    api("acme", "POST", f"{url}/objection", {}, status=400)
    objection = api(
        "acme", "POST", f"{url}/objection", {"reason": "本单位为医学院校附属研究所"}, 201
    )
    assert objection["status"] == "submitted" and objection["handler"] == "bureau"
    assert objection["due_on"] == str(cal.add(cal.received_on(now_utc()).on, 10).on)
    api("acme", "POST", f"{url}/objection", {"reason": "再提一次"}, status=409)
    obj_url = f"/api/v1/objections/{objection['id']}"
    api("reviewer", "POST", f"{obj_url}/decision", {"decision": "overturn", "reason": "x"}, 403)
    ladder = api(
        "bureau", "POST", f"{obj_url}/escalation", {"stage": "coordination", "note": "协调"}
    )
    assert [s["stage"] for s in ladder["escalations"]] == ["coordination"]
    api("bureau", "POST", f"{obj_url}/decision", {"decision": "overturn"}, status=400)
    ruled = api(
        "bureau",
        "POST",
        f"{obj_url}/decision",
        {"decision": "overturn", "reason": "申请人符合条件"},
    )
    assert ruled["status"] == "overturned" and ruled["decision"] == "overturn"
    api("bureau", "POST", f"{obj_url}/decision", {"decision": "uphold", "reason": "改"}, 409)

    # the department must now provide, within 5 working days, and may not refuse again
    obliged = api("reviewer", "GET", url)
    assert obliged["status"] == "ruling" and not obliged["closed"]
    assert obliged["due_on"] == str(cal.add(cal.received_on(now_utc()).on, 5).on)
    api(
        "reviewer",
        "POST",
        f"{url}/decision",
        {"decision": "refuse", "reason": "仍不同意", "rule_code": "security"},
        409,
    )
    approved = api("reviewer", "POST", f"{url}/decision", {"decision": "approve", "reason": "同意"})
    assert approved["status"] == "approved" and approved["agreement_version"]

    # the agreement: the current version, accepted, by the applicant only
    version = _agreement(api)
    api("acme", "POST", f"{url}/sign", {"agreement_version": "0000-0", "accept": True}, 409)
    api("acme", "POST", f"{url}/sign", {"agreement_version": version}, 400)
    api("beta", "POST", f"{url}/sign", {"agreement_version": version, "accept": True}, 404)
    signed = api("acme", "POST", f"{url}/sign", {"agreement_version": version, "accept": True})
    assert signed["status"] == "granted"
    grant = signed["grant"]
    assert grant["status"] == "active" and grant["agreement_version"] == version
    assert grant["dataset"]["name"] == world["conditional"]

    # with the grant the applicant's key downloads the full original …
    full = api.client.get(resource, headers={"Authorization": world["keys"]["acme"]})
    assert full.status_code == 200
    assert "110101199003071234" in full.get_data(as_text=True)
    assert "private" in full.headers.get("Cache-Control", "")
    # … which nobody else gets, and the grant opens no other dataset
    assert api.client.get(resource).status_code == 403
    assert (
        api.client.get(resource, headers={"Authorization": world["keys"]["beta"]}).status_code
        == 403
    )
    other = _resource_url(api, world["conditional2"])
    assert (
        api.client.get(other, headers={"Authorization": world["keys"]["acme"]}).status_code == 403
    )

    # every access is logged; the history has one audit row per transition
    with world["rt"].reader() as session:
        logged = session.scalar(
            select(func.count()).select_from(GrantAccess).where(GrantAccess.grant_id == grant["id"])
        )
        actions = list(
            session.scalars(
                select(AuditEntry.action)
                .where(AuditEntry.object_type == "case", AuditEntry.object_id == app_id)
                .order_by(AuditEntry.id)
            )
        )
    assert logged == 1
    assert actions == [
        "application.submit",
        "application.request_correction",
        "application.supplement",
        "application.extend",
        "application.decide",
        "application.objection",
        "application.overturn",
        "application.decide",
        "application.sign",
    ]
    shown = api("acme", "GET", f"/api/v1/grants/{grant['id']}")
    assert len(shown["access_log"]) == 1


def _granted(api, world, who, **changes):
    app_id = _submit(api, world, who=who, **changes)["id"]
    url = f"/api/v1/applications/{app_id}"
    return app_id, url


def test_partial_grant_serves_only_the_granted_fields(api, world):
    app_id, url = _granted(api, world, "beta", dataset=world["conditional2"])
    api(
        "reviewer",
        "POST",
        f"{url}/decision",
        {"decision": "partial", "reason": "身份证号不予提供", "rule_code": "privacy-trade-secret"},
        status=400,  # partial needs the fields granted
    )
    partial = api(
        "reviewer",
        "POST",
        f"{url}/decision",
        {
            "decision": "partial",
            "fields": ["执业类别", "主要执业机构"],
            "reason": "身份证号、姓名涉及个人隐私，不予提供",
            "rule_code": "privacy-trade-secret",
        },
    )
    assert partial["status"] == "partial" and partial["granted_fields"] == [
        "执业类别",
        "主要执业机构",
    ]
    assert partial["objection_instructions"]
    signed = api(
        "beta", "POST", f"{url}/sign", {"agreement_version": _agreement(api), "accept": True}
    )
    assert signed["grant"]["fields"] == ["执业类别", "主要执业机构"]
    resource = _resource_url(api, world["conditional2"])
    got = api.client.get(resource, headers={"Authorization": world["keys"]["beta"]})
    assert got.status_code == 200
    rows = list(csv.reader(io.StringIO(got.get_data(as_text=True))))
    assert rows[0] == ["执业类别", "主要执业机构"]
    assert rows[1] == ["临床", "江州市第一人民医院"]
    assert "110101199003071234" not in got.get_data(as_text=True)


def test_grants_are_suspended_restored_and_revoked_with_reasons(api, world):
    rt = world["rt"]
    with rt.reader() as session:
        grant = session.scalar(select(Grant).where(Grant.dataset_id.isnot(None)).limit(1))
        grant_id, holder = grant.id, grant.user_id
    key = world["keys"]["acme"] if holder == _user_id(rt, "acme") else world["keys"]["beta"]
    who = "acme" if key == world["keys"]["acme"] else "beta"
    base = f"/api/v1/grants/{grant_id}"
    shown = api(who, "GET", base)
    resource = _resource_url(api, shown["dataset"]["name"])
    assert api.client.get(resource, headers={"Authorization": key}).status_code == 200

    api(who, "POST", f"{base}/suspend", {"reason": "transfer"}, status=403)
    api("reviewer", "POST", f"{base}/suspend", {"reason": "because"}, status=400)
    suspended = api(
        "reviewer", "POST", f"{base}/suspend", {"reason": "out_of_scope", "note": "超范围"}
    )
    assert suspended["status"] == "suspended" and suspended["status_reason"] == "out_of_scope"
    refused = api.client.get(resource, headers={"Authorization": key})
    assert refused.status_code == 403 and "超范围使用" in refused.get_data(as_text=True)
    assert api("reviewer", "POST", f"{base}/restore", {})["status"] == "active"
    assert api.client.get(resource, headers={"Authorization": key}).status_code == 200

    # an overdue use report suspends the grant; filing it restores it
    with rt.session() as session:
        session.execute(
            update(Grant)
            .where(Grant.id == grant_id)
            .values(report_due_on=shanghai_date(now_utc()).replace(year=2025))
        )
    overdue = api.client.get(resource, headers={"Authorization": key})
    assert overdue.status_code == 403 and "使用情况报告" in overdue.get_data(as_text=True)
    assert api(who, "GET", base)["status_reason"] == "missing_report"
    api(who, "POST", f"{base}/report", {"text": ""}, status=400)
    reported = api(who, "POST", f"{base}/report", {"text": "本期用于医师分布分析，未对外提供"})
    assert reported["status"] == "active" and reported["report_due_on"] > str(
        shanghai_date(now_utc())
    )
    assert api.client.get(resource, headers={"Authorization": key}).status_code == 200

    revoked = api("bureau", "POST", f"{base}/revoke", {"reason": "security_incident"})
    assert revoked["status"] == "revoked"
    api("reviewer", "POST", f"{base}/restore", {}, status=409)
    assert api.client.get(resource, headers={"Authorization": key}).status_code == 403


def _user_id(rt, name):
    from datasets.models import User

    with rt.reader() as session:
        return session.scalar(select(User.id).where(User.name == name))


def test_reference_numbers_are_unique_and_sequential(world):
    with world["rt"].reader() as session:
        refs = list(session.scalars(select(Case.reference).where(Case.kind == "application")))
    assert len(refs) == len(set(refs)) >= 3
    numbers = sorted(int(r.rsplit("-", 1)[1]) for r in refs if r.startswith(refs[0][:11]))
    assert numbers == list(range(1, len(numbers) + 1))


PDF = b"%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"


def _upload(api, who, application_id, content, filename="营业执照.pdf", status=201):
    headers = {"Authorization": api.keys[who]} if who else {}
    response = api.client.post(
        f"/api/v1/applications/{application_id}/attachments",
        data={"attachment": (io.BytesIO(content), filename)},
        headers=headers,
        content_type="multipart/form-data",
    )
    assert response.status_code == status, response.get_data(as_text=True)
    return response.get_json()


def test_supporting_documents_through_the_api(api, world):
    """The applicant uploads a PDF with the API key; the department's reviewer reads it; no one
    else learns it exists; a file that is not a PDF or image is refused by its content."""
    created = _submit(api, world)
    case = created["id"]
    _upload(api, None, case, PDF, status=401)
    _upload(api, "beta", case, PDF, status=404)  # another company: no such application
    refused = _upload(api, "acme", case, b"<html>not a pdf</html>", "x.pdf", status=400)
    assert "PDF、PNG 或 JPEG" in refused["error"]["message"]
    item = _upload(api, "acme", case, PDF, filename="../../营业执照.pdf")
    assert item["name"] == "营业执照.pdf" and item["media_type"] == "application/pdf"
    assert item["sha256"] == hashlib.sha256(PDF).hexdigest()
    shown = api("reviewer", "GET", f"/api/v1/applications/{case}")
    assert [a["id"] for a in shown["attachments"]] == [item["id"]]
    assert shown["all_fields"] is True
    file = api("reviewer", "GET", item["url"])
    assert file.data == PDF and file.headers["X-Content-Type-Options"] == "nosniff"
    assert "attachment" in file.headers["Content-Disposition"]
    assert "no-store" in file.headers["Cache-Control"]
    api("beta", "GET", item["url"], status=404)
    api("other_reviewer", "GET", item["url"], status=404)
    api(None, "GET", item["url"], status=401)
    api("acme", "POST", f"/api/v1/applications/{case}/withdraw")
    late = _upload(api, "acme", case, PDF, status=409)
    assert "不能再上传" in late["error"]["message"]
