"""merge the feature branches (vision, governance, distribution, brand hub) into one head

Revision ID: 0009
Revises: 0005, 0006, 0007, 0008
Create Date: 2026-11-22
"""
from __future__ import annotations

revision = "0009"
down_revision = ("0005", "0006", "0007", "0008")
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Nothing to change: this revision only joins the branches so there is one head again."""


def downgrade() -> None:
    """Nothing to undo."""
