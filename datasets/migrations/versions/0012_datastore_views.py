"""datastore views: each public row table as a view named by its resource id with its field
names as columns, for ``datastore_search_sql`` (on PostgreSQL in the ``datastore_public``
schema, which a read-only role may be given alone)

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-06
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from datasets.rows.store import create_view, drop_view

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None

_TABLES = sa.table(
    "row_tables",
    sa.column("resource_id", sa.String),
    sa.column("table_name", sa.String),
    sa.column("kind", sa.String),
    sa.column("fields", sa.JSON),
)


def _public(connection: sa.Connection) -> list[sa.Row]:
    query = sa.select(_TABLES.c.resource_id, _TABLES.c.table_name, _TABLES.c.fields)
    return list(connection.execute(query.where(_TABLES.c.kind == "public")))


def upgrade() -> None:
    connection = op.get_bind()
    if connection.dialect.name == "postgresql":
        op.execute("CREATE SCHEMA IF NOT EXISTS datastore_public")
    for resource_id, name, fields in _public(connection):
        create_view(connection, resource_id, name, fields)


def downgrade() -> None:
    connection = op.get_bind()
    for resource_id, _name, _fields in _public(connection):
        drop_view(connection, resource_id)
    if connection.dialect.name == "postgresql":
        op.execute("DROP SCHEMA IF EXISTS datastore_public CASCADE")
