"""A fresh PostgreSQL database per test session, dropped afterwards.

The server is named by KAIFANG_TEST_POSTGRES_URL (default: the local server, database ``test``).
Where no server can exist the tests skip with the reason; with KAIFANG_REQUIRE_SERVICES=1 (as CI
sets it) an unreachable server fails them instead.
"""

from __future__ import annotations

import os
import uuid
from contextlib import contextmanager

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

DEFAULT_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"


def _server_url() -> str:
    return os.environ.get("KAIFANG_TEST_POSTGRES_URL", DEFAULT_URL)


def _admin():  # type: ignore[no-untyped-def]
    """An AUTOCOMMIT engine on the server, or skip (fail under KAIFANG_REQUIRE_SERVICES=1)."""
    admin_url = make_url(_server_url())
    try:
        admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
        with admin.connect() as connection:
            connection.execute(text("select 1"))
    except Exception as exc:  # noqa: BLE001
        reason = (
            f"PostgreSQL at {admin_url.render_as_string(hide_password=True)} unreachable: {exc}"
        )
        if os.environ.get("KAIFANG_REQUIRE_SERVICES") == "1":
            pytest.fail(reason)
        pytest.skip(reason)
    return admin


@contextmanager
def _database():  # type: ignore[no-untyped-def]
    """A new, empty database on the server; dropped (its connections ended) afterwards."""
    admin = _admin()
    name = f"kaifang_test_{uuid.uuid4().hex[:12]}"
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield admin.url.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as connection:
            connection.execute(
                text("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = :n"),
                {"n": name},
            )
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
        admin.dispose()


@pytest.fixture(scope="session")
def postgres_url():  # type: ignore[no-untyped-def]
    with _database() as url:
        yield url


@pytest.fixture
def fresh_postgres_url():  # type: ignore[no-untyped-def]
    """A database of this test alone (for tests whose processes write to it)."""
    with _database() as url:
        yield url
