"""media kinds: facts of audio, video, documents, vector graphics and camera RAW; searchable text

Revision ID: 0013
Revises: 0009
Create Date: 2026-12-03
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0013"
down_revision = "0009"
branch_labels = None
depends_on = None

JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")


def upgrade() -> None:
    with op.batch_alter_table("asset_version") as batch:
        batch.add_column(sa.Column("facts", JSON, nullable=False, server_default=sa.text("'{}'")))
        batch.add_column(sa.Column("content", sa.Text(), nullable=True))
        batch.add_column(sa.Column("progress", JSON, nullable=False, server_default=sa.text("'{}'")))


def downgrade() -> None:
    with op.batch_alter_table("asset_version") as batch:
        batch.drop_column("progress")
        batch.drop_column("content")
        batch.drop_column("facts")
