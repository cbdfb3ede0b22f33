"""A stop raised inside a database statement keeps the statement's cursor, and with it SQLite's
write lock, alive in its traceback even after the connection is closed; the harvest records its
failure only after ``forget_frames`` (which a harvest stopped mid-publish used to wait 30 s for,
then fail with "database is locked" instead of the stop)."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from harvester.interrupts import Interrupted, forget_frames


def _publish(connection: sqlite3.Connection) -> None:
    cursor = connection.execute("INSERT INTO t VALUES (1) RETURNING x")  # rows unread: active
    assert cursor is not None  # kept by this frame, as a driver's frames keep theirs
    raise Interrupted("任务中断：收到终止信号（SIGTERM）")


def test_the_write_lock_goes_with_the_stops_frames(tmp_path: Path) -> None:
    db = tmp_path / "t.db"
    with sqlite3.connect(db) as setup:
        setup.execute("PRAGMA journal_mode=WAL")
        setup.execute("CREATE TABLE t (x)")
    setup.close()
    writer = sqlite3.connect(db, isolation_level=None)
    writer.execute("BEGIN")
    failure: BaseException | None = None
    try:
        _publish(writer)
    except Interrupted as exc:
        failure = exc
    writer.close()  # what the pool does with a connection a stop interrupted
    other = sqlite3.connect(db, timeout=0.2, isolation_level=None)
    with pytest.raises(sqlite3.OperationalError, match="locked"):
        other.execute("INSERT INTO t VALUES (2)")
    assert failure is not None
    forget_frames(failure)
    other.execute("INSERT INTO t VALUES (3)")
    assert other.execute("SELECT x FROM t").fetchall() == [(3,)]
    other.close()
