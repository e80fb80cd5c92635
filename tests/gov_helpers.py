"""Helpers for the governance tests: unique image files, assets in a given state, bearer headers."""

from __future__ import annotations

import uuid
from datetime import datetime
from pathlib import Path

from flask import Flask
from PIL import Image

from models import Asset
from portal.runtime import Runtime
from portal.services.accounts.tokens import create_token
from portal.services.accounts.users import create_user
from portal.services.catalog.ingest import ingest_file
from tests.conftest import TEST_PASSWORD


def png(folder: Path, seed: int, name: str | None = None, size: tuple[int, int] = (64, 48)) -> Path:
    """A small PNG whose bytes differ per ``seed``."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / (name or f"image-{seed}.png")
    colour = (seed * 37 % 256, seed * 91 % 256, seed * 53 % 256)
    image = Image.new("RGB", size, colour)
    image.putpixel((seed % size[0], (seed // size[0]) % size[1]), (255 - colour[0], 0, 0))
    image.save(path, "PNG")
    return path


def new_asset(
    rt: Runtime, folder: Path, seed: int, user_id: int | None = None, title: str | None = None
) -> int:
    """Ingest a fresh image as a new draft asset; returns its id."""
    result = ingest_file(rt, png(folder, seed), f"image-{seed}.png", user_id=user_id, title=title)
    assert result.ok and result.asset_id, result.error
    return result.asset_id


def set_state(
    rt: Runtime,
    asset_id: int,
    status: str,
    visibility: str = "internal",
    expire: datetime | None = None,
    approved: bool | None = None,
) -> None:
    """Put an asset directly into a state (``approved`` defaults to: it was approved once)."""
    with rt.db.transaction() as session:
        asset = session.get(Asset, asset_id)
        assert asset is not None
        asset.status, asset.visibility, asset.rights_expire_at = status, visibility, expire
        was_approved = status in ("approved", "archived") if approved is None else approved
        asset.approved_version_id = asset.current_version_id if was_approved else None


def user_with_token(app: Flask, role: str, scope: str = "write") -> tuple[int, dict[str, str]]:
    """A new user of ``role`` and the Authorization header of a fresh token of theirs."""
    rt: Runtime = app.extensions["assetport"]
    with rt.db.transaction() as session:
        user = create_user(session, f"{role}-{uuid.uuid4().hex[:8]}@example.com", TEST_PASSWORD, role)
        _, raw = create_token(session, user.id, scope)
        return user.id, {"Authorization": f"Bearer {raw}"}
