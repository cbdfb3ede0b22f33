"""leak paths: grant scopes by column identity, case access codes, confirmed files

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-05
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("grants", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("columns", sa.JSON(), nullable=False, server_default=sa.text("'[]'"))
        )
        batch_op.add_column(
            sa.Column(
                "scope_state",
                sa.String(length=20),
                nullable=False,
                server_default=sa.text("'confirmed'"),
            )
        )
        batch_op.add_column(
            sa.Column("scope_changed_at", sa.DateTime(timezone=True), nullable=True)
        )

    with op.batch_alter_table("cases", schema=None) as batch_op:
        batch_op.add_column(sa.Column("access_code_hash", sa.String(length=64), nullable=True))

    op.create_table(
        "file_confirmations",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("dataset_id", sa.String(length=36), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("resource_name", sa.String(length=300), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("confirmed_by", sa.String(length=100), nullable=False),
        sa.Column("confirmed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(["dataset_id"], ["datasets.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("dataset_id", "sha256", name="uq_file_confirmations_file"),
    )


def downgrade() -> None:
    op.drop_table("file_confirmations")
    with op.batch_alter_table("cases", schema=None) as batch_op:
        batch_op.drop_column("access_code_hash")
    with op.batch_alter_table("grants", schema=None) as batch_op:
        batch_op.drop_column("scope_changed_at")
        batch_op.drop_column("scope_state")
        batch_op.drop_column("columns")
