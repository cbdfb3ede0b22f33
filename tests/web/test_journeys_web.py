"""Dead ends and contradictions of issue 16, walked through the pages with real sessions: a
grant holder's access on the dataset page and the 403 that explains; the company's identity
and supporting documents for the reviewer; the explicit choice of all fields with personal
columns marked; the agreement before applying, at signing and once signed; a refusal that
speaks to people; where each role lands; the operator's links and one-step release; the
bureau reading the department's own reasons."""

from __future__ import annotations

import io
import re

import pytest
from sqlalchemy import select

from datasets.accounts.users import create_user
from datasets.catalog import services as catalog
from datasets.intake.publishing import import_record
from datasets.intake.records import FileRecord, HarvestRecord, ProviderRecord
from datasets.models import HarvestSource, Resource
from portal.app import create_app
from tests.factories import (
    credit_code,
    csrf_token,
    make_runtime,
    pdf_bytes,
    services_catalog,
    sign_in,
    write_csv,
)

PASSWORD = "correct horse battery"
COMPANY = "江州智医科技有限公司"
CODE = "91350100M000100Y43"
HEALTH = "江州市卫生健康委员会"
APPLICATION = {
    "purpose": "医疗资源布局研究",
    "scope": "本公司研究团队内部使用",
    "scenario": "分析各区执业医师分布",
    "security_measures": "等级保护三级，专人专机，用后销毁",
    "period_months": "12",
    "access_mode": "download",
}


VOLUNTEERS = [
    ["姓名", "身份证号", "服务队"],
    ["张伟", "110101199003071234", "第一队"],
    ["李娜", "110101198511203456", "第二队"],
]


def _quarantined(rt, folder) -> str:
    """An entry declared open whose file holds identity numbers: held in quarantine."""
    with rt.reader() as session:
        source_id = session.scalar(select(HarvestSource.id).where(HarvestSource.name == "services"))
    record = HarvestRecord(
        identifier="volunteers",
        name="volunteers",
        title="志愿者名单",
        provider=ProviderRecord(HEALTH, "11361000MB0000002N"),
        notes="志愿者名单",
        topic="卫生健康",
        keywords=(),
        files=(
            FileRecord(
                path=write_csv(folder / "volunteers.csv", VOLUNTEERS), name="v", format="csv"
            ),
        ),
    )
    import_record(rt, record=record, source_id=source_id)
    return "volunteers"


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    """The services catalog, a company and a second one, a citizen, reviewers of both
    departments (created by the department's Chinese name and by its code), the bureau and an
    operator."""
    folder = tmp_path_factory.mktemp("journeys")
    rt = make_runtime(folder / "instance")
    names = services_catalog(rt, folder)
    names["quarantined"] = _quarantined(rt, folder)
    company = {"role": "company", "password": PASSWORD, "legal_representative": "王五"}
    create_user(
        rt, name="acme", company_name=COMPANY, credit_code=CODE, phone="0791-88886666", **company
    )
    create_user(
        rt,
        name="beta",
        company_name="江州贝塔数据有限公司",
        credit_code=credit_code(11),
        email="beta@example.cn",
        **company,
    )
    create_user(rt, name="citizen1", role="citizen", password=PASSWORD)
    create_user(rt, name="health", role="reviewer", password=PASSWORD, department=HEALTH)
    create_user(
        rt, name="transport", role="reviewer", password=PASSWORD, department="11361000MB0000001P"
    )
    create_user(rt, name="bureau1", role="bureau", password=PASSWORD)
    create_user(rt, name="ops", role="operator", password=PASSWORD)
    app = create_app({"instance": str(rt.paths.root), "ratelimit_enabled": False})
    app.config.update(TESTING=True)
    yield rt, app, names
    rt.close()


def _text(response) -> str:
    return response.get_data(as_text=True)


def _post(client, page: str, action: str, data: dict, **kwargs):
    token = csrf_token(_text(client.get(page)))
    return client.post(action, data={"csrf_token": token, **data}, **kwargs)


def _apply(client, dataset: str, **extra) -> str:
    page = f"/services/apply/{dataset}"
    response = _post(client, page, page, {**APPLICATION, **extra})
    assert response.status_code == 303, _text(response)
    return response.location


def _upload(client, link: str, name: str, content: bytes):
    return _post(
        client,
        link,
        link + "/attachments",
        {"attachment": (io.BytesIO(content), name)},
        content_type="multipart/form-data",
    )


def _resource_url(rt, dataset: str) -> str:
    return catalog.package_show(rt, id_or_name=dataset, base_url="")["resources"][0]["url"]


@pytest.fixture(scope="module")
def applied(world):
    """acme's application for the physicians' register (all fields), with a PDF attached."""
    _, app, names = world
    acme = sign_in(app, "acme", PASSWORD)
    link = _apply(acme, names["conditional"], field_scope="all")
    uploaded = _upload(acme, link, "等保备案证明.pdf", pdf_bytes("record 36010012345"))
    assert uploaded.status_code == 303
    return link


