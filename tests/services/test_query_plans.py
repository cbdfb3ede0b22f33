"""Reads of one dataset's or one department's rows use an index on that dataset or department.

SQLite plans without statistics; where an index on a flag or a state also served the ORDER BY or
GROUP BY, it read every row of the catalog through it (0.8 s for one dataset page's history and
30 ms for one department's counts at 100,000 datasets). The plans are checked, not timed."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from sqlalchemy import event

from datasets.catalog import activity_list, page_parts, services
from datasets.errors import NotFound
from datasets.publish import sources
from datasets.runtime import Runtime
from harvester.jobs import run_harvest
from harvester.sources import add_source, get_sources
from portal.publish.build import CHUNK
from tests.factories import write_package


def plans(rt: Runtime, call: Callable[[], Any]) -> list[str]:
    """SQLite's query plan of each statement ``call`` runs."""
    statements: list[tuple[str, Any]] = []

    def keep(conn, cursor, statement, parameters, *args):  # type: ignore[no-untyped-def]
        statements.append((statement, parameters))

    event.listen(rt.engine, "before_cursor_execute", keep)
    try:
        call()
    except NotFound:
        pass
    finally:
        event.remove(rt.engine, "before_cursor_execute", keep)
    with rt.engine.connect() as connection:
        return [
            " ".join(str(r[-1]) for r in connection.exec_driver_sql(f"EXPLAIN QUERY PLAN {s}", p))
            for s, p in statements
        ]


def test_one_datasets_and_one_departments_history(rt: Runtime) -> None:
    found = plans(rt, lambda: page_parts.dataset_page_parts(rt, "d" * 36))
    (dataset,) = [p for p in found if "activities" in p]
    (department,) = plans(rt, lambda: activity_list.page_history(rt, organization_id="o" * 36))
    assert "ix_activities_dataset_public_time (dataset_id=? AND public=?)" in dataset
    assert "ix_activities_organization_public_time (organization_id=? AND public=?)" in department


def test_one_departments_counts_by_openness(rt: Runtime) -> None:
    from datasets.models import Organization

    with rt.session() as session:
        session.add(Organization(id="o" * 36, name="dept", title="某部门"))
    found = plans(rt, lambda: services.organization_show(rt, id_or_name="dept"))
    counts = [p for p in found if "datasets" in p]
    assert counts and all("ix_datasets_organization_state_openness" in p for p in counts), found


def test_the_files_of_some_datasets_are_read_from_those_datasets(
    rt: Runtime, tmp_path: Path
) -> None:
    """The static build reads a chunk's public files in one query; once a harvest has told the
    planner the tables' shape it starts from the chunk's datasets, not from every active one
    through the index on the state (110 ms a chunk at 100,000 datasets, 2 ms from the ids)."""
    for n in range(6):
        write_package(tmp_path / "src", f"lines-{n}")
    add_source(rt, name="jt", kind="datapackage", location=str(tmp_path / "src"))
    [job] = run_harvest(rt, get_sources(rt, ["jt"]))  # ends with refresh_statistics
    assert job.status == "finished"
    entries = (sources.public_entries(rt) * CHUNK)[:CHUNK]  # the plan weighs the list's length
    found = [p for p in plans(rt, lambda: sources.with_files(rt, entries)) if "resources" in p]
    assert found and all("ix_datasets_state_openness" not in p for p in found), found
