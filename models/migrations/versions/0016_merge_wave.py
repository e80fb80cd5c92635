"""Merge the heads of the second feature wave: search (0010), trust (0011), API (0012), media (0013) and
notifications (0015). Each branched from 0009 and touches different tables.

Revision ID: 0016
Revises: 0010, 0011, 0012, 0013, 0015
"""

from __future__ import annotations

revision = "0016"
down_revision = ("0010", "0011", "0012", "0013", "0015")
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Nothing to change: the merged revisions are independent."""


def downgrade() -> None:
    """Nothing to change."""
