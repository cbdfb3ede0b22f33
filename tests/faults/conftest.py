"""Fixtures of the fault tests: one PostgreSQL server of their own for the session (a fresh
database per test), started from the server binaries, never the shared server."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest

from tests.faults.stack import OwnPostgres


@pytest.fixture(scope="session")
def own_postgres() -> Iterator[OwnPostgres]:
    server = OwnPostgres()
    try:
        server.start()
        yield server
    finally:
        server.close()


@pytest.fixture
def own_database(own_postgres: OwnPostgres) -> str:
    """The URL of a new database on the tests' own server (the server keeps running between
    tests; a test that restarts it leaves it running)."""
    if own_postgres.process is None:
        own_postgres.start()
    return own_postgres.create_database(f"kaifang_fault_{uuid.uuid4().hex[:10]}")
