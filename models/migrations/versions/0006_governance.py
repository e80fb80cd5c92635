"""governance: usage restrictions, review comment, status age, expiry bookkeeping, invitations

Revision ID: 0006
Revises: 0004
Create Date: 2026-11-23
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("asset") as batch:
        batch.add_column(sa.Column("usage_restrictions", sa.Text(), nullable=True))
        batch.add_column(sa.Column("review_comment", sa.Text(), nullable=True))
        batch.add_column(sa.Column("status_changed_at", sa.DateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column("expiry_handled_at", sa.DateTime(timezone=True), nullable=True))
        batch.create_index(op.f("ix_asset_rights_expire_at"), ["rights_expire_at"], unique=False)
    # The queue's age of assets already in review counts from their last change.
    op.execute("UPDATE asset SET status_changed_at = updated_at")
    with op.batch_alter_table("user_account") as batch:
        batch.add_column(sa.Column("invite_token_hash", sa.String(length=64), nullable=True))
        batch.add_column(sa.Column("invite_expires_at", sa.DateTime(timezone=True), nullable=True))
        batch.create_unique_constraint(
            op.f("uq_user_account_invite_token_hash"), ["invite_token_hash"]
        )


def downgrade() -> None:
    with op.batch_alter_table("user_account") as batch:
        batch.drop_constraint(op.f("uq_user_account_invite_token_hash"), type_="unique")
        batch.drop_column("invite_expires_at")
        batch.drop_column("invite_token_hash")
    with op.batch_alter_table("asset") as batch:
        batch.drop_index(op.f("ix_asset_rights_expire_at"))
        batch.drop_column("expiry_handled_at")
        batch.drop_column("status_changed_at")
        batch.drop_column("review_comment")
        batch.drop_column("usage_restrictions")
