"""Migrations upgrade a catalog that already holds data, without losing or half-writing it."""

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import text

from datasets.database import alembic_config, include_object, is_current, upgrade
from datasets.models import Base
from datasets.runtime import Runtime
from datasets.settings import load_settings


def check_upgrade_keeps_data(rt: Runtime) -> None:
    command.upgrade(alembic_config(rt), "0001")
    with rt.engine.begin() as connection:
        connection.execute(
            text(
                "INSERT INTO organizations (id, name, title, description, created_at, updated_at)"
                " VALUES ('o1', 'jtysj', '江州市交通运输局', '',"
                " CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)"
            )
        )
        connection.execute(
            text(
                "INSERT INTO datasets (id, name, title, organization_id, notes, openness, columns, "
                "related, state, unnormalised, revision, created_at, metadata_modified) VALUES "
                "('d1', 'bus', '公交线路', 'o1', '', 'unconditional', '[]', '[]', 'active',"
                " '{}', 1, CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)"
            )
        )
        connection.execute(
            text(
                "INSERT INTO resources (id, dataset_id, position, name, description, format,"
                " filename, storage_root, storage_key, size, sha256, schema, validation_report,"
                " preview,"
                " created_at, modified_at) VALUES ('r1', 'd1', 0, 'lines', '', 'csv', 'lines.csv',"
                " 'public', 'ab/x.csv', 10, 'ab', '{}', '{}', '{}', CURRENT_TIMESTAMP,"
                " CURRENT_TIMESTAMP)"
            )
        )
    upgrade(rt)
    assert is_current(rt)
    with rt.engine.connect() as connection:
        dataset = connection.execute(
            text("SELECT declared_openness, deidentified, title FROM datasets")
        ).one()
        resource = connection.execute(
            text("SELECT public_key, public_sha256, public_size FROM resources")
        ).one()
        # the activity stream starts with the publication of each public dataset
        activity = connection.execute(
            text("SELECT dataset_id, activity_type, public FROM activities")
        ).one()
        context = MigrationContext.configure(
            connection, opts={"compare_type": True, "include_object": include_object}
        )
        assert compare_metadata(context, Base.metadata) == []
    assert tuple(dataset) == ("unconditional", False, "公交线路")
    assert tuple(resource) == ("ab/x.csv", "ab", 10)
    assert tuple(activity) == ("d1", "new package", True)


def test_upgrade_from_the_first_schema_keeps_published_data(tmp_path):
    rt = Runtime(load_settings({"instance": str(tmp_path / "instance")}, environ={}))
    check_upgrade_keeps_data(rt)
    rt.close()
