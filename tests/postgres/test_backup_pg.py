"""``kaifang backup`` and ``kaifang restore`` on PostgreSQL: ``pg_dump`` of every schema (the
catalog, the row store's ``datastore`` and the ``datastore_public`` views), restored with
``pg_restore`` into an empty database of its own; both instances crawled for equal answers.
A database that is not empty is refused (``--force`` does not change that)."""

from __future__ import annotations

import json
import tarfile
import uuid

import pytest
from sqlalchemy import text

from datasets.backup.manifest import DUMP_MEMBER, MANIFEST
from datasets.database import current_revision, head_revision
from tests.backup_world import app_of, build_world, close, crawl, kaifang
from tests.factories import make_runtime
from tests.postgres.conftest import _database

pytestmark = pytest.mark.postgres

START = [
    "/",
    "/search",
    "/organization/",
    "/api/3/action/package_list",
    "/api/3/action/package_search?rows=1000",
    "/data.json",
]


@pytest.fixture(scope="module")
def pg_world(tmp_path_factory):
    folder = tmp_path_factory.mktemp("backup-pg")
    with _database() as source, _database() as target:
        built = build_world(folder, database_url=source)
        assert built["rt"].engine.dialect.name == "postgresql"
        yield {**built, "folder": folder, "source": source, "target": target}
        close(built["app"])
        built["rt"].close()


@pytest.fixture(scope="module")
def pg_restored(pg_world):
    folder = pg_world["folder"]
    env = {
        "KAIFANG_INSTANCE": str(pg_world["rt"].paths.root),
        "KAIFANG_DATABASE_URL": pg_world["source"],
    }
    made = kaifang(env, "backup", str(folder / "pg.tar.gz"))
    assert made.exit_code == 0, made.output
    env = {"KAIFANG_INSTANCE": str(folder / "restored"), "KAIFANG_DATABASE_URL": pg_world["target"]}
    done = kaifang(env, "restore", str(folder / "pg.tar.gz"))
    assert done.exit_code == 0, done.output
    assert "恢复完成" in done.output and "GRANT" in done.output
    rt = make_runtime(folder / "restored", database_url=pg_world["target"])
    app = app_of(rt)
    yield {"rt": rt, "app": app, "archive": folder / "pg.tar.gz", "env": env}
    close(app)
    rt.close()


def test_the_dump_holds_every_schema_and_the_manifest_says_postgresql(pg_world, pg_restored):
    with tarfile.open(pg_restored["archive"]) as tar:
        manifest = json.loads(tar.extractfile(MANIFEST).read())
    assert manifest["database"] == "postgresql" and manifest["pg_dump_major"] >= 15
    assert DUMP_MEMBER in {m["name"] for m in manifest["members"]}
    count = text(
        "SELECT count(*) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
        "WHERE n.nspname = :schema"
    )
    for schema in ("public", "datastore", "datastore_public"):
        with pg_world["rt"].engine.connect() as a, pg_restored["rt"].engine.connect() as b:
            before = a.execute(count, {"schema": schema}).scalar_one()
            assert before > 0, schema
            assert b.execute(count, {"schema": schema}).scalar_one() == before, schema
    assert current_revision(pg_restored["rt"]) == head_revision(pg_restored["rt"])


def test_both_instances_answer_the_same(pg_world, pg_restored):
    apps = (pg_world["app"], pg_restored["app"])
    bodies = crawl(apps, START, limit=250)
    assert len(bodies) > 50 and "physicians" in bodies["/api/3/action/package_list"].decode()
    start = ["/account", "/workspace", f"/services/application/{pg_world['pending']}"]
    reviewer = crawl(apps, start, cookie=pg_world["cookie"], limit=60)
    assert "营业执照.pdf" in reviewer[start[2]].decode()
    key = {"Authorization": pg_world["keys"]["acme"]}
    for app in apps:
        answer = app.test_client().get(pg_world["private_url"], headers=key)
        assert answer.status_code == 200 and "110101199003071234" in answer.get_data(as_text=True)


def test_a_database_that_is_not_empty_is_refused_even_when_forced(pg_restored, tmp_path):
    env = {**pg_restored["env"], "KAIFANG_INSTANCE": str(tmp_path / "empty")}
    for args in (("restore",), ("restore", "--force")):
        done = kaifang(env, *args, str(pg_restored["archive"]))
        assert done.exit_code == 1 and "目标数据库不是空的" in done.output, done.output
    assert not (tmp_path / "empty").exists()


def test_a_missing_pg_dump_is_named_in_chinese(pg_world, tmp_path):
    env = {
        "KAIFANG_INSTANCE": str(pg_world["rt"].paths.root),
        "KAIFANG_DATABASE_URL": pg_world["source"],
        "KAIFANG_PG_BIN_DIR": str(tmp_path),
    }
    done = kaifang(env, "backup", str(tmp_path / "x.tar"))
    assert done.exit_code == 1 and "找不到 pg_dump" in done.output
    assert not list(tmp_path.iterdir())


def _may_read(url: str, role: str) -> bool:
    from sqlalchemy import create_engine

    engine = create_engine(url)
    try:
        with engine.connect() as connection:
            query = text("SELECT has_schema_privilege(:role, 'datastore_public', 'USAGE')")
            return bool(connection.execute(query, {"role": role}).scalar_one())
    finally:
        engine.dispose()


def test_grants_come_back_only_when_asked_for(pg_world, tmp_path):
    """By default the read-only role's grants are left out (the role may not exist on the new
    server); ``--privileges`` restores them."""
    role = f"kaifang_sql_{uuid.uuid4().hex[:8]}"
    admin = pg_world["rt"].engine
    with admin.begin() as connection:
        connection.execute(text(f'CREATE ROLE "{role}"'))
        connection.execute(text(f'GRANT USAGE ON SCHEMA datastore_public TO "{role}"'))
    try:
        env = {
            "KAIFANG_INSTANCE": str(pg_world["rt"].paths.root),
            "KAIFANG_DATABASE_URL": pg_world["source"],
        }
        archive = str(tmp_path / "granted.tar")
        assert kaifang(env, "backup", archive).exit_code == 0
        with _database() as plain, _database() as granted:
            for url, flags in ((plain, ()), (granted, ("--privileges",))):
                env = {"KAIFANG_INSTANCE": str(tmp_path / url[-12:]), "KAIFANG_DATABASE_URL": url}
                done = kaifang(env, "restore", *flags, archive)
                assert done.exit_code == 0, done.output
                assert ("GRANT" in done.output) is not bool(flags), done.output
            assert _may_read(granted, role) and not _may_read(plain, role)
    finally:
        with admin.begin() as connection:
            connection.execute(text(f'REVOKE USAGE ON SCHEMA datastore_public FROM "{role}"'))
            connection.execute(text(f'DROP ROLE "{role}"'))
