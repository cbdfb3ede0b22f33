"""openness engine and accounts

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-22
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "users",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("display_name", sa.String(length=200), nullable=False),
        sa.Column("password_hash", sa.String(length=300), nullable=False),
        sa.Column("role", sa.String(length=20), nullable=False),
        sa.Column("organization_id", sa.String(length=36), nullable=True),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_login_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["organization_id"],
            ["organizations.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("name"),
    )
    op.create_table(
        "masking_rules",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("dataset_id", sa.String(length=36), nullable=False),
        sa.Column("column", sa.String(length=200), nullable=False),
        sa.Column("policy", sa.String(length=40), nullable=False),
        sa.Column("set_by", sa.String(length=100), nullable=False),
        sa.Column("set_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["dataset_id"], ["datasets.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("dataset_id", "column", name="uq_masking_rules_column"),
    )
    with op.batch_alter_table("masking_rules", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_masking_rules_dataset_id"), ["dataset_id"], unique=False
        )

    with op.batch_alter_table("datasets", schema=None) as batch_op:
        batch_op.add_column(sa.Column("declared_openness", sa.String(length=20), nullable=True))
        batch_op.add_column(
            sa.Column("deidentified", sa.Boolean(), nullable=False, server_default=sa.false())
        )
        batch_op.add_column(
            sa.Column("quarantine", sa.JSON(), nullable=False, server_default=sa.text("'{}'"))
        )
        batch_op.add_column(
            sa.Column("override", sa.JSON(), nullable=False, server_default=sa.text("'{}'"))
        )

    with op.batch_alter_table("resources", schema=None) as batch_op:
        batch_op.add_column(sa.Column("public_key", sa.String(length=200), nullable=True))
        batch_op.add_column(sa.Column("public_sha256", sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column("public_size", sa.BigInteger(), nullable=True))
        batch_op.add_column(
            sa.Column("pii_report", sa.JSON(), nullable=False, server_default=sa.text("'{}'"))
        )
        batch_op.add_column(
            sa.Column("masking_applied", sa.JSON(), nullable=False, server_default=sa.text("'{}'"))
        )
    # existing catalogs: what was published so far was declared that way, and open files are
    # their own public version
    op.execute("UPDATE datasets SET declared_openness = openness")
    op.execute(
        "UPDATE resources SET public_key = storage_key, public_sha256 = sha256, "
        "public_size = size WHERE storage_root = 'public'"
    )


def downgrade() -> None:
    with op.batch_alter_table("resources", schema=None) as batch_op:
        batch_op.drop_column("masking_applied")
        batch_op.drop_column("pii_report")
        batch_op.drop_column("public_size")
        batch_op.drop_column("public_sha256")
        batch_op.drop_column("public_key")

    with op.batch_alter_table("datasets", schema=None) as batch_op:
        batch_op.drop_column("override")
        batch_op.drop_column("quarantine")
        batch_op.drop_column("deidentified")
        batch_op.drop_column("declared_openness")

    with op.batch_alter_table("masking_rules", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_masking_rules_dataset_id"))

    op.drop_table("masking_rules")
    op.drop_table("users")
