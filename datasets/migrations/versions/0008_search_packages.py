"""search packages and facets: each search entry's public package dict and its facet values in one
text, written with it, so that a page of hits and the facets of a large matching set are read
from the search rows alone

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-06
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "search_packages",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("doc", sa.Integer(), nullable=False),
        sa.Column("package", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(["doc"], ["search_entries.doc"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("doc"),
        sqlite_autoincrement=True,
    )
    op.create_table(
        "search_facets",
        sa.Column("doc", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("items", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(["doc"], ["search_entries.doc"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("doc"),
    )
    op.create_table(
        "search_removals",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("removed", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sqlite_autoincrement=True,
    )
    # every existing entry is written again, with its package, by the next ``kaifang init``
    # (``sync_index`` repairs rows whose revision differs from their dataset's); until then a
    # hit without a package is read from its dataset
    op.execute("UPDATE search_entries SET revision = -1")


def downgrade() -> None:
    op.drop_table("search_removals")
    op.drop_table("search_facets")
    op.drop_table("search_packages")
