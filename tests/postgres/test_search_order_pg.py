"""Search rows on PostgreSQL are committed in the order of their ids: a sequence hands ids out as
transactions ask, so without a lock a reader could see package 101 committed while 100 is still
to come, and a static build that reads "the packages written since 100" would never read it."""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
from sqlalchemy import select

from datasets.models import Dataset, SearchEntry, SearchPackage
from datasets.search.entries import write_packages
from datasets.search.generation import generation
from tests.factories import make_runtime, services_catalog

pytestmark = pytest.mark.postgres


def test_a_transaction_writing_search_rows_waits_for_one_that_wrote_before(
    fresh_postgres_url, tmp_path
) -> None:  # type: ignore[no-untyped-def]
    rt = make_runtime(tmp_path / "instance", database_url=fresh_postgres_url)
    try:
        assert rt.engine.dialect.name == "postgresql"
        names = services_catalog(rt, tmp_path)
        first, second = names["open"], names["closed"]
        written, holding, release = threading.Event(), threading.Event(), threading.Event()

        def hold() -> None:  # its package written (an id taken), its commit held back
            with rt.session() as session:
                dataset = session.scalars(select(Dataset).where(Dataset.name == first)).one()
                dataset.title = f"{dataset.title}（一）"
                write_packages(session, [dataset])
                holding.set()
                assert release.wait(30)

        def edit() -> None:
            with rt.session() as session:
                dataset = session.scalars(select(Dataset).where(Dataset.name == second)).one()
                dataset.title = f"{dataset.title}（二）"
            written.set()

        with rt.reader() as session:
            before = generation(session)
        with ThreadPoolExecutor(max_workers=2) as pool:
            held = pool.submit(hold)
            assert holding.wait(30)
            waiting = pool.submit(edit)
            time.sleep(1.5)
            assert not written.is_set()  # the second waits for the first's commit
            with rt.reader() as session:
                assert generation(session) == before
            release.set()
            held.result(30)
            waiting.result(30)
        with rt.reader() as session:
            ids = dict(
                session.execute(
                    select(Dataset.name, SearchPackage.id)
                    .join(SearchEntry, SearchEntry.dataset_id == Dataset.id)
                    .join(SearchPackage, SearchPackage.doc == SearchEntry.doc)
                    .where(Dataset.name.in_([first, second]))
                ).all()
            )
        assert before[0] < ids[first] < ids[second]
    finally:
        rt.close()
