"""verified requesters: codes sent to an e-mail address or phone (stored hashed), the verified
contact of an account, and how a case's requester was verified

Revision ID: 0016
Revises: 0013
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0016"
down_revision = "0013"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "contact_codes",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("channel", sa.String(length=10), nullable=False),
        sa.Column("address_key", sa.String(length=64), nullable=False),
        sa.Column("code_hash", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("used_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("contact_codes", schema=None) as batch_op:
        batch_op.create_index(
            "ix_contact_codes_address", ["address_key", "created_at"], unique=False
        )
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.add_column(sa.Column("verified_contact", sa.String(length=64), nullable=True))
    with op.batch_alter_table("cases", schema=None) as batch_op:
        batch_op.add_column(sa.Column("requester_verified", sa.String(length=10), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("cases", schema=None) as batch_op:
        batch_op.drop_column("requester_verified")
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.drop_column("verified_contact")
    with op.batch_alter_table("contact_codes", schema=None) as batch_op:
        batch_op.drop_index("ix_contact_codes_address")
    op.drop_table("contact_codes")
