"""Share links: password (CSRF, rate-limited), revoke and expiry (410), download rules, the partner-level
share rule (never internal, unapproved or expired assets), the access log and the managers' pages."""

from __future__ import annotations

import re
import struct
import zlib
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from models import Role, ShareLink
from models.base import utcnow
from portal.errors import ValidationError
from portal.runtime import Runtime
from portal.services.brand import hub as brand
from portal.services.brand import share_links as sharelinks
from portal.services.governance.policy import Viewer
from tests.brand_helpers import MANAGER, html, ingest, release, share, tile_ids
from tests.conftest import csrf_token
from tests.helpers import ZOO

GOOD = ZOO / "good"
PASSWORD = "press-2026"


def _rt(app: Flask) -> Runtime:
    runtime: Runtime = app.extensions["assetport"]
    return runtime


@pytest.fixture
def assets(app: Flask) -> dict[str, int]:
    rt = _rt(app)
    ids = {
        "public": ingest(rt, GOOD / "hopper.jpg"),
        "partner": ingest(rt, GOOD / "hopper_mask.png"),
        "internal": ingest(rt, GOOD / "pil_sample_rgb.jpg"),
        "draft": ingest(rt, GOOD / "flower.webp"),
    }
    release(rt, ids["public"])
    release(rt, ids["partner"], visibility="partner")
    release(rt, ids["internal"], visibility="internal")
    return ids


def _set_expiry(rt: Runtime, token: str, days: float) -> None:
    with rt.db.transaction() as session:
        link = session.query(ShareLink).filter_by(token_hash=sharelinks.hash_token(token)).one()
        link.expires_at = utcnow() + timedelta(days=days)


def test_password_link_works_then_stops_after_revoke(app: Flask, assets: dict[str, int]) -> None:
    rt = _rt(app)
    token = share(
        rt, "selection", {"asset_ids": list(assets.values())}, password=PASSWORD, note="For the launch."
    )
    client = app.test_client()
    locked = client.get(f"/s/{token}")
    assert locked.status_code == 200 and "This link is protected" in html(locked)
    assert tile_ids(html(locked)) == set()
    assert client.get(f"/s/{token}/a/{assets['public']}/thumb").status_code == 404
    form = csrf_token(client, f"/s/{token}")
    assert client.post(f"/s/{token}", data={"password": PASSWORD}).status_code == 400  # no CSRF token
    wrong = client.post(f"/s/{token}", data={"password": "nope", "csrf_token": form})
    assert wrong.status_code == 401 and "not right" in html(wrong)
    opened = client.post(f"/s/{token}", data={"password": PASSWORD, "csrf_token": form})
    page = html(opened)
    assert opened.status_code == 200 and "For the launch." in page
    # Partner-level rule: public and partner assets, never internal or unapproved ones.
    assert tile_ids(page) == {assets["public"], assets["partner"]}
    assert client.get(f"/s/{token}/a/{assets['partner']}/web").status_code == 200
    assert client.get(f"/s/{token}/a/{assets['internal']}/web").status_code == 404
    assert client.get(f"/s/{token}/a/{assets['draft']}/thumb").status_code == 404

    with rt.db.transaction() as session:
        link_id = session.query(ShareLink.id).scalar()
        sharelinks.revoke(session, MANAGER, link_id)
    gone = client.get(f"/s/{token}")
    assert gone.status_code == 410 and "no longer available" in html(gone)
    assert client.get(f"/s/{token}/a/{assets['public']}/web").status_code == 410


def test_expired_link_answers_410_and_unknown_404(app: Flask, assets: dict[str, int]) -> None:
    rt = _rt(app)
    token = share(rt, "selection", {"asset_ids": [assets["public"]]})
    client = app.test_client()
    assert client.get(f"/s/{token}").status_code == 200
    _set_expiry(rt, token, -1)
    expired = client.get(f"/s/{token}")
    assert expired.status_code == 410 and "expired" in html(expired)
    assert client.get(f"/s/{token}/a/{assets['public']}/thumb").status_code == 410
    assert client.get("/s/not-a-real-token").status_code == 404


def test_download_rules_and_access_log(app: Flask, assets: dict[str, int]) -> None:
    rt = _rt(app)
    view_only = share(rt, "selection", {"asset_ids": [assets["public"]]}, download=False, allowed_presets=[])
    web_only = share(rt, "selection", {"asset_ids": [assets["public"]]}, allowed_presets=["web"])
    client = app.test_client()
    page = html(client.get(f"/s/{view_only}"))
    assert "view only" in page and tile_ids(page) == {assets["public"]}
    assert client.get(f"/s/{view_only}/a/{assets['public']}/thumb").status_code == 200
    assert client.get(f"/s/{view_only}/a/{assets['public']}/web").status_code == 404
    assert client.get(f"/s/{web_only}/a/{assets['public']}/print").status_code == 404
    got = client.get(f"/s/{web_only}/a/{assets['public']}/web")
    assert got.status_code == 200 and got.headers["Content-Disposition"].startswith("attachment")
    assert "private" in got.headers["Cache-Control"]
    client.get(f"/s/{web_only}")
    with rt.db.session() as session:
        counts = {link.id: (views, downloads) for link, views, downloads in sharelinks.list_links(session)}
    assert sorted(counts.values()) == [(1, 0), (1, 1)]


