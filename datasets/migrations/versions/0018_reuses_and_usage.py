"""reuses (应用成果) with the datasets they use, and daily usage counters per dataset

Revision ID: 0018
Revises: 0016
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0018"
down_revision = "0016"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "reuses",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("title", sa.String(200), nullable=False),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("url", sa.String(1000), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("author_name", sa.String(100), nullable=False),
        sa.Column(
            "submitter_id",
            sa.String(36),
            sa.ForeignKey("users.id", ondelete="SET NULL"),
            nullable=True,
        ),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("decided_by", sa.String(100), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
    )
    op.create_index("ix_reuses_submitter_id", "reuses", ["submitter_id"])
    op.create_index("ix_reuses_status_decided", "reuses", ["status", "decided_at"])
    op.create_table(
        "reuse_datasets",
        sa.Column(
            "reuse_id",
            sa.String(36),
            sa.ForeignKey("reuses.id", ondelete="CASCADE"),
            primary_key=True,
        ),
        sa.Column(
            "dataset_id",
            sa.String(36),
            sa.ForeignKey("datasets.id", ondelete="CASCADE"),
            primary_key=True,
        ),
    )
    op.create_index("ix_reuse_datasets_dataset_id", "reuse_datasets", ["dataset_id"])
    op.create_table(
        "usage_counts",
        sa.Column("day", sa.Date(), primary_key=True),
        sa.Column("dataset_id", sa.String(36), primary_key=True),
        sa.Column("kind", sa.String(10), primary_key=True),
        sa.Column("count", sa.BigInteger(), nullable=False),
    )
    op.create_index("ix_usage_counts_day", "usage_counts", ["day"])
    op.create_index("ix_usage_counts_dataset_id", "usage_counts", ["dataset_id"])


def downgrade() -> None:
    op.drop_table("usage_counts")
    op.drop_table("reuse_datasets")
    op.drop_table("reuses")
