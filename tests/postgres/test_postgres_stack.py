"""The same spine on PostgreSQL: migrations, a full demo harvest, search, show and download."""

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from datasets.catalog import services as catalog
from datasets.database import include_object, is_current
from datasets.models import Base
from harvester.jobs import run_harvest
from harvester.sources import get_sources
from tests.conftest import harvest_demo
from tests.factories import make_runtime, search

pytestmark = pytest.mark.postgres


@pytest.fixture(scope="module")
def pg_rt(postgres_url, tmp_path_factory):
    rt = make_runtime(tmp_path_factory.mktemp("pg") / "instance", database_url=postgres_url)
    assert rt.engine.dialect.name == "postgresql"
    harvest_demo(rt)
    yield rt
    rt.close()


def test_migrations_match_the_models(pg_rt):
    assert is_current(pg_rt)
    with pg_rt.engine.connect() as connection:
        context = MigrationContext.configure(
            connection, opts={"compare_type": True, "include_object": include_object}
        )
        assert compare_metadata(context, Base.metadata) == []


def test_demo_catalog_is_published_on_postgresql(pg_rt):
    summary = catalog.portal_summary(pg_rt)
    assert summary["datasets"] >= 40 and summary["departments"] >= 8
    assert summary["by_openness"]["conditional"] >= 5 and summary["by_openness"]["closed"] >= 3
    bus = search(pg_rt, q="公交", rows=50)
    assert bus["count"] >= 2 and all("公交" in p["title"] for p in bus["results"])


def test_show_and_download_on_postgresql(pg_rt):
    pkg = search(pg_rt, q="公交", rows=1)["results"][0]
    shown = catalog.package_show(pg_rt, id_or_name=pkg["name"], base_url="")
    assert shown["id"] == pkg["id"]
    found = catalog.resource_download(
        pg_rt, dataset=pkg["name"], resource_id=shown["resources"][0]["id"]
    )
    assert found.path.stat().st_size == shown["resources"][0]["size"]


def test_reharvest_on_postgresql_is_unchanged(pg_rt):
    results = run_harvest(pg_rt, get_sources(pg_rt))
    assert all(r.status == "finished" for r in results)
    assert sum(r.counts["added"] + r.counts["updated"] for r in results) == 0
    assert sum(r.counts["unchanged"] for r in results) >= 40


def test_every_public_table_is_in_the_datastore_schema(pg_rt):
    from sqlalchemy import inspect

    from tests.services.test_row_store import check_demo_tables

    assert check_demo_tables(pg_rt) >= 40
    in_schema = set(inspect(pg_rt.engine).get_table_names(schema="datastore"))
    with pg_rt.reader() as session:
        from sqlalchemy import select

        from datasets.models import RowTable

        names = set(session.scalars(select(RowTable.table_name)))
    assert names == in_schema and len(names) >= 45


def test_rows_filter_sort_and_page_on_postgresql(pg_rt):
    from sqlalchemy import select

    from datasets.models import Resource, RowTable
    from datasets.rows import services as rows
    from datasets.rows.query import Filter, RowQuery

    with pg_rt.reader() as session:
        bus = session.scalar(
            select(RowTable.resource_id)
            .join(Resource, Resource.id == RowTable.resource_id)
            .where(Resource.name == "bus-lines")
        )
    sort = (("票价(元)", True), ("站点数", False))
    whole = rows.query_rows(pg_rt, bus, lambda: RowQuery(sort=sort, limit=1000))
    walked, after = [], None
    while True:
        page = rows.query_rows(
            pg_rt, bus, lambda after=after: RowQuery(sort=sort, limit=5, after=after)
        )
        walked += page.records
        if page.next_token is None:
            break
        after = page.next_token
    assert walked == whole.records and len(walked) == 64
    found = rows.query_rows(
        pg_rt,
        bus,
        lambda: RowQuery(
            filters=(Filter("线路名称", "contains", "湖心岛"), Filter("站点数", "gte", "20"))
        ),
    )
    assert found.total == len(found.records) > 0


def test_keyset_pages_over_nulls_and_ties_on_postgresql(pg_rt):
    from tests.rowwalks import walk_every_order

    walk_every_order(pg_rt.engine)


def test_the_web_app_serves_postgresql(pg_rt):
    from portal.app import create_app

    app = create_app(
        {"instance": str(pg_rt.paths.root), "database_url": pg_rt.settings.database_url}
    )
    body = app.test_client().get("/api/3/action/package_search?q=公交").get_json()
    assert body["success"] and body["result"]["count"] >= 2


def test_migrations_upgrade_existing_data_on_postgresql(postgres_url, tmp_path):
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    from datasets.runtime import Runtime
    from datasets.settings import load_settings
    from tests.services.test_migrations import check_upgrade_keeps_data

    url = make_url(postgres_url)
    name = url.database + "_mig"
    admin = create_engine(url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        rt = Runtime(
            load_settings(
                {
                    "instance": str(tmp_path / "i"),
                    "database_url": url.set(database=name).render_as_string(hide_password=False),
                },
                environ={},
            )
        )
        check_upgrade_keeps_data(rt)
        rt.close()
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
        admin.dispose()
