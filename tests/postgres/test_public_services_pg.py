"""The public services on PostgreSQL: two reviewers deciding the same application at the same
moment give exactly one decision, and concurrent submissions never share a reference number."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from sqlalchemy import func, select

from datasets.accounts.permissions import Actor
from datasets.accounts.users import create_user
from datasets.errors import Conflict
from datasets.models import AuditEntry, Case, User
from datasets.workflows import application_decisions, applications
from datasets.workflows import step_requests as req
from tests.factories import credit_code, make_runtime, services_catalog

pytestmark = pytest.mark.postgres

PASSWORD = "correct horse battery"
BODY = {
    "purpose": "科研",
    "scope": "内部",
    "scenario": "分布分析",
    "security_measures": "等保二级",
    "period_months": 6,
    "fields": "all",
    "access_mode": "download",
}


@pytest.fixture(scope="module")
def pg(postgres_url, tmp_path_factory):
    folder = tmp_path_factory.mktemp("pg-services")
    rt = make_runtime(folder / "instance", database_url=postgres_url)
    assert rt.engine.dialect.name == "postgresql"
    names = services_catalog(rt, folder)
    for name in ("reviewer-a", "reviewer-b"):
        create_user(rt, name=name, role="reviewer", password=PASSWORD, department=names["health"])
    for seed in range(1, 21):
        create_user(
            rt,
            name=f"company-{seed}",
            role="company",
            password=PASSWORD,
            company_name=f"江州第{seed}数据有限公司",
            credit_code=credit_code(seed),
            legal_representative="王五",
            phone="13800138000",
        )
    yield rt, names
    rt.close()


def _actor(rt, name: str) -> Actor:
    with rt.reader() as session:
        user = session.scalar(select(User).where(User.name == name))
        return Actor(
            name=user.name,
            user_id=user.id,
            roles=frozenset({user.role}),
            organization_id=user.organization_id,
        )


def test_two_reviewers_deciding_at_once_give_exactly_one_decision(pg):
    rt, names = pg
    for round_ in range(5):
        applicant = _actor(rt, f"company-{round_ + 1}")
        created = applications.submit(
            rt,
            applicant,
            req.Application.parse({**BODY, "dataset": names["conditional"]}, rt.settings),
        )
        reviewers = [_actor(rt, "reviewer-a"), _actor(rt, "reviewer-b")]
        decisions = [
            {"decision": "approve", "reason": "同意"},
            {"decision": "refuse", "reason": "不符合条件", "rule_code": "unmet-condition"},
        ]
        barrier = threading.Barrier(2)
        with ThreadPoolExecutor(2) as pool:
            results = list(
                pool.map(
                    _decide, [barrier] * 2, [rt] * 2, reviewers, [created["id"]] * 2, decisions
                )
            )
        won = [r for r in results if isinstance(r, dict)]
        lost = [r for r in results if isinstance(r, Conflict)]
        assert len(won) == 1 and len(lost) == 1, results
        with rt.reader() as session:
            case = session.get(Case, created["id"])
            decided = session.scalar(
                select(func.count())
                .select_from(AuditEntry)
                .where(AuditEntry.object_id == case.id, AuditEntry.action == "application.decide")
            )
        assert decided == 1
        assert case.status == won[0]["status"]


def _decide(barrier, rt, reviewer, application_id, decision):  # type: ignore[no-untyped-def]
    barrier.wait()
    try:
        return application_decisions.decide(
            rt, reviewer, application_id, req.Decision.parse(decision)
        )
    except Conflict as exc:
        return exc


def test_concurrent_submissions_get_unique_consecutive_references(pg):
    rt, names = pg
    applicants = [_actor(rt, f"company-{seed}") for seed in range(6, 21)]
    barrier = threading.Barrier(len(applicants))

    def submit(actor):  # type: ignore[no-untyped-def]
        barrier.wait()
        return applications.submit(
            rt,
            actor,
            req.Application.parse({**BODY, "dataset": names["conditional2"]}, rt.settings),
        )

    with ThreadPoolExecutor(len(applicants)) as pool:
        created = list(pool.map(submit, applicants))
    refs = [c["reference"] for c in created]
    assert len(set(refs)) == len(refs)
    with rt.reader() as session:
        everything = list(session.scalars(select(Case.reference).where(Case.kind == "application")))
    day = refs[0].rsplit("-", 1)[0]
    numbers = sorted(int(r.rsplit("-", 1)[1]) for r in everything if r.startswith(day))
    assert numbers == list(range(1, len(numbers) + 1))
