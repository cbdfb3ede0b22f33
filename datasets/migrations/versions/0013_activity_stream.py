"""activity stream: one row per public change of the catalog (published, updated, withdrawn,
reclassified, suspended, restored), served as CKAN's activity lists

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-06
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "activities",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("timestamp", sa.DateTime(timezone=True), nullable=False),
        sa.Column(
            "dataset_id",
            sa.String(36),
            sa.ForeignKey("datasets.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("organization_id", sa.String(36), nullable=False),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("activity_type", sa.String(30), nullable=False),
        sa.Column("public", sa.Boolean(), nullable=False),
        sa.Column("data", sa.JSON(), nullable=False),
    )
    op.create_index("ix_activities_dataset_time", "activities", ["dataset_id", "timestamp"])
    op.create_index(
        "ix_activities_organization_time", "activities", ["organization_id", "timestamp"]
    )
    op.create_index("ix_activities_public_time", "activities", ["public", "timestamp"])


def downgrade() -> None:
    op.drop_table("activities")