def test_password_attempts_are_rate_limited(app: Flask, assets: dict[str, int]) -> None:
    rt = _rt(app)
    rt.settings.public_rate_passwords = 2
    token = share(rt, "selection", {"asset_ids": [assets["public"]]}, password=PASSWORD)
    client = app.test_client()
    form = csrf_token(client, f"/s/{token}")
    for _ in range(2):
        assert client.post(f"/s/{token}", data={"password": "x", "csrf_token": form}).status_code == 401
    limited = client.post(f"/s/{token}", data={"password": PASSWORD, "csrf_token": form})
    assert limited.status_code == 429 and int(limited.headers["Retry-After"]) > 0


def test_link_creation_is_validated(app: Flask, assets: dict[str, int]) -> None:
    rt = _rt(app)
    bad: list[tuple[str, dict[str, Any], dict[str, Any]]] = [
        ("selection", {"asset_ids": []}, {}),
        ("selection", {"asset_ids": [999999]}, {}),
        ("selection", {"asset_ids": [2**63]}, {}),  # beyond the id column: refused, not a driver overflow
        ("collection", {"collection_id": 999}, {}),
        ("search", {"query": "f.nope=1"}, {}),
        ("bogus", {}, {}),
        ("selection", {"asset_ids": [assets["public"]]}, {"expires_at": utcnow() - timedelta(days=1)}),
        ("selection", {"asset_ids": [assets["public"]]}, {"password": "123"}),
        ("selection", {"asset_ids": [assets["public"]]}, {"allowed_presets": ["huge"]}),
    ]
    for kind, target, options in bad:
        with pytest.raises(ValidationError):
            share(rt, kind, target, **options)


def test_managers_create_and_revoke_links_in_the_admin_pages(
    app: Flask, assets: dict[str, int], login: Callable[..., FlaskClient]
) -> None:
    partner = login("partner")
    assert partner.get("/brand-admin/").status_code == 403
    manager = login("manager")
    token = csrf_token(manager, "/brand-admin/")
    made = manager.post(
        "/brand-admin/links",
        data={
            "csrf_token": token,
            "kind": "selection",
            # The asset picker posts one hidden field per asset.
            "asset_ids": [str(assets["public"]), str(assets["partner"])],
            "expires": (utcnow() + timedelta(days=3)).strftime("%Y-%m-%d"),
            "allowed_presets": ["web", "print"],
            "download": "on",
            "note": "Hello press",
            "title": "Launch kit",
        },
    )
    assert made.status_code == 200
    url = re.search(r'value="(http[^"]+/s/[^"]+)"', html(made))
    assert url is not None
    path = "/s/" + url.group(1).rsplit("/s/", 1)[1]
    visitor = app.test_client()
    assert tile_ids(html(visitor.get(path))) == {assets["public"], assets["partner"]}
    overview = html(manager.get("/brand-admin/"))
    assert "Launch kit" in overview
    # The selection is picked from a search of assets, never typed as ids.
    assert 'data-name="asset_ids" id="l-ids-box"' in overview and 'data-endpoint="/api/v1/search"' in overview
    assert 'href="/brand-admin/"' in overview  # the navbar link for managers
    link_id = int(re.search(r"/brand-admin/links/(\d+)", overview).group(1))  # type: ignore[union-attr]
    detail = html(manager.get(f"/brand-admin/links/{link_id}"))
    assert "view" in detail and "active" in detail
    revoked = manager.post(f"/brand-admin/links/{link_id}/revoke", data={"csrf_token": token})
    assert revoked.status_code == 302
    assert visitor.get(path).status_code == 410
    bad = manager.post(
        "/brand-admin/links", data={"csrf_token": token, "kind": "selection", "asset_ids": "x"}
    )
    assert bad.status_code == 422


def test_a_logo_declaring_a_huge_image_is_refused(app: Flask) -> None:
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", 40_000, 40_000, 8, 2, 0, 0, 0)
    bomb = b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IEND", b"")
    rt = _rt(app)
    with rt.db.transaction() as session, pytest.raises(ValidationError):
        brand.set_logo(session, rt, Viewer(None, Role.ADMIN), bomb)


def test_a_truncated_logo_is_refused_and_the_stored_one_kept(app: Flask) -> None:
    """Image.verify() passed a truncated JPEG (ingest refuses it): half a logo on the public hub."""
    rt = _rt(app)
    admin = Viewer(None, Role.ADMIN)
    good = (ZOO / "good" / "hopper.jpg").read_bytes()
    with rt.db.transaction() as session:
        kept = brand.set_logo(session, rt, admin, good).logo_sha256
    with rt.db.transaction() as session, pytest.raises(ValidationError, match="not a readable image"):
        brand.set_logo(session, rt, admin, (ZOO / "bad" / "truncated_jpeg.jpg").read_bytes())
    with rt.db.session() as session:
        assert brand.get_settings(session).logo_sha256 == kept
