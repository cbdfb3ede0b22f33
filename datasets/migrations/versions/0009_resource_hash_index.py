"""resource hash index: the duplicate-file gate looks every harvested file's SHA-256 up among
the catalog's files; without an index each lookup read the whole resources table

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-06
"""

from __future__ import annotations

from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_resources_sha256", "resources", ["sha256"])


def downgrade() -> None:
    op.drop_index("ix_resources_sha256", table_name="resources")
