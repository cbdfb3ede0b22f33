"""Signing in on PostgreSQL: the migration goes up and down, and guesses made at the same moment
are all counted (no lost update, one row per subject) and lock the name."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import pytest
from sqlalchemy import select

from datasets.accounts import guard
from datasets.accounts.users import create_user
from datasets.errors import NotAuthorized
from datasets.models import SignInGuard
from datasets.runtime import Runtime
from datasets.settings import load_settings
from tests.factories import make_runtime
from tests.services.test_sign_in_guard import check_migration

pytestmark = pytest.mark.postgres


def test_the_migration_on_postgresql(fresh_postgres_url, tmp_path):
    settings = {"instance": str(tmp_path / "instance"), "database_url": fresh_postgres_url}
    rt = Runtime(load_settings(settings, environ={}))
    try:
        assert rt.engine.dialect.name == "postgresql"
        check_migration(rt)
    finally:
        rt.close()


def test_parallel_guesses_are_all_counted(fresh_postgres_url, tmp_path):
    rt = make_runtime(
        tmp_path / "instance",
        database_url=fresh_postgres_url,
        sign_in_attempts=100,
        sign_in_address_attempts=100,
    )
    try:
        create_user(rt, name="zhang", role="citizen", password="correct horse battery")

        def guess(n: int) -> str:
            try:
                guard.sign_in(rt, name="zhang", password=f"guess {n}", address=f"10.0.0.{n % 2}")
            except NotAuthorized as exc:
                return exc.message
            return "signed in"

        with ThreadPoolExecutor(max_workers=6) as pool:
            answers = list(pool.map(guess, range(12)))
        assert answers == ["用户名或密码不正确"] * 12
        with rt.reader() as session:
            rows = session.execute(
                select(SignInGuard.kind, SignInGuard.failures).order_by(SignInGuard.kind)
            ).all()
        assert sorted(rows) == [("address", 6), ("address", 6), ("name", 12)]
    finally:
        rt.close()
