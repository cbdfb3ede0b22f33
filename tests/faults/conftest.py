"""Fixtures of the fault tests: one PostgreSQL server of their own for the session (a fresh
database per test, copied from one migrated once), started from the server binaries, never
the shared server."""

from __future__ import annotations

import tempfile
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.factories import make_runtime
from tests.faults.stack import OwnPostgres

TEMPLATE = "kaifang_fault_template"


@pytest.fixture(scope="session")
def own_postgres() -> Iterator[OwnPostgres]:
    server = OwnPostgres()
    try:
        server.start()
        server.create_database(TEMPLATE)
        with tempfile.TemporaryDirectory() as folder:  # the schema, migrated once
            make_runtime(Path(folder) / "instance", database_url=server.url(TEMPLATE)).close()
        yield server
    finally:
        server.close()


@pytest.fixture
def own_database(own_postgres: OwnPostgres) -> str:
    """The URL of a new database with the current schema on the tests' own server (which
    keeps running between tests; a test that restarts it leaves it running)."""
    if own_postgres.process is None:
        own_postgres.start()
    return own_postgres.create_database(f"kaifang_fault_{uuid.uuid4().hex[:10]}", TEMPLATE)
