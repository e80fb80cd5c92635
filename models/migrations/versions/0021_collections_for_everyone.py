"""collections for everyone: names unique per owner, shares with users or roles (view or edit)

Every collection made before this was a managers' list; each gets a share with the manager role (edit),
so managers keep reaching them from the hub admin.

Revision ID: 0021
Revises: 0016
Create Date: 2026-12-03
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0021"
down_revision = "0016"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("collection") as batch:
        batch.drop_constraint("uq_collection_name", type_="unique")
        batch.create_unique_constraint("uq_collection_created_by_id_name", ["created_by_id", "name"])
    op.create_table(
        "collection_share",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("collection_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=True),
        sa.Column("role", sa.String(length=20), nullable=True),
        sa.Column("permission", sa.String(length=10), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["collection_id"],
            ["collection.id"],
            name=op.f("fk_collection_share_collection_id_collection"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["user_account.id"],
            name=op.f("fk_collection_share_user_id_user_account"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_collection_share")),
        sa.UniqueConstraint(
            "collection_id", "user_id", name=op.f("uq_collection_share_collection_id_user_id")
        ),
        sa.UniqueConstraint("collection_id", "role", name=op.f("uq_collection_share_collection_id_role")),
    )
    op.create_index(
        op.f("ix_collection_share_collection_id"), "collection_share", ["collection_id"], unique=False
    )
    op.create_index(op.f("ix_collection_share_user_id"), "collection_share", ["user_id"], unique=False)
    op.execute(
        "INSERT INTO collection_share (collection_id, user_id, role, permission, created_at) "
        "SELECT id, NULL, 'manager', 'edit', created_at FROM collection"
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_collection_share_user_id"), table_name="collection_share")
    op.drop_index(op.f("ix_collection_share_collection_id"), table_name="collection_share")
    op.drop_table("collection_share")
    with op.batch_alter_table("collection") as batch:
        batch.drop_constraint("uq_collection_created_by_id_name", type_="unique")
        batch.create_unique_constraint("uq_collection_name", ["name"])
