"""bulk edit at scale: job kind, source, summary, heartbeat, undo link; per-asset outcomes table

Revision ID: 0019
Revises: 0021
Create Date: 2026-12-03
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0019"
down_revision = "0021"
branch_labels = None
depends_on = None

JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")


def upgrade() -> None:
    with op.batch_alter_table("bulk_job") as batch:
        batch.add_column(sa.Column("kind", sa.String(length=10), nullable=False, server_default="edit"))
        batch.add_column(sa.Column("undo_of_id", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("source", JSON, nullable=False, server_default="{}"))
        batch.add_column(sa.Column("summary", JSON, nullable=False, server_default="{}"))
        batch.add_column(sa.Column("error", sa.Text(), nullable=True))
        batch.add_column(sa.Column("heartbeat_at", sa.DateTime(timezone=True), nullable=True))
        batch.create_foreign_key(
            batch.f("fk_bulk_job_undo_of_id_bulk_job"),
            "bulk_job",
            ["undo_of_id"],
            ["id"],
            ondelete="SET NULL",
        )
    op.create_table(
        "bulk_job_item",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("job_id", sa.Integer(), nullable=False),
        sa.Column("asset_id", sa.Integer(), nullable=False),
        sa.Column("outcome", sa.String(length=10), nullable=False),
        sa.Column("status", sa.Integer(), nullable=True),
        sa.Column("reason", sa.String(length=500), nullable=True),
        sa.Column("before", JSON, nullable=False),
        sa.Column("after", JSON, nullable=False),
        sa.ForeignKeyConstraint(
            ["job_id"], ["bulk_job.id"], name=op.f("fk_bulk_job_item_job_id_bulk_job"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_bulk_job_item")),
        sa.UniqueConstraint("job_id", "asset_id", name=op.f("uq_bulk_job_item_job_id_asset_id")),
    )
    op.create_index("ix_bulk_job_item_job_outcome", "bulk_job_item", ["job_id", "outcome"])


def downgrade() -> None:
    op.drop_index("ix_bulk_job_item_job_outcome", table_name="bulk_job_item")
    op.drop_table("bulk_job_item")
    with op.batch_alter_table("bulk_job") as batch:
        batch.drop_constraint(batch.f("fk_bulk_job_undo_of_id_bulk_job"), type_="foreignkey")
        for name in ("heartbeat_at", "error", "summary", "source", "undo_of_id", "kind"):
            batch.drop_column(name)
