"""Usage counters on PostgreSQL: web processes flushing the same day's counters at the same time
add up exactly (one upsert each, no lost update), and the 最受欢迎 sort orders by them."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import pytest
from sqlalchemy import select

from datasets.catalog import usage
from datasets.models import Dataset, UsageCount
from tests.factories import make_runtime, search, services_catalog

pytestmark = pytest.mark.postgres


def test_concurrent_flushes_add_up_and_order_the_popular_sort(fresh_postgres_url, tmp_path):
    rt = make_runtime(tmp_path / "instance", database_url=fresh_postgres_url)
    try:
        assert rt.engine.dialect.name == "postgresql"
        services_catalog(rt, tmp_path)
        workers = [usage.Counters(rt, flush_seconds=3600) for _ in range(8)]

        def work(counters: usage.Counters) -> int:
            for _ in range(25):
                counters.hit("view", "bus-lines")
                counters.hit("download", "tax")
            return counters.flush()

        with ThreadPoolExecutor(max_workers=8) as pool:
            assert sum(pool.map(work, workers)) == 8 * 50
        with rt.reader() as session:
            rows = session.execute(
                select(Dataset.name, UsageCount.kind, UsageCount.count)
                .join(Dataset, Dataset.id == UsageCount.dataset_id)
                .where(UsageCount.day == usage.today())
            ).all()
        assert sorted(rows) == [("bus-lines", "view", 200), ("tax", "download", 200)]

        with rt.session() as session:
            ids = dict(session.execute(select(Dataset.name, Dataset.id)).all())
            yesterday = usage.today() - timedelta(days=1)
            session.add(UsageCount(day=yesterday, dataset_id=ids["tax"], kind="view", count=9))
            session.add(UsageCount(day=yesterday, dataset_id=ids["bus-lines"], kind="api", count=3))
        found = search(rt, sort="views_recent desc", rows=2)["results"]
        assert [p["name"] for p in found] == ["tax", "bus-lines"]
        assert usage.dataset_usage(rt, ids["tax"])["by_kind"]["view"] == 9
    finally:
        rt.close()
