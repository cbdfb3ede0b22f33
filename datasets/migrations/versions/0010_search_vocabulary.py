"""search vocabulary: on SQLite, FTS5's own view of its index (fts5vocab), from which "did you
mean" reads the words of titles with their numbers of datasets instead of cutting every title

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-06
"""

from __future__ import annotations

from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        op.execute("CREATE VIRTUAL TABLE search_fts_vocabulary USING fts5vocab(search_fts, 'col')")


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        op.execute("DROP TABLE search_fts_vocabulary")