def test_a_reviewer_sees_the_company_identity_and_its_documents(world, applied):
    rt, app, _ = world
    acme, reviewer = sign_in(app, "acme", PASSWORD), sign_in(app, "health", PASSWORD)

    # a file that only claims to be a PDF, and one over the limit, are refused with a reason
    fake = _upload(acme, applied, "证明.pdf", b"<html>not a pdf</html>")
    assert fake.status_code == 400 and "PDF、PNG 或 JPEG" in _text(fake)
    big = b"%PDF-1.4\n" + b"0" * rt.settings.attachment_max_bytes
    assert "不能超过" in _text(_upload(acme, applied, "大.pdf", big))

    page = _text(reviewer.get(applied))
    assert COMPANY in page and CODE in page and "王五" in page and "0791-88886666" in page
    assert "统一社会信用代码" in page and "法定代表人" in page
    assert "等保备案证明.pdf" in page and "证明.pdf" not in page.replace("等保备案证明.pdf", "")
    link = re.search(r'href="(/services/application/[^"]+/attachments/[^"]+)"', page).group(1)
    served = reviewer.get(link)
    assert served.status_code == 200 and served.data == pdf_bytes("record 36010012345")
    assert served.headers["Content-Type"] == "application/pdf"
    assert "attachment" in served.headers["Content-Disposition"]
    assert served.headers["Cache-Control"] == "private, no-store"
    assert 'type="file"' not in page  # only the applicant uploads

    # nobody else reads it: another department's reviewer, another applicant, the public
    assert sign_in(app, "transport", PASSWORD).get(link).status_code == 404
    assert sign_in(app, "beta", PASSWORD).get(link).status_code == 404
    assert app.test_client().get(link).status_code == 302
    assert "等保备案证明" not in _text(app.test_client().get("/transparency"))


def test_all_fields_is_a_choice_and_personal_columns_are_marked(world):
    _, app, names = world
    citizen = sign_in(app, "citizen1", PASSWORD)
    page = f"/services/apply/{names['conditional2']}"
    form = _text(citizen.get(page))
    assert re.search(r'value="身份证号"> 身份证号 <span class="pii-mark"[^>]*>（个人信息', form)
    assert re.search(r'value="执业类别"> 执业类别</label>', form)
    assert 'name="field_scope" value="all"' in form and "申请全部字段" in form
    undecided = _post(citizen, page, page, APPLICATION)
    assert undecided.status_code == 400 and "请选择申请全部字段" in _text(undecided)
    none_ticked = _post(citizen, page, page, {**APPLICATION, "field_scope": "some"})
    assert none_ticked.status_code == 400 and "请勾选申请的字段" in _text(none_ticked)


@pytest.fixture(scope="module")
def granted(world, applied):
    """The reviewer approves acme's application; the signing page; the grant's path."""
    _, app, _ = world
    reviewer, acme = sign_in(app, "health", PASSWORD), sign_in(app, "acme", PASSWORD)
    approved = _post(reviewer, applied, applied + "/decision", {"decision": "approve"})
    assert approved.status_code == 303
    signing = _text(acme.get(applied))
    version = re.search(r'name="agreement_version" value="([^"]+)"', signing).group(1)
    signed = _post(
        acme, applied, applied + "/sign", {"agreement_version": version, "accept": "true"}
    )
    assert signed.status_code == 303
    return signing, signed.location


def test_the_agreement_names_the_parties_and_is_kept(world, granted):
    _, app, _ = world
    signing, grant = granted
    # at signing: a document with the parties, the dataset, the fields and the period
    for shown in (HEALTH, COMPANY, CODE, "执业医师注册信息", "全部字段", "自签署之日起 12 个月"):
        assert shown in signing, shown
    assert "<h2>一、使用范围</h2>" in signing and "## 一、使用范围" not in signing

    # before applying anyone may read it
    public = app.test_client().get("/agreement")
    assert public.status_code == 200 and "<h2>二、安全保障</h2>" in _text(public)
    assert "## " not in _text(public) and "公共数据有条件开放使用协议" in _text(public)

    # once signed: the page and the file to keep, for the holder only
    acme = sign_in(app, "acme", PASSWORD)
    page = _text(acme.get(grant + "/agreement"))
    assert "已签署的数据使用协议" in page and COMPANY in page and HEALTH in page
    document = acme.get(grant + "/agreement.txt")
    assert document.status_code == 200 and "attachment" in document.headers["Content-Disposition"]
    text = _text(document)
    assert f"乙方（数据使用方）：{COMPANY}，统一社会信用代码 {CODE}" in text
    assert f"甲方（数据提供部门）：{HEALTH}" in text and "一、使用范围" in text
    assert sign_in(app, "beta", PASSWORD).get(grant + "/agreement.txt").status_code == 404


