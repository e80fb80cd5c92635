"""custom fields: admin-defined metadata field definitions and the values on each asset

Revision ID: 0020
Revises: 0019
Create Date: 2026-12-03
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB

revision = "0020"
down_revision = "0019"
branch_labels = None
depends_on = None

JSON = sa.JSON().with_variant(JSONB(), "postgresql")


def upgrade() -> None:
    op.create_table(
        "custom_field",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=40), nullable=False),
        sa.Column("type", sa.String(length=20), nullable=False),
        sa.Column("labels", JSON, nullable=False),
        sa.Column("options", JSON, nullable=False),
        sa.Column("required", sa.Boolean(), nullable=False),
        sa.Column("audience", sa.String(length=10), nullable=False),
        sa.Column("searchable", sa.Boolean(), nullable=False),
        sa.Column("facet", sa.Boolean(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_custom_field")),
        sa.UniqueConstraint("key", name=op.f("uq_custom_field_key")),
    )
    with op.batch_alter_table("asset") as batch:
        batch.add_column(sa.Column("custom_fields", JSON, nullable=False, server_default="{}"))


def downgrade() -> None:
    with op.batch_alter_table("asset") as batch:
        batch.drop_column("custom_fields")
    op.drop_table("custom_field")
