"""harvest locks quality withdrawal

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-22
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("datasets", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("quality", sa.JSON(), nullable=False, server_default=sa.text("'{}'"))
        )
        batch_op.add_column(sa.Column("missing_since", sa.DateTime(timezone=True), nullable=True))

    with op.batch_alter_table("harvest_sources", schema=None) as batch_op:
        batch_op.add_column(sa.Column("lock_job_id", sa.String(length=36), nullable=True))
        batch_op.add_column(sa.Column("lock_owner", sa.String(length=200), nullable=True))
        batch_op.add_column(sa.Column("lock_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(
            sa.Column("last_complete_at", sa.DateTime(timezone=True), nullable=True)
        )


def downgrade() -> None:
    with op.batch_alter_table("harvest_sources", schema=None) as batch_op:
        batch_op.drop_column("last_complete_at")
        batch_op.drop_column("lock_at")
        batch_op.drop_column("lock_owner")
        batch_op.drop_column("lock_job_id")

    with op.batch_alter_table("datasets", schema=None) as batch_op:
        batch_op.drop_column("missing_since")
        batch_op.drop_column("quality")
