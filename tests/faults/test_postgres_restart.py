"""PostgreSQL restarted under load: gunicorn serves a steady stream of reads and of
applications being filed, documented, decided and signed through the API while the tests' own
PostgreSQL server is stopped (fast shutdown) and started again.

Requests meanwhile fail cleanly: 503 with ``Retry-After``, in the API's one error shape or as a
Chinese page. The pool recovers by itself (``pool_pre_ping``): once the server is back every
request succeeds. And afterwards every application the clients were told was accepted exists,
whole (each step told done is recorded once, every document told stored is listed and on
disk), none that was refused exists, and no document file is left that no application lists."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from datasets.models import AuditEntry, Case, Grant
from datasets.workflows.attachments import folder
from tests.faults.stack import Gunicorn, OwnPostgres, get, wait_for
from tests.faults.world import Client, Filed, Ledger, build, run_all, unavailable_problem

pytestmark = pytest.mark.slow

DOWN_SECONDS = 2.5
STEADY_SECONDS = 3.0
RECOVERY_GRACE = 1.0  # a request begun this long after the server is back must succeed
AUDITED = {"submit": "application.submit", "decision": "application.decide"}
AUDITED |= {"sign": "application.sign"}


def _reads(port: int, world: dict[str, Any], ledger: Ledger, running: list[bool]) -> None:
    """Pages and API reads in a loop: each answer is its content or a clean 503."""
    key = world["keys"]["company-0"]
    reads = [
        ("/", True, "江州市", {}),
        (f"/dataset/{world['open']}", True, "公交线路信息", {}),
        ("/api/3/action/package_search?q=%E5%85%AC%E4%BA%A4", False, '"公交线路信息"', {}),
        ("/api/v1/applications", False, '"applications"', {"Authorization": key}),
    ]
    n = 0
    while running[0]:
        path, html, marker, headers = reads[n % len(reads)]
        n += 1
        began = time.monotonic()
        try:
            answer = get(port, path, **headers)
        except OSError as exc:
            ledger.problem(f"GET {path}: no answer ({exc!r})")
            continue
        ledger.note(began, path, answer.status)
        if answer.status == 503:
            if found := unavailable_problem(answer, html):
                ledger.problem(f"GET {path}: {found}")
            time.sleep(0.05)
        elif answer.status != 200 or marker not in answer.text():
            ledger.problem(f"GET {path}: {answer.status} {answer.text()[:300]}")


def _decided_after(ledger: Ledger, moment: float) -> int:
    with ledger.lock:
        return sum(1 for b, _e, w, s in ledger.answers if b > moment and "/decision" in w)


def _check_recorded(rt: Any, ledger: Ledger) -> None:
    """What the clients were told is what the database holds, whole."""
    accepted = {f.id: f for f in ledger.filed}
    with rt.reader() as session:
        cases = {c.id: c for c in session.scalars(select(Case).where(Case.kind == "application"))}
        grants = {g.application_id: g for g in session.scalars(select(Grant))}
        audits = session.execute(
            select(AuditEntry.object_id, AuditEntry.action).where(AuditEntry.object_type == "case")
        ).all()
    assert set(cases) == set(accepted), "applications the clients were not told of, or lost"
    purposes = {c.body.get("purpose") for c in cases.values()}
    assert not purposes & set(ledger.refused_purposes), "an application refused with 503 exists"
    for case_id, filed in accepted.items():
        case = cases[case_id]
        assert case.body["purpose"] == filed.purpose and case.status == filed.status, case_id
        actions = sorted(a for object_id, a in audits if object_id == case_id)
        expected = [AUDITED[s] for s in filed.told] + ["application.attach"] * len(filed.documents)
        assert actions == sorted(expected), (case_id, actions, filed.told)
        _check_documents(rt, case, filed)
        if filed.status == "granted":
            grant = grants[case_id]
            assert grant.status == "active" and grant.dataset_id == case.dataset_id
        else:
            assert case_id not in grants, f"a grant of {case.status} application {case_id}"
    assert set(grants) <= set(accepted)


def _check_documents(rt: Any, case: Case, filed: Filed) -> None:
    listed = case.body.get("attachments") or []
    assert sorted(a["name"] for a in listed) == sorted(filed.documents), case.id
    assert not {a["name"] for a in listed} & set(filed.refused_documents)
    stored = folder(rt, case.id)
    on_disk = sorted(p.name for p in stored.iterdir()) if stored.exists() else []
    assert on_disk == sorted(f"{a['id']}.{a['extension']}" for a in listed), (
        f"document files no application lists, or missing: {on_disk}"
    )


def test_requests_fail_cleanly_while_postgresql_restarts_and_nothing_is_lost(
    tmp_path: Path, own_postgres: OwnPostgres, own_database: str
) -> None:
    world = build(tmp_path / "instance", own_database, companies=3)
    env = {
        "KAIFANG_INSTANCE": str(tmp_path / "instance"),
        "KAIFANG_DATABASE_URL": own_database,
        "KAIFANG_RATELIMIT_ENABLED": "0",
    }
    server = Gunicorn(tmp_path, env)
    ledger = Ledger()
    server.start()
    clients = [
        Client(server.port, world, ledger, company, dataset)
        for company in [k for k in world["keys"] if k.startswith("company-")]
        for dataset in world["datasets"]
    ]
    running = [True]
    threads = run_all(
        [c.run for c in clients] + [lambda: _reads(server.port, world, ledger, running)]
    )
    try:
        time.sleep(STEADY_SECONDS)
        down = time.monotonic()
        own_postgres.stop()
        time.sleep(DOWN_SECONDS)
        own_postgres.start()
        back = time.monotonic()
        time.sleep(STEADY_SECONDS + RECOVERY_GRACE)
        wait_for(lambda: _decided_after(ledger, back + RECOVERY_GRACE) >= 2, "decisions", 30)
    finally:
        running[0] = False
        for client in clients:
            client.running = False
        for thread in threads:
            thread.join(timeout=60)
        server.stop()
    assert not ledger.problems, ledger.problems[:10]
    refused = [
        (began, ended, what) for began, ended, what, status in ledger.answers if status == 503
    ]
    assert len([r for r in refused if r[0] <= back and r[1] >= down]) >= 5, (
        "the restart went unseen"
    )
    late = [(round(b - back, 2), what) for b, _e, what in refused if b > back + RECOVERY_GRACE]
    assert not late, f"the pool did not recover by itself: {late[:10]}"
    early = [what for _b, ended, what in refused if ended < down]
    assert not early, f"503 before the server stopped: {early[:10]}"
    after = [s for b, _e, w, s in ledger.answers if b > back + RECOVERY_GRACE and "/decision" in w]
    assert after and all(s == 200 for s in after), "applications did not go on after the restart"
    assert any(f.status == "granted" for f in ledger.filed)
    _check_recorded(world["rt"], ledger)
    assert not list((tmp_path / "instance" / "attachments").rglob("*.part"))
    world["rt"].close()
    print(
        f"{len(ledger.answers)} answers, {len(refused)} of them 503 while the server restarted; "
        f"{len(ledger.filed)} applications filed, {len(ledger.refused_purposes)} refused"
    )
