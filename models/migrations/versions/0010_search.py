"""search relevance: the managed synonym list, seeded with product and e-commerce words

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-03
"""
from __future__ import annotations

from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None

# A snapshot of indexer.synonyms.DEFAULT_RULES when this revision was written (admins edit the list).
DEFAULT_RULES = (
    'hoodie, sweatshirt, hooded sweatshirt, sweater, hoody',
    't-shirt, tshirt, tee',
    'sneaker, trainer, plimsoll, shoe',
    'cushion, pillow',
    'paint, emulsion',
    'beer, ale, lager',
    'beverage, drink => juice, wine, beer',
    'juice, smoothie',
    'bottle, flask',
    'bag, tote',
    'cap, hat',
    'trousers, pants',
    'jacket, coat',
    'mug, cup',
    'saft => juice',
    'kapuzenpullover, kapuzenpulli => hoodie',
    'pullover => sweater, hoodie',
    'farbe, wandfarbe => paint',
    'wein => wine',
    'bier => beer',
    'kissen => cushion',
    'schuh, turnschuh => sneaker, plimsoll, shoe',
    'hemd => shirt',
    'getrank => beverage, juice, wine, beer',
    'schwarz => black',
    'weiss => white',
    'rot => red',
    'gelb => yellow',
    'blau => blue',
    'grun => green',
)


def upgrade() -> None:
    table = op.create_table(
        "synonym_rule",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("rule", sa.String(length=2000), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_synonym_rule")),
        sa.UniqueConstraint("rule", name=op.f("uq_synonym_rule_rule")),
    )
    now = datetime.now(UTC)
    op.bulk_insert(table, [{"rule": rule, "created_at": now} for rule in DEFAULT_RULES])


def downgrade() -> None:
    op.drop_table("synonym_rule")
