"""vision: embeddings, tag vocabulary, tag suggestions, near-duplicate flags

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-23
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")


def _user_fk(table: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        ["decided_by_id"],
        ["user_account.id"],
        name=op.f(f"fk_{table}_decided_by_id_user_account"),
        ondelete="SET NULL",
    )


def upgrade() -> None:
    op.create_table(
        "asset_embedding",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("asset_id", sa.Integer(), nullable=False),
        sa.Column("version_id", sa.Integer(), nullable=False),
        sa.Column("model_id", sa.String(length=200), nullable=False),
        sa.Column("dim", sa.Integer(), nullable=False),
        sa.Column("vector", sa.LargeBinary(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["asset_id"], ["asset.id"], name=op.f("fk_asset_embedding_asset_id_asset"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["version_id"],
            ["asset_version.id"],
            name=op.f("fk_asset_embedding_version_id_asset_version"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_asset_embedding")),
        sa.UniqueConstraint("version_id", "model_id", name=op.f("uq_asset_embedding_version_id_model_id")),
    )
    with op.batch_alter_table("asset_embedding", schema=None) as batch_op:
        batch_op.create_index("ix_asset_embedding_model_asset", ["model_id", "asset_id"], unique=False)

    op.create_table(
        "tag_vocabulary",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("group", sa.String(length=50), nullable=False),
        sa.Column("prompts", JSON, nullable=False),
        sa.Column("threshold", sa.Float(), nullable=False),
        sa.Column("enabled", sa.Boolean(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_tag_vocabulary")),
        sa.UniqueConstraint("name", name=op.f("uq_tag_vocabulary_name")),
    )

    op.create_table(
        "tag_suggestion",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("asset_id", sa.Integer(), nullable=False),
        sa.Column("tag", sa.String(length=100), nullable=False),
        sa.Column("score", sa.Float(), nullable=False),
        sa.Column("model_id", sa.String(length=200), nullable=False),
        sa.Column("state", sa.String(length=20), nullable=False),
        sa.Column("decided_by_id", sa.Integer(), nullable=True),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["asset_id"], ["asset.id"], name=op.f("fk_tag_suggestion_asset_id_asset"), ondelete="CASCADE"
        ),
        _user_fk("tag_suggestion"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_tag_suggestion")),
        sa.UniqueConstraint("asset_id", "tag", name=op.f("uq_tag_suggestion_asset_id_tag")),
    )
    with op.batch_alter_table("tag_suggestion", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_tag_suggestion_asset_id"), ["asset_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_tag_suggestion_state"), ["state"], unique=False)

    op.create_table(
        "duplicate_flag",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("asset_id", sa.Integer(), nullable=False),
        sa.Column("similar_asset_id", sa.Integer(), nullable=False),
        sa.Column("score", sa.Float(), nullable=False),
        sa.Column("model_id", sa.String(length=200), nullable=False),
        sa.Column("state", sa.String(length=20), nullable=False),
        sa.Column("decided_by_id", sa.Integer(), nullable=True),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["asset_id"], ["asset.id"], name=op.f("fk_duplicate_flag_asset_id_asset"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["similar_asset_id"],
            ["asset.id"],
            name=op.f("fk_duplicate_flag_similar_asset_id_asset"),
            ondelete="CASCADE",
        ),
        _user_fk("duplicate_flag"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_duplicate_flag")),
        sa.UniqueConstraint(
            "asset_id", "similar_asset_id", name=op.f("uq_duplicate_flag_asset_id_similar_asset_id")
        ),
    )
    with op.batch_alter_table("duplicate_flag", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_duplicate_flag_asset_id"), ["asset_id"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_duplicate_flag_similar_asset_id"), ["similar_asset_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_duplicate_flag_state"), ["state"], unique=False)


def downgrade() -> None:
    op.drop_table("duplicate_flag")
    op.drop_table("tag_suggestion")
    op.drop_table("tag_vocabulary")
    op.drop_table("asset_embedding")
