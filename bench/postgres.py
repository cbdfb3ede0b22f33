"""A fresh PostgreSQL database for a benchmark, on the server KAIFANG_BENCH_POSTGRES_URL names
(default: the local server, database ``test``), dropped afterwards."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

SERVER = os.environ.get(
    "KAIFANG_BENCH_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)


@contextmanager
def postgres_database(prefix: str) -> Iterator[str]:
    """The URL of a new database named ``prefix`` and a random tail, dropped afterwards."""
    admin = create_engine(make_url(SERVER), isolation_level="AUTOCOMMIT")
    name = f"{prefix}_{uuid.uuid4().hex[:10]}"
    try:
        with admin.connect() as connection:
            connection.execute(text(f'CREATE DATABASE "{name}"'))
    except Exception as exc:  # noqa: BLE001 - said plainly, then stop
        raise SystemExit(
            f"PostgreSQL at {SERVER} is not reachable ({exc}); start it first"
        ) from exc
    try:
        yield make_url(SERVER).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as connection:
            connection.execute(
                text("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = :n"),
                {"n": name},
            )
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
        admin.dispose()


def kept_database(name: str, fresh: bool) -> str:
    """The URL of database ``name`` on the server, never dropped afterwards (a benchmark's
    catalog kept between runs; ``dropdb`` it when done): made anew when ``fresh``, else created
    only when missing."""
    admin = create_engine(make_url(SERVER), isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as connection:
            if fresh:
                connection.execute(
                    text(
                        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = :n"
                    ),
                    {"n": name},
                )
                connection.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
            found = connection.execute(
                text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": name}
            ).scalar()
            if not found:
                connection.execute(text(f'CREATE DATABASE "{name}"'))
    finally:
        admin.dispose()
    return make_url(SERVER).set(database=name).render_as_string(hide_password=False)
