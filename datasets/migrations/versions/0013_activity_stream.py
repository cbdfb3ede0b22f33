"""activity stream: one row per public change of the catalog (published, updated, withdrawn,
reclassified, suspended, restored), served as CKAN's activity lists

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-06
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

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
    _backfill()


_DATASETS = sa.table(
    "datasets",
    *(sa.column(c, sa.String) for c in ("id", "name", "title", "organization_id", "state")),
    *(sa.column(c, sa.String) for c in ("openness", "exclusion_rule", "topic")),
    sa.column("created_at", sa.DateTime(timezone=True)),
    sa.column("metadata_modified", sa.DateTime(timezone=True)),
)
_ORGS = sa.table("organizations", *(sa.column(c, sa.String) for c in ("id", "name", "title")))
_ACTIVITIES = sa.table(
    "activities",
    *(sa.column(c, sa.String) for c in ("id", "dataset_id", "organization_id", "kind")),
    sa.column("activity_type", sa.String),
    sa.column("timestamp", sa.DateTime(timezone=True)),
    sa.column("public", sa.Boolean),
    sa.column("data", sa.JSON),
)


def _utc(value: datetime | None) -> datetime:
    value = value or datetime.now(UTC)
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def _backfill() -> None:
    """A catalog that predates the stream starts it with the publication of each public
    dataset, at its creation time."""
    d, o = _DATASETS.c, _ORGS.c
    query = (
        sa.select(*d, o.name.label("org_name"), o.title.label("org_title"))
        .join(_ORGS, o.id == d.organization_id)
        .where(d.state == "active")
    )
    rows = [
        {
            "id": str(uuid.uuid4()),
            "dataset_id": r.id,
            "organization_id": r.organization_id,
            "kind": "published",
            "activity_type": "new package",
            "timestamp": _utc(r.created_at),
            "public": True,
            "data": {
                "package": {
                    "id": r.id,
                    "name": r.name,
                    "title": r.title,
                    "type": "dataset",
                    "owner_org": r.organization_id,
                    "organization": {
                        "id": r.organization_id,
                        "name": r.org_name,
                        "title": r.org_title,
                    },
                    "openness": r.openness,
                    "exclusion_rule": r.exclusion_rule,
                    "topic": r.topic,
                    "metadata_modified": _utc(r.metadata_modified).replace(tzinfo=None).isoformat(),
                },
                "kind": "published",
                "kind_title": "发布",
                "openness": {"old": None, "new": r.openness},
            },
        }
        for r in op.get_bind().execute(query)
    ]
    if rows:
        op.bulk_insert(_ACTIVITIES, rows)


def downgrade() -> None:
    op.drop_table("activities")
