"""approved version: what partners and the public get while a newer version is in review

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-22

Feature branches (vision, governance, distribution, brand hub) each start from this revision.
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("asset") as batch:
        batch.add_column(sa.Column("approved_version_id", sa.Integer(), nullable=True))
        batch.create_foreign_key(
            "fk_asset_approved_version_id_asset_version",
            "asset_version",
            ["approved_version_id"],
            ["id"],
            ondelete="SET NULL",
            use_alter=True,
        )
    # Assets approved before this revision: their current version is the approved one.
    op.execute(
        "UPDATE asset SET approved_version_id = current_version_id WHERE status IN ('approved', 'archived')"
    )


def downgrade() -> None:
    with op.batch_alter_table("asset") as batch:
        batch.drop_constraint("fk_asset_approved_version_id_asset_version", type_="foreignkey")
        batch.drop_column("approved_version_id")
