"""search in the database: search rows written with their datasets, and the database's own
full-text index over their words (SQLite FTS5; PostgreSQL a tsvector with a GIN index)

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-05
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

# The words columns of search_entries, in the order of the full-text index's columns (their
# ranking weights are in datasets.search.engines).
WORD_COLUMNS = ("title_words", "keyword_words", "notes_words", "pinyin_words")

_SQLITE = [
    # an external-content FTS5 table over search_entries, kept in step by triggers, so that
    # whatever writes or deletes a search row (a cascade included) also updates the index
    """CREATE VIRTUAL TABLE search_fts USING fts5(
        title_words, keyword_words, notes_words, pinyin_words,
        content='search_entries', content_rowid='doc', tokenize='unicode61 remove_diacritics 0'
    )""",
    """CREATE TRIGGER search_entries_ai AFTER INSERT ON search_entries BEGIN
        INSERT INTO search_fts(rowid, title_words, keyword_words, notes_words, pinyin_words)
        VALUES (new.doc, new.title_words, new.keyword_words, new.notes_words, new.pinyin_words);
    END""",
    """CREATE TRIGGER search_entries_ad AFTER DELETE ON search_entries BEGIN
        INSERT INTO search_fts(
            search_fts, rowid, title_words, keyword_words, notes_words, pinyin_words
        ) VALUES (
            'delete', old.doc, old.title_words, old.keyword_words, old.notes_words,
            old.pinyin_words
        );
    END""",
    """CREATE TRIGGER search_entries_au AFTER UPDATE ON search_entries BEGIN
        INSERT INTO search_fts(
            search_fts, rowid, title_words, keyword_words, notes_words, pinyin_words
        ) VALUES (
            'delete', old.doc, old.title_words, old.keyword_words, old.notes_words,
            old.pinyin_words
        );
        INSERT INTO search_fts(rowid, title_words, keyword_words, notes_words, pinyin_words)
        VALUES (new.doc, new.title_words, new.keyword_words, new.notes_words, new.pinyin_words);
    END""",
]

_POSTGRES = [
    "ALTER TABLE search_entries ADD COLUMN document tsvector GENERATED ALWAYS AS ("
    "setweight(to_tsvector('simple', title_words), 'A') || "
    "setweight(to_tsvector('simple', keyword_words), 'B') || "
    "setweight(to_tsvector('simple', pinyin_words), 'C') || "
    "setweight(to_tsvector('simple', notes_words), 'D')) STORED",
    "CREATE INDEX ix_search_entries_document ON search_entries USING gin (document)",
]


def upgrade() -> None:
    op.create_table(
        "search_entries",
        sa.Column("doc", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("dataset_id", sa.String(length=36), nullable=False),
        sa.Column("revision", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("title", sa.String(length=500), nullable=False),
        sa.Column("title_sort", sa.String(length=500), nullable=False),
        sa.Column("notes", sa.Text(), nullable=False),
        sa.Column("metadata_created", sa.DateTime(timezone=True), nullable=False),
        sa.Column("metadata_modified", sa.DateTime(timezone=True), nullable=False),
        *(sa.Column(column, sa.Text(), nullable=False) for column in WORD_COLUMNS),
        sa.ForeignKeyConstraint(["dataset_id"], ["datasets.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("doc"),
        sa.UniqueConstraint("dataset_id"),
    )
    for column in ("name", "title_sort", "metadata_created", "metadata_modified"):
        op.create_index(f"ix_search_entries_{column}", "search_entries", [column])
    op.create_table(
        "search_values",
        sa.Column("doc", sa.Integer(), nullable=False),
        sa.Column("field", sa.String(length=20), nullable=False),
        sa.Column("value", sa.String(length=200), nullable=False),
        sa.ForeignKeyConstraint(["doc"], ["search_entries.doc"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("doc", "field", "value"),
    )
    op.create_index("ix_search_values_field_value", "search_values", ["field", "value"])
    statements = _SQLITE if op.get_bind().dialect.name == "sqlite" else _POSTGRES
    for statement in statements:
        op.execute(statement)


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        for trigger in ("ai", "ad", "au"):
            op.execute(f"DROP TRIGGER IF EXISTS search_entries_{trigger}")
        op.execute("DROP TABLE IF EXISTS search_fts")
    op.drop_table("search_values")
    op.drop_table("search_entries")
