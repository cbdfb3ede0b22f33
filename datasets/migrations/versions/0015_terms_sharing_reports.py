"""共享属性 with its conditions, ways and basis; grant use volume in bytes, end-of-term use
reports; the working-day calendar provisional deadlines were computed with

Revision ID: 0015
Revises: 0019
Create Date: 2026-12-07
"""

from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa
from alembic import op

revision = "0015"
down_revision = "0019"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("datasets") as batch:
        batch.add_column(sa.Column("share_conditions", sa.Text(), nullable=True))
        batch.add_column(sa.Column("share_method", sa.String(200), nullable=True))
        batch.add_column(sa.Column("share_basis", sa.Text(), nullable=True))
    with op.batch_alter_table("grants") as batch:
        batch.add_column(sa.Column("final_report_due_on", sa.Date(), nullable=True))
    with op.batch_alter_table("grant_access") as batch:
        batch.add_column(sa.Column("bytes", sa.BigInteger(), nullable=True))
    with op.batch_alter_table("use_reports") as batch:
        batch.add_column(
            sa.Column("kind", sa.String(20), nullable=False, server_default="periodic")
        )
    _backfill_final_reports()
    op.create_table(
        "calendar_state",
        sa.Column("id", sa.String(20), primary_key=True),
        sa.Column("fingerprint", sa.String(64), nullable=False),
        sa.Column("last_covered_year", sa.Integer(), nullable=False),
        sa.Column("days", sa.JSON(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    )


_GRANTS = sa.table(
    "grants",
    sa.column("id", sa.String),
    sa.column("expires_on", sa.Date),
    sa.column("final_report_due_on", sa.Date),
)


def _backfill_final_reports() -> None:
    """Grants signed before end-of-term reports owe one within the default 30 days of their
    expiry (a revoked grant: of its planned expiry, the latest date it could have ended)."""
    bind = op.get_bind()
    g = _GRANTS.c
    for grant_id, expires_on in bind.execute(sa.select(g.id, g.expires_on)).all():
        due = expires_on + timedelta(days=30)
        bind.execute(_GRANTS.update().where(g.id == grant_id).values(final_report_due_on=due))


def downgrade() -> None:
    op.drop_table("calendar_state")
    with op.batch_alter_table("use_reports") as batch:
        batch.drop_column("kind")
    with op.batch_alter_table("grant_access") as batch:
        batch.drop_column("bytes")
    with op.batch_alter_table("grants") as batch:
        batch.drop_column("final_report_due_on")
    with op.batch_alter_table("datasets") as batch:
        batch.drop_column("share_basis")
        batch.drop_column("share_method")
        batch.drop_column("share_conditions")
