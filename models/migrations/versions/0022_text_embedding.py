"""text_embedding: cached text-model vectors per (model, text) for the index sync

Revision ID: 0022
Revises: 0017
Create Date: 2026-12-03
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0022"
down_revision = "0017"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "text_embedding",
        sa.Column("key", sa.String(64), primary_key=True),
        sa.Column("model_id", sa.String(200), nullable=False),
        sa.Column("dim", sa.Integer(), nullable=False),
        sa.Column("vector", sa.LargeBinary(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("used_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_text_embedding_used_at", "text_embedding", ["used_at"])


def downgrade() -> None:
    op.drop_index("ix_text_embedding_used_at", table_name="text_embedding")
    op.drop_table("text_embedding")
