"""Helpers for the brand hub and share-link tests (no fixtures here): ingest, release, hide, links."""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import timedelta
from html import unescape
from pathlib import Path
from typing import Any

from PIL import Image
from werkzeug.test import TestResponse

from models import Asset, AssetStatus, Role, Visibility
from models.base import utcnow
from portal.runtime import Runtime
from portal.services.brand import share_links as sharelinks
from portal.services.catalog.ingest import ingest_file
from portal.services.governance.policy import Viewer
from portal.services.search import sync as search_sync

MANAGER = Viewer(None, Role.MANAGER)
ADMIN = Viewer(None, Role.ADMIN)


def ingest(rt: Runtime, path: Path, name: str | None = None, title: str | None = None) -> int:
    """Ingest one file; returns the asset id."""
    result = ingest_file(rt, path, name or path.name, title=title)
    assert result.ok and result.asset_id is not None, result.error
    return result.asset_id


def make_pdf(folder: Path, name: str = "brand-guidelines.pdf") -> Path:
    """A two-page PDF (a guideline document) written by Pillow."""
    path = folder / name
    pages = [Image.new("RGB", (420, 594), colour) for colour in ("#1f4e79", "#ffffff")]
    pages[0].save(path, "PDF", save_all=True, append_images=pages[1:], resolution=72)
    return path


def release(rt: Runtime, *asset_ids: int, visibility: str = Visibility.PUBLIC.value) -> None:
    """Approve assets with the given visibility (as the workflow would: index sync in the same commit)."""
    with rt.db.transaction() as session:
        for asset_id in asset_ids:
            asset = session.get(Asset, asset_id)
            assert asset is not None
            asset.status = AssetStatus.APPROVED.value
            asset.visibility = visibility
            asset.approved_version_id = asset.current_version_id
        search_sync.assets_changed(session, asset_ids)


def change(rt: Runtime, asset_id: int, how: str) -> None:
    """Take an asset out of the public set: ``unapproved``, ``internal`` or ``expired``."""
    with rt.db.transaction() as session:
        asset = session.get(Asset, asset_id)
        assert asset is not None
        if how == "unapproved":
            asset.status = AssetStatus.DRAFT.value
            asset.approved_version_id = None
        elif how == "internal":
            asset.visibility = Visibility.INTERNAL.value
        elif how == "expired":
            asset.rights_expire_at = utcnow() - timedelta(minutes=1)
        else:
            raise ValueError(how)
        search_sync.assets_changed(session, [asset_id])


def share(rt: Runtime, kind: str, target: Mapping[str, Any], **options: Any) -> str:
    """Make a share link as a manager; returns its token."""
    options.setdefault("expires_at", utcnow() + timedelta(days=7))
    options.setdefault("allowed_presets", ["web"])
    with rt.db.transaction() as session:
        made = sharelinks.create_link(session, MANAGER, kind=kind, target=dict(target), **options)
    return made.token


def html(resp: TestResponse) -> str:
    """The response body, HTML entities decoded."""
    return unescape(resp.get_data(as_text=True))


def tile_ids(page: str) -> set[int]:
    """Asset ids of the tiles on a hub or share page."""
    return {int(i) for i in re.findall(r'data-asset-id="(\d+)"', page)}


def facet_counts(page: str, name: str) -> dict[str, int]:
    """``{value: count}`` of one facet group on the hub's search page."""
    group = re.search(rf'data-facet="{re.escape(name)}">(.*?)</section>', page, re.S)
    if group is None:
        return {}
    pairs = re.findall(
        r'data-value="([^"]+)">\s*<span class="brand-facet-label">.*?</span>\s*'
        r'<span class="brand-facet-count">(\d+)</span>',
        group.group(1),
        re.S,
    )
    return {value: int(count) for value, count in pairs}
