"""Keyset paging over nulls and repeated values on SQLite (PostgreSQL: tests/postgres)."""

from __future__ import annotations

from sqlalchemy import create_engine

from tests.rowwalks import walk_every_order


def test_keyset_pages_follow_each_other_over_nulls_and_ties(tmp_path):
    engine = create_engine(f"sqlite:///{tmp_path / 'rows.db'}")
    walk_every_order(engine)
    engine.dispose()
