"""initial schema

Revision ID: 0001
Revises:
Create Date: 2026-11-21
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = '0001'
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('login_failure',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('email', sa.String(length=254), nullable=False),
    sa.Column('ip', sa.String(length=64), nullable=True),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_login_failure'))
    )
    with op.batch_alter_table('login_failure', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_login_failure_at'), ['at'], unique=False)
        batch_op.create_index(batch_op.f('ix_login_failure_email'), ['email'], unique=False)
        batch_op.create_index(batch_op.f('ix_login_failure_ip'), ['ip'], unique=False)

    op.create_table('outbox',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('task', sa.String(length=100), nullable=False),
    sa.Column('args', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('last_error', sa.Text(), nullable=True),
    sa.Column('done_at', sa.DateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_outbox'))
    )
    with op.batch_alter_table('outbox', schema=None) as batch_op:
        batch_op.create_index('ix_outbox_pending', ['done_at', 'id'], unique=False)

    op.create_table('product',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('article_number', sa.String(length=64), nullable=False),
    sa.Column('model_code', sa.String(length=128), nullable=True),
    sa.Column('name', sa.String(length=300), nullable=False),
    sa.Column('variant', sa.String(length=200), nullable=True),
    sa.Column('category', sa.String(length=200), nullable=True),
    sa.Column('product_type', sa.String(length=200), nullable=True),
    sa.Column('brand', sa.String(length=200), nullable=True),
    sa.Column('description', sa.Text(), nullable=True),
    sa.Column('attributes', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('price', sa.Numeric(precision=14, scale=2), nullable=True),
    sa.Column('currency', sa.String(length=3), nullable=True),
    sa.Column('weight', sa.String(length=50), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_product')),
    sa.UniqueConstraint('article_number', name=op.f('uq_product_article_number'))
    )
    with op.batch_alter_table('product', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_product_category'), ['category'], unique=False)
        batch_op.create_index(batch_op.f('ix_product_model_code'), ['model_code'], unique=False)

    op.create_table('user_account',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('email', sa.String(length=254), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=True),
    sa.Column('password_hash', sa.String(length=255), nullable=False),
    sa.Column('role', sa.String(length=20), nullable=False),
    sa.Column('is_active', sa.Boolean(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('last_login_at', sa.DateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_user_account')),
    sa.UniqueConstraint('email', name=op.f('uq_user_account_email'))
    )
    op.create_table('asset',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('title', sa.String(length=500), nullable=False),
    sa.Column('description', sa.Text(), nullable=True),
    sa.Column('original_filename', sa.String(length=500), nullable=False),
    sa.Column('media_kind', sa.String(length=20), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('visibility', sa.String(length=20), nullable=False),
    sa.Column('rights_note', sa.Text(), nullable=True),
    sa.Column('rights_expire_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('creator', sa.String(length=300), nullable=True),
    sa.Column('copyright', sa.String(length=500), nullable=True),
    sa.Column('link_key', sa.String(length=300), nullable=True),
    sa.Column('current_version_id', sa.Integer(), nullable=True),
    sa.Column('uploaded_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['uploaded_by_id'], ['user_account.id'], name=op.f('fk_asset_uploaded_by_id_user_account'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_asset'))
    )
    with op.batch_alter_table('asset', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_asset_created_at'), ['created_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_asset_link_key'), ['link_key'], unique=False)
        batch_op.create_index(batch_op.f('ix_asset_status'), ['status'], unique=False)

    op.create_table('audit_event',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('actor_id', sa.Integer(), nullable=True),
    sa.Column('action', sa.String(length=64), nullable=False),
    sa.Column('asset_id', sa.Integer(), nullable=True),
    sa.Column('target', sa.String(length=300), nullable=True),
    sa.Column('detail', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('ip', sa.String(length=64), nullable=True),
    sa.ForeignKeyConstraint(['actor_id'], ['user_account.id'], name=op.f('fk_audit_event_actor_id_user_account'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_audit_event'))
    )
    with op.batch_alter_table('audit_event', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_audit_event_action'), ['action'], unique=False)
        batch_op.create_index(batch_op.f('ix_audit_event_asset_id'), ['asset_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_audit_event_at'), ['at'], unique=False)

    op.create_table('asset_product',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('asset_id', sa.Integer(), nullable=False),
    sa.Column('article_number', sa.String(length=64), nullable=True),
    sa.Column('model_code', sa.String(length=128), nullable=True),
    sa.Column('source', sa.String(length=20), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint('(article_number IS NULL) <> (model_code IS NULL)', name=op.f('ck_asset_product_one_key')),
    sa.ForeignKeyConstraint(['asset_id'], ['asset.id'], name=op.f('fk_asset_product_asset_id_asset'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['created_by_id'], ['user_account.id'], name=op.f('fk_asset_product_created_by_id_user_account'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_asset_product')),
    sa.UniqueConstraint('asset_id', 'article_number', 'model_code', name=op.f('uq_asset_product_asset_id_article_number_model_code'))
    )
    with op.batch_alter_table('asset_product', schema=None) as batch_op:
        batch_op.create_index('ix_asset_product_article', ['article_number'], unique=False)
        batch_op.create_index(batch_op.f('ix_asset_product_asset_id'), ['asset_id'], unique=False)
        batch_op.create_index('ix_asset_product_model', ['model_code'], unique=False)

    op.create_table('asset_tag',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('asset_id', sa.Integer(), nullable=False),
    sa.Column('tag', sa.String(length=100), nullable=False),
    sa.Column('source', sa.String(length=20), nullable=False),
    sa.ForeignKeyConstraint(['asset_id'], ['asset.id'], name=op.f('fk_asset_tag_asset_id_asset'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_asset_tag')),
    sa.UniqueConstraint('asset_id', 'tag', name=op.f('uq_asset_tag_asset_id_tag'))
    )
    with op.batch_alter_table('asset_tag', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_asset_tag_asset_id'), ['asset_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_asset_tag_tag'), ['tag'], unique=False)

    op.create_table('asset_version',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('asset_id', sa.Integer(), nullable=False),
    sa.Column('number', sa.Integer(), nullable=False),
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('size_bytes', sa.BigInteger(), nullable=False),
    sa.Column('original_filename', sa.String(length=500), nullable=False),
    sa.Column('mime_type', sa.String(length=100), nullable=False),
    sa.Column('format', sa.String(length=20), nullable=False),
    sa.Column('width', sa.Integer(), nullable=True),
    sa.Column('height', sa.Integer(), nullable=True),
    sa.Column('dpi_x', sa.Double(), nullable=True),
    sa.Column('dpi_y', sa.Double(), nullable=True),
    sa.Column('color_mode', sa.String(length=20), nullable=True),
    sa.Column('bit_depth', sa.Integer(), nullable=True),
    sa.Column('orientation', sa.String(length=20), nullable=True),
    sa.Column('exif_orientation', sa.Integer(), nullable=True),
    sa.Column('frames', sa.Integer(), nullable=False),
    sa.Column('pages', sa.Integer(), nullable=True),
    sa.Column('has_alpha', sa.Boolean(), nullable=False),
    sa.Column('has_icc', sa.Boolean(), nullable=False),
    sa.Column('icc_description', sa.String(length=300), nullable=True),
    sa.Column('embedded', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('private', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('preview_state', sa.String(length=20), nullable=False),
    sa.Column('preview_error', sa.Text(), nullable=True),
    sa.Column('comment', sa.Text(), nullable=True),
    sa.Column('uploaded_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['asset_id'], ['asset.id'], name=op.f('fk_asset_version_asset_id_asset'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['uploaded_by_id'], ['user_account.id'], name=op.f('fk_asset_version_uploaded_by_id_user_account'), ondelete='SET NULL'),
    sa.UniqueConstraint('sha256', name=op.f('uq_asset_version_sha256')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_asset_version')),
    sa.UniqueConstraint('asset_id', 'number', name=op.f('uq_asset_version_asset_id_number'))
    )
    with op.batch_alter_table('asset_version', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_asset_version_asset_id'), ['asset_id'], unique=False)

    # asset <-> asset_version reference each other: the second foreign key is added once both exist.
    with op.batch_alter_table('asset', schema=None) as batch_op:
        batch_op.create_foreign_key(
            batch_op.f('fk_asset_current_version_id_asset_version'), 'asset_version',
            ['current_version_id'], ['id'], ondelete='SET NULL',
        )

    op.create_table('rendition',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('version_id', sa.Integer(), nullable=False),
    sa.Column('preset', sa.String(length=50), nullable=False),
    sa.Column('preset_hash', sa.String(length=64), nullable=False),
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('mime_type', sa.String(length=100), nullable=False),
    sa.Column('width', sa.Integer(), nullable=False),
    sa.Column('height', sa.Integer(), nullable=False),
    sa.Column('size_bytes', sa.BigInteger(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['version_id'], ['asset_version.id'], name=op.f('fk_rendition_version_id_asset_version'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_rendition')),
    sa.UniqueConstraint('version_id', 'preset', name=op.f('uq_rendition_version_id_preset'))
    )


def downgrade() -> None:
    with op.batch_alter_table('asset', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_asset_current_version_id_asset_version'), type_='foreignkey')
    op.drop_table('rendition')
    with op.batch_alter_table('asset_version', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_asset_version_asset_id'))

    op.drop_table('asset_version')
    with op.batch_alter_table('asset_tag', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_asset_tag_tag'))
        batch_op.drop_index(batch_op.f('ix_asset_tag_asset_id'))

    op.drop_table('asset_tag')
    with op.batch_alter_table('asset_product', schema=None) as batch_op:
        batch_op.drop_index('ix_asset_product_model')
        batch_op.drop_index(batch_op.f('ix_asset_product_asset_id'))
        batch_op.drop_index('ix_asset_product_article')

    op.drop_table('asset_product')
    with op.batch_alter_table('audit_event', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_audit_event_at'))
        batch_op.drop_index(batch_op.f('ix_audit_event_asset_id'))
        batch_op.drop_index(batch_op.f('ix_audit_event_action'))

    op.drop_table('audit_event')
    with op.batch_alter_table('asset', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_asset_status'))
        batch_op.drop_index(batch_op.f('ix_asset_link_key'))
        batch_op.drop_index(batch_op.f('ix_asset_created_at'))

    op.drop_table('asset')
    op.drop_table('user_account')
    with op.batch_alter_table('product', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_product_model_code'))
        batch_op.drop_index(batch_op.f('ix_product_category'))

    op.drop_table('product')
    with op.batch_alter_table('outbox', schema=None) as batch_op:
        batch_op.drop_index('ix_outbox_pending')

    op.drop_table('outbox')
    with op.batch_alter_table('login_failure', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_login_failure_ip'))
        batch_op.drop_index(batch_op.f('ix_login_failure_email'))
        batch_op.drop_index(batch_op.f('ix_login_failure_at'))

    op.drop_table('login_failure')
