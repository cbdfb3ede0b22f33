"""应用成果 (reuses), usage counters and the statistics' period, trends and popular datasets,
through the services on the transparency tests' world (two departments, their datasets and
cases, a citizen, a company and an operator)."""

from __future__ import annotations

import threading
from datetime import date, timedelta

import pytest
from sqlalchemy import event, select

from datasets.accounts.permissions import ANONYMOUS
from datasets.catalog import activity_list, page_parts, reuses, usage
from datasets.errors import Conflict, LoginRequired, NotAuthorized, NotFound, ValidationError
from datasets.models import Activity, Dataset, Notification, UsageCount
from datasets.workflows.transparency.statistics import statistics
from datasets.workflows.transparency.trends import Period, months, parse_period
from tests.factories import search
from tests.services.test_transparency import build_world

GOOD = {
    "title": "江州公交实时地图",
    "type": "app",
    "url": "https://bus.example.com/map",
    "description": "用**公交线路**数据做的地图。<script>alert(1)</script>",
    "author_name": "江州开发者小组",
    "datasets": "bus-lines, taxi-permits",
}


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    built = build_world(tmp_path_factory.mktemp("reuses") / "instance", usage_flush_seconds=0)
    yield built
    built.rt.close()


def _ids(world, *names: str) -> dict[str, str]:
    with world.rt.reader() as session:
        rows = session.execute(select(Dataset.name, Dataset.id).where(Dataset.name.in_(names)))
        return dict(rows.all())


# -- reuses ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"title": ""}, "title"),
        ({"type": "game"}, "type"),
        ({"url": "javascript:alert(1)"}, "url"),
        ({"url": "ftp://example.com/x"}, "url"),
        ({"url": "https://"}, "url"),
        ({"url": "/relative"}, "url"),
        ({"datasets": ""}, "datasets"),
        ({"datasets": [1, 2]}, "datasets"),
        ({"title": ["x"]}, "title"),
        ({"description": "长" * 5001}, "description"),
    ],
)
def test_bad_submissions_are_refused_in_chinese(change, field):
    with pytest.raises(ValidationError) as refused:
        reuses.ReuseInput.parse({**GOOD, **change})
    assert field in refused.value.errors
    assert all("\u4e00" <= ch <= "\u9fff" for ch in refused.value.message[:1])


def test_a_reuse_needs_a_signed_in_submitter_and_known_public_datasets(world):
    wanted = reuses.ReuseInput.parse(GOOD)
    with pytest.raises(LoginRequired):
        reuses.submit(world.rt, ANONYMOUS, wanted)
    for unknown in ("no-such-dataset", "bus-map"):  # unknown, and held back from the public
        bad = reuses.ReuseInput.parse({**GOOD, "datasets": f"bus-lines {unknown}"})
        with pytest.raises(ValidationError) as refused:
            reuses.submit(world.rt, world.actors["citizen1"], bad)
        assert unknown in refused.value.message
    assert reuses.mine(world.rt, world.actors["citizen1"]) == []  # nothing half-written