def test_a_grant_holder_downloads_from_the_dataset_page(world, granted):
    rt, app, names = world
    _, grant = granted
    dataset = names["conditional"]
    url = _resource_url(rt, dataset)
    acme = sign_in(app, "acme", PASSWORD)
    response = acme.get(f"/dataset/{dataset}")
    page = _text(response)
    assert response.headers["Cache-Control"] == "private, no-store"
    assert "您的授权" in page and f'href="{grant}"' in page and "全部字段" in page
    assert f'href="{url}"' in page and "申请后可获取" not in page
    assert 'href="/services/apply/' not in page  # not offered to apply again
    assert "110101199003071234" in _text(acme.get(url))

    # everyone else is still told how to get it
    other = _text(sign_in(app, "beta", PASSWORD).get(f"/dataset/{dataset}"))
    assert "申请后可获取" in other and "您的授权" not in other and f'href="{url}"' not in other
    anonymous = app.test_client().get(f"/dataset/{dataset}")
    assert "您的授权" not in _text(anonymous) and 'href="/agreement"' in _text(anonymous)


def test_the_403_of_a_conditional_file_explains_and_leads_to_applying(world):
    rt, app, names = world
    dataset = names["conditional"]
    url = _resource_url(rt, dataset)
    refused = app.test_client().get(url)
    page = _text(refused)
    assert refused.status_code == 403 and "经审核同意并签署数据使用协议" in page
    assert f'href="/services/apply/{dataset}"' in page and "申请使用" in page
    assert f'href="/login?next=/dataset/{dataset}"' in page
    signed_in = _text(sign_in(app, "citizen1", PASSWORD).get(url))
    assert f'href="/services/apply/{dataset}"' in signed_in and "/login?next" not in signed_in


def test_a_refusal_speaks_to_people_and_the_bureau_reads_the_reasons(world):
    _, app, names = world
    beta, reviewer = sign_in(app, "beta", PASSWORD), sign_in(app, "health", PASSWORD)
    link = _apply(beta, names["conditional2"], fields=["执业类别"])
    refused = _post(
        reviewer,
        link,
        link + "/decision",
        {"decision": "refuse", "rule_code": "privacy-trade-secret", "reason": "涉及救助对象隐私"},
    )
    assert refused.status_code == 303
    page = _text(beta.get(link))
    assert "/api/v1/applications" not in page and "调用" not in page
    assert page.count("如对本决定有异议") == 1 and 'href="#seek-review"' in page
    assert 'id="seek-review"' in page and "异议理由" in page
    inbox = _text(beta.get("/notifications"))
    assert "不予同意" in inbox and "/api/v1/applications" not in inbox and "调用" not in inbox

    objected = _post(beta, link, link + "/objection", {"reason": "本公司为科研机构"})
    assert objected.status_code == 303
    review = _text(sign_in(app, "bureau1", PASSWORD).get(objected.location))
    assert "原决定" in review and "涉及救助对象隐私" in review and "privacy-trade-secret" in review
    assert "执业类别" in review  # the fields applied for


@pytest.mark.parametrize(
    ("name", "landing"),
    [
        ("health", "/workspace"),
        ("bureau1", "/bureau"),
        ("ops", "/admin/quarantine"),
        ("citizen1", "/"),
    ],
)
def test_each_role_lands_where_its_work_is(world, name, landing):
    _, app, _ = world
    client = app.test_client()
    token = csrf_token(_text(client.get("/login")))
    signed = client.post("/login", data={"name": name, "password": PASSWORD, "csrf_token": token})
    assert signed.status_code == 302 and signed.location == landing
    again = app.test_client()
    token = csrf_token(_text(again.get("/login?next=/rules")))
    back = again.post(
        "/login", data={"name": name, "password": PASSWORD, "csrf_token": token, "next": "/rules"}
    )
    assert back.location == "/rules"  # a page to go back to wins


def test_the_operator_moves_between_public_and_operator_pages(world):
    _, app, names = world
    ops = sign_in(app, "ops", PASSWORD)
    public = _text(ops.get(f"/dataset/{names['open']}"))
    assert f'href="/admin/dataset/{names["open"]}"' in public
    assert "/admin/dataset/" not in _text(app.test_client().get(f"/dataset/{names['open']}"))
    admin = _text(ops.get(f"/admin/dataset/{names['open']}"))
    assert f'href="/dataset/{names["open"]}"' in admin


def test_publish_masked_saves_the_chosen_rules_in_the_same_step(world):
    rt, app, names = world
    name = names["quarantined"]
    ops = sign_in(app, "ops", PASSWORD)
    detail = _text(ops.get(f"/admin/dataset/{name}"))
    assert f'formaction="/admin/dataset/{name}/release"' in detail
    columns = re.findall(r'name="column" value="([^"]+)"', detail)
    rules = {"身份证号": "mask-id", "姓名": "mask-name"}
    released = ops.post(
        f"/admin/dataset/{name}/release",
        data={
            "csrf_token": csrf_token(detail),
            "column": columns,
            "policy": [rules.get(c, "") for c in columns],
        },
        follow_redirects=True,
    )
    assert "已解除隔离并发布" in _text(released)
    with rt.reader() as session:
        row = session.scalar(select(Resource).where(Resource.dataset.has(name=name)))
        assert row.masking_applied.get("身份证号") == "mask-id"
    shown = _text(app.test_client().get(f"/dataset/{name}"))
    assert "志愿者名单" in shown and "110101199003071234" not in shown
