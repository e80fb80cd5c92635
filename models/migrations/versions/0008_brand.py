"""brand hub: settings, sections, collections, share links and their access log

Revision ID: 0008
Revises: 0004
Create Date: 2026-11-22
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0008"
down_revision = "0004"
branch_labels = None
depends_on = None

JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")


def upgrade() -> None:
    op.create_table(
        "brand_settings",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("logo_sha256", sa.String(length=64), nullable=True),
        sa.Column("logo_mime", sa.String(length=100), nullable=True),
        sa.Column("colour", sa.String(length=7), nullable=False),
        sa.Column("intro", sa.Text(), nullable=False),
        sa.Column("terms", sa.Text(), nullable=False),
        sa.Column("terms_version", sa.Integer(), nullable=False),
        sa.Column("public_presets", JSON, nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_brand_settings")),
    )
    op.create_table(
        "collection",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["created_by_id"],
            ["user_account.id"],
            name=op.f("fk_collection_created_by_id_user_account"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_collection")),
        sa.UniqueConstraint("name", name=op.f("uq_collection_name")),
    )
    op.create_table(
        "share_link",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("target", JSON, nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("password_hash", sa.String(length=300), nullable=True),
        sa.Column("allowed_presets", JSON, nullable=False),
        sa.Column("download", sa.Boolean(), nullable=False),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["created_by_id"],
            ["user_account.id"],
            name=op.f("fk_share_link_created_by_id_user_account"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_share_link")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_share_link_token_hash")),
    )
    op.create_table(
        "brand_section",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("slug", sa.String(length=100), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("collection_id", sa.Integer(), nullable=True),
        sa.Column("query", sa.String(length=4000), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["collection_id"],
            ["collection.id"],
            name=op.f("fk_brand_section_collection_id_collection"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_brand_section")),
        sa.UniqueConstraint("slug", name=op.f("uq_brand_section_slug")),
    )
    op.create_table(
        "collection_item",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("collection_id", sa.Integer(), nullable=False),
        sa.Column("asset_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["asset_id"], ["asset.id"], name=op.f("fk_collection_item_asset_id_asset"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["collection_id"],
            ["collection.id"],
            name=op.f("fk_collection_item_collection_id_collection"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_collection_item")),
        sa.UniqueConstraint(
            "collection_id", "asset_id", name=op.f("uq_collection_item_collection_id_asset_id")
        ),
    )
    with op.batch_alter_table("collection_item", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_collection_item_asset_id"), ["asset_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_collection_item_collection_id"), ["collection_id"], unique=False)
    op.create_table(
        "share_link_access",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("link_id", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("action", sa.String(length=20), nullable=False),
        sa.Column("asset_id", sa.Integer(), nullable=True),
        sa.Column("preset", sa.String(length=50), nullable=True),
        sa.Column("client_ip", sa.String(length=64), nullable=True),
        sa.ForeignKeyConstraint(
            ["link_id"],
            ["share_link.id"],
            name=op.f("fk_share_link_access_link_id_share_link"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_share_link_access")),
    )
    with op.batch_alter_table("share_link_access", schema=None) as batch_op:
        batch_op.create_index("ix_share_link_access_link_at", ["link_id", "at"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("share_link_access", schema=None) as batch_op:
        batch_op.drop_index("ix_share_link_access_link_at")
    op.drop_table("share_link_access")
    with op.batch_alter_table("collection_item", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_collection_item_collection_id"))
        batch_op.drop_index(batch_op.f("ix_collection_item_asset_id"))
    op.drop_table("collection_item")
    op.drop_table("brand_section")
    op.drop_table("share_link")
    op.drop_table("collection")
    op.drop_table("brand_settings")
