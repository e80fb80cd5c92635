"""Small helpers shared by tests (no fixtures here)."""

from __future__ import annotations

import csv
import json
from pathlib import Path
from typing import Any

from sqlalchemy import func, select

from models import Asset, AssetVersion
from models.db import Database

FIXTURES = Path(__file__).parent / "fixtures"
ZOO = FIXTURES / "format-zoo"
DEMO = Path(__file__).parent.parent / "portal" / "demo" / "catalog"


def zoo_manifest() -> list[dict[str, Any]]:
    """Rows of the format zoo's manifest, with ``size_wh`` parsed."""
    with open(ZOO / "manifest.csv", newline="") as fh:
        rows = list(csv.DictReader(fh))
    for row in rows:
        row["size"] = tuple(json.loads(row["size_wh"])) if row["size_wh"] else None
    return rows


def count(db: Database, model: type[Any]) -> int:
    """Number of rows of an entity."""
    with db.session() as session:
        return session.scalar(select(func.count()).select_from(model)) or 0


def stored_blobs(root: Path) -> list[Path]:
    """Every file in the blob store except in-flight temp files."""
    return [p for p in root.rglob("*") if p.is_file() and "tmp" not in p.relative_to(root).parts]


def asset_and_version(db: Database, asset_id: int) -> tuple[Asset, AssetVersion]:
    """Load an asset and its current version."""
    with db.session() as session:
        asset = session.get(Asset, asset_id)
        assert asset is not None and asset.current_version_id is not None
        version = session.get(AssetVersion, asset.current_version_id)
        assert version is not None
        return asset, version