def test_a_reuse_is_public_only_once_approved(world):
    citizen, operator = world.actors["citizen1"], world.actors["operator1"]
    made = reuses.submit(world.rt, citizen, reuses.ReuseInput.parse(GOOD))
    assert made["status"] == "pending"
    assert {d["name"] for d in made["datasets"]} == {"bus-lines", "taxi-permits"}
    with pytest.raises(NotFound):
        reuses.show(world.rt, ANONYMOUS, made["id"])
    with pytest.raises(NotFound):
        reuses.show(world.rt, world.actors["company1"], made["id"])
    assert reuses.show(world.rt, citizen, made["id"])["status"] == "pending"
    assert made["id"] not in {r["id"] for r in reuses.list_reuses(world.rt)["reuses"]}
    with pytest.raises(NotAuthorized):
        reuses.pending(world.rt, citizen)
    with pytest.raises(NotAuthorized):
        reuses.decide(world.rt, citizen, made["id"], reuses.ReuseDecision("approve", ""))
    assert made["id"] in {r["id"] for r in reuses.pending(world.rt, operator)}

    done = reuses.decide(world.rt, operator, made["id"], reuses.ReuseDecision("approve", ""))
    assert done["status"] == "approved" and done["published"]
    shown = reuses.show(world.rt, ANONYMOUS, made["id"])
    assert "status" not in shown and "submitter" not in str(shown)
    assert "<script>" not in shown["description_html"]
    assert "<strong>公交线路</strong>" in shown["description_html"]
    assert shown["author_name"] == "江州开发者小组"
    listed = reuses.list_reuses(world.rt, dataset="bus-lines")
    assert made["id"] in {r["id"] for r in listed["reuses"]}
    assert made["id"] in {r["id"] for r in reuses.list_reuses(world.rt, kind="app")["reuses"]}
    assert made["id"] not in {r["id"] for r in reuses.list_reuses(world.rt, kind="news")["reuses"]}
    ids = _ids(world, "bus-lines")
    shown = page_parts.dataset_page_parts(world.rt, ids["bus-lines"])["reuses"]
    assert [r["title"] for r in shown] == [GOOD["title"]]
    with pytest.raises(Conflict):
        reuses.decide(world.rt, operator, made["id"], reuses.ReuseDecision("reject", "重复"))
    with world.rt.reader() as session:
        notices = session.scalars(
            select(Notification.subject).where(Notification.user_id == citizen.user_id)
        ).all()
    assert any("江州公交实时地图" in s and "已发布" in s for s in notices)


def test_a_rejection_needs_a_reason_which_the_submitter_reads(world):
    company, operator = world.actors["company1"], world.actors["operator1"]
    made = reuses.submit(
        world.rt, company, reuses.ReuseInput.parse({**GOOD, "title": "无关的广告"})
    )
    with pytest.raises(ValidationError):
        reuses.ReuseDecision.parse({"decision": "reject", "reason": " "})
    reuses.decide(world.rt, operator, made["id"], reuses.ReuseDecision("reject", "与所列数据无关"))
    mine = {r["id"]: r for r in reuses.mine(world.rt, company)}
    assert mine[made["id"]]["status"] == "rejected"
    assert mine[made["id"]]["reason"] == "与所列数据无关"
    with pytest.raises(NotFound):
        reuses.show(world.rt, ANONYMOUS, made["id"])


# -- usage counters ----------------------------------------------------------------------------


def _counts(world, dataset_id: str, day: date) -> dict[str, int]:
    with world.rt.reader() as session:
        rows = session.execute(
            select(UsageCount.kind, UsageCount.count).where(
                UsageCount.dataset_id == dataset_id, UsageCount.day == day
            )
        )
        return dict(rows.all())


