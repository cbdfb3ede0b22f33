"""A Saturday submission is received on Monday, and a decision taken before that day is
published as 办结 on it, never before 受理; reviewers are created by their department's Chinese
name or code; supporting documents are recognised by content."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from datasets.accounts.permissions import Actor
from datasets.accounts.users import create_user
from datasets.errors import NotFound, ValidationError
from datasets.models import Case, Organization, User
from datasets.workflows import application_decisions, applications, attachments, cases
from datasets.workflows import step_requests as req
from datasets.workflows.transparency import public_log
from tests.factories import credit_code, pdf_bytes, services_catalog

PASSWORD = "correct horse battery"
BODY = {
    "purpose": "科研",
    "scope": "内部",
    "scenario": "分析",
    "security_measures": "等保二级",
    "period_months": 6,
    "fields": "all",
    "access_mode": "download",
}
SATURDAY = datetime(2026, 12, 5, 2, 0, tzinfo=UTC)  # 10:00 in Shanghai


def _actor(rt, name: str, role: str) -> Actor:
    with rt.reader() as session:
        user = session.scalar(select(User).where(User.name == name))
        return Actor(name, user.id, frozenset({role}), user.organization_id)


def test_a_decision_is_never_published_before_the_receipt(rt, tmp_path, monkeypatch):
    names = services_catalog(rt, tmp_path)
    create_user(rt, name="reviewer", role="reviewer", password=PASSWORD, department=names["health"])
    create_user(
        rt,
        name="acme",
        role="company",
        password=PASSWORD,
        company_name="江州智医科技有限公司",
        credit_code=credit_code(7),
        legal_representative="王五",
        phone="13800138000",
    )
    monkeypatch.setattr(cases, "now_utc", lambda: SATURDAY)
    filed = applications.submit(
        rt,
        _actor(rt, "acme", "company"),
        req.Application.parse({**BODY, "dataset": names["conditional"]}, rt.settings),
    )
    assert filed["received_on"] == "2026-12-07"  # Saturday → Monday
    decided = application_decisions.decide(
        rt,
        _actor(rt, "reviewer", "reviewer"),
        filed["id"],
        req.Decision.parse(
            {"decision": "refuse", "rule_code": "privacy-trade-secret", "reason": "涉及个人隐私"}
        ),
    )
    assert decided["decided_on"] == "2026-12-07" and decided["decided_on_time"] is True

    # a row decided earlier than its receipt (before this rule) is published as 办结 on 受理
    with rt.session() as session:
        session.get(Case, filed["id"]).decided_on = SATURDAY.date()
    log = public_log.decisions(rt)["decisions"]
    row = next(d for d in log if d["reference"] == filed["reference"])
    assert row["received_on"] == "2026-12-07"
    assert row["decided_on"] == "2026-12-07" and row["decided_on"] >= row["received_on"]


def test_reviewers_are_created_by_the_department_name_or_code(rt, tmp_path):
    services_catalog(rt, tmp_path)
    by_title = create_user(
        rt, name="rev1", role="reviewer", password=PASSWORD, department="江州市卫生健康委员会"
    )
    by_code = create_user(
        rt, name="rev2", role="reviewer", password=PASSWORD, department="11361000MB0000001P"
    )
    with rt.reader() as session:
        titles = {o.id: o.title for o in session.scalars(select(Organization))}
        users = {u.name: u.organization_id for u in session.scalars(select(User))}
    assert titles[users[by_title["name"]]] == "江州市卫生健康委员会"
    assert titles[users[by_code["name"]]] == "江州市交通运输局"
    with pytest.raises(NotFound, match="请填写部门的中文名称或部门代码"):
        create_user(rt, name="rev3", role="reviewer", password=PASSWORD, department="jiangzhou-x")


@pytest.mark.parametrize(
    ("content", "kind"),
    [
        (pdf_bytes("x"), "pdf"),
        (b"\x89PNG\r\n\x1a\n" + b"\0" * 20, "png"),
        (b"\xff\xd8\xff\xe0" + b"\0" * 20, "jpg"),
    ],
)
def test_documents_are_recognised_by_content(content, kind):
    upload = attachments.Upload("名称随意.txt", content)
    assert attachments.check(upload, 1024)[0] == kind
    assert attachments.clean_name("../../名称随意.txt", kind) == f"名称随意.{kind}"


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "请选择"),
        (b"MZ\x90\x00 an executable named .pdf", "PDF、PNG 或 JPEG"),
        (b"%PDF-" + b"0" * 2000, "不能超过"),
    ],
)
def test_documents_that_are_not_accepted_say_why(content, message):
    with pytest.raises(ValidationError, match=message):
        attachments.check(attachments.Upload("证明.pdf", content), 1024)