def test_hits_from_many_threads_add_up_in_one_row_per_kind(world):
    ids = _ids(world, "road-plan")
    counters = usage.Counters(world.rt, flush_seconds=3600)  # flushed by hand below

    def views() -> None:
        for _ in range(50):
            counters.hit("view", "road-plan")

    threads = [threading.Thread(target=views) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    counters.hit("download", ids["road-plan"])
    counters.hit("api", "no-such-dataset")  # an unknown name is dropped at the flush
    counters.hit("nonsense", "road-plan")  # not a kind: never counted
    assert counters.flush() == 201
    counters.hit("view", "road-plan")
    assert counters.flush() == 1
    assert _counts(world, ids["road-plan"], usage.today()) == {"view": 201, "download": 1}


def test_figures_are_shown_up_to_yesterday_and_order_the_popular_sort(world):
    ids = _ids(world, "bus-lines", "bus-stops-plan")
    yesterday = usage.today() - timedelta(days=1)
    long_ago = usage.today() - timedelta(days=40)
    with world.rt.session() as session:
        session.add_all(
            [
                UsageCount(day=yesterday, dataset_id=ids["bus-stops-plan"], kind="view", count=30),
                UsageCount(day=yesterday, dataset_id=ids["bus-lines"], kind="download", count=5),
                UsageCount(day=long_ago, dataset_id=ids["bus-lines"], kind="view", count=100),
            ]
        )
    figures = usage.dataset_usage(world.rt, ids["bus-lines"])
    assert figures["total"] == 105 and figures["recent"] == 5
    assert figures["by_kind"]["download"] == 5 and figures["until"] == str(yesterday)
    recent = search(world.rt, sort="views_recent desc", rows=2)["results"]
    assert [p["name"] for p in recent] == ["bus-stops-plan", "bus-lines"]
    total = search(world.rt, sort="views_total desc", rows=2)["results"]
    assert [p["name"] for p in total] == ["bus-lines", "bus-stops-plan"]
    with pytest.raises(ValidationError):
        search(world.rt, sort="views_sometimes desc")


# -- statistics --------------------------------------------------------------------------------


def test_the_period_is_a_year_or_a_date_range():
    today = date(2026, 12, 7)
    year = parse_period({"year": "2025"}, today=today)
    assert (year.since, year.until, year.label) == (date(2025, 1, 1), date(2025, 12, 31), "2025年")
    span = parse_period({"since": "2026-03-01"}, today=today)
    assert (span.since, span.until) == (date(2026, 3, 1), today)
    assert parse_period({}, today=today) is None
    for bad in (
        {"year": "1999"},
        {"year": "2027"},
        {"year": "二零二五"},
        {"since": "2026-13-01"},
        {"since": "2026-05-01", "until": "2026-04-01"},
        {"year": "2025", "since": "2025-01-01"},
    ):
        with pytest.raises(ValidationError):
            parse_period(bad, today=today)
    assert months(None, today)[0] == "2026-01" and months(None, today)[-1] == "2026-12"
    assert months(Period(date(2025, 11, 5), date(2026, 2, 1), "x"), today) == [
        "2025-11",
        "2025-12",
        "2026-01",
        "2026-02",
    ]


def test_statistics_count_uses_reuses_and_cases_of_the_period(world):
    ids = _ids(world, "taxi-permits")
    yesterday = usage.today() - timedelta(days=1)
    with world.rt.session() as session:
        session.add(UsageCount(day=yesterday, dataset_id=ids["taxi-permits"], kind="api", count=7))
    made = reuses.submit(
        world.rt,
        world.actors["citizen1"],
        reuses.ReuseInput.parse({**GOOD, "title": "出租车研究报告", "type": "report"}),
    )
    reuses.decide(
        world.rt, world.actors["operator1"], made["id"], reuses.ReuseDecision("approve", "")
    )
    now = statistics(world.rt)
    rows = {r["department"]["name"]: r for r in now["departments"]}
    transport = rows[world.departments["transport"]]
    assert transport["usage"]["api"] >= 7 and transport["usage"]["total"] >= 7
    assert transport["reuses"] >= 1 and now["total"]["reuses"] >= 1
    assert now["total"]["applications"]["received"] == 3
    assert now["popular"][0]["total"] >= now["popular"][-1]["total"]
    assert now["trends"][-1]["month"] == f"{usage.today():%Y-%m}"
    assert sum(t["cases"] for t in now["trends"]) >= 4
    assert now["trends"][-1]["reuses"] >= 1
    old = statistics(world.rt, period=parse_period({"year": "2020"}, today=usage.today()))
    assert old["period"]["label"] == "2020年"
    assert old["total"]["applications"]["received"] == 0 and old["total"]["reuses"] == 0
    assert old["total"]["usage"]["total"] == 0 and old["popular"] == []
    assert [t["month"] for t in old["trends"]][:2] == ["2020-01", "2020-02"]
    assert old["total"]["datasets"] == now["total"]["datasets"]  # openness: as it is now


def test_datasets_published_by_month_follow_shanghai_months(world):
    """The database counts a month's new datasets; a dataset created at 00:30 on the 1st in
    Shanghai (16:30 the day before in UTC) belongs to the new month."""
    from datetime import UTC, datetime

    from datasets.workdays import shanghai_date

    with world.rt.session() as session:
        active = session.scalars(select(Dataset).where(Dataset.state == "active")).all()
        assert len(active) >= 3
        active[0].created_at = datetime(2026, 10, 31, 16, 30, tzinfo=UTC)  # 11-01 00:30
        active[1].created_at = datetime(2026, 10, 31, 15, 30, tzinfo=UTC)  # 10-31 23:30
        active[2].created_at = datetime(2026, 3, 1, 2, 0, tzinfo=UTC)
        expected: dict[str, int] = {}
        for dataset in active:
            month = f"{shanghai_date(dataset.created_at):%Y-%m}"
            expected[month] = expected.get(month, 0) + 1
    today = date(2026, 12, 7)
    found = statistics(world.rt, today=today, period=parse_period({"year": "2026"}, today=today))
    by_month = {t["month"]: t["datasets"] for t in found["trends"]}
    assert list(by_month) == [f"2026-{m:02d}" for m in range(1, 13)]
    assert by_month == {m: expected.get(m, 0) for m in by_month}
    assert by_month["2026-11"] >= 1 and by_month["2026-10"] >= 1 and by_month["2026-03"] >= 1


def test_a_chunk_of_pages_reads_their_parts_at_once_and_each_page_gets_its_own(world):
    """The static build reads the usage figures, reuses, row tables and 更新记录 of a chunk's
    pages in one query each: every page gets what it reads alone, the newest 20 changes of its
    own; a signed-in visitor's page is not given the anonymous parts."""
    rt, operator = world.rt, world.actors["operator1"]
    made = reuses.submit(rt, world.actors["citizen1"], reuses.ReuseInput.parse(GOOD))
    reuses.decide(rt, operator, made["id"], reuses.ReuseDecision("approve", ""))
    ids = _ids(world, "bus-lines", "bus-stops-plan", "taxi-permits")
    earlier = usage.today() - timedelta(days=3)  # a day no other test counts
    with rt.session() as session:
        session.add(UsageCount(day=earlier, dataset_id=ids["taxi-permits"], kind="api", count=7))
        first = session.scalars(
            select(Activity).where(Activity.dataset_id == ids["bus-lines"])
        ).first()
        assert first is not None
        session.add_all(
            Activity(
                dataset_id=first.dataset_id,
                organization_id=first.organization_id,
                kind="updated",
                activity_type="changed package",
                public=n % 5 != 0,  # a change the public never saw is never shown
                timestamp=first.timestamp + timedelta(minutes=n),
                data={**first.data, "kind": "updated", "n": n},
            )
            for n in range(1, 31)
        )
    with rt.reader() as session:
        every = list(session.scalars(select(Dataset.id).where(Dataset.state == "active")))
    alone = {i: page_parts.dataset_page_parts(rt, i) for i in every}
    with page_parts.prefetched(rt, every):
        statements = _statements(rt, lambda: [page_parts.dataset_page_parts(rt, i) for i in every])
        together = {i: page_parts.dataset_page_parts(rt, i) for i in every}
        signed_in = page_parts.dataset_page_parts(rt, ids["bus-lines"], operator)
    assert statements == 0 and together == alone
    history = alone[ids["bus-lines"]]["history"]
    assert len(history) == 20 and len(signed_in["history"]) == 20
    with rt.reader() as session:  # the 20 newest public changes, newest first
        newest = session.scalars(
            select(Activity)
            .where(Activity.dataset_id == ids["bus-lines"], Activity.public.is_(True))
            .order_by(Activity.timestamp.desc(), Activity.id)
            .limit(20)
        ).all()
    shown = [activity_list.activity_dict(a)["local_time"] for a in newest]
    assert [line["time"] for line in history] == shown  # a minute apart: each its own
    assert alone[ids["taxi-permits"]]["usage"] == usage.dataset_usage(rt, ids["taxi-permits"])
    assert alone[ids["taxi-permits"]]["usage"]["by_kind"]["api"] >= 7
    for name in ("bus-lines", "taxi-permits"):
        with rt.reader() as session:
            assert (
                alone[ids[name]]["reuses"] == reuses.for_datasets(session, [ids[name]])[ids[name]]
            )
        assert GOOD["title"] in {r["title"] for r in alone[ids[name]]["reuses"]}
    assert not alone[ids["bus-stops-plan"]]["reuses"]


def _statements(rt, work) -> int:  # type: ignore[no-untyped-def]
    seen: list[str] = []

    def record(*args: object) -> None:
        seen.append(str(args[2]))

    event.listen(rt.engine, "before_cursor_execute", record)
    try:
        work()
    finally:
        event.remove(rt.engine, "before_cursor_execute", record)
    return len(seen)
