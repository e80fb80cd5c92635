"""Abuse limits of the public pages: the sliding-window limiters (memory and real Redis), 429 with
Retry-After on pages and downloads, and the admins' brand settings (logo types, colour, terms version)."""

from __future__ import annotations

import io
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

import pytest
from flask import Flask
from flask.testing import FlaskClient
from PIL import Image

from portal.errors import TooManyRequests
from portal.runtime import Runtime
from portal.services.brand import hub as brand_service
from portal.services.governance.ratelimit import MemoryLimiter, RedisLimiter, enforce
from tests.brand_helpers import ingest, release
from tests.conftest import csrf_token
from tests.helpers import ZOO


class Clock:
    """A hand-driven clock for the in-memory limiter."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_memory_limiter_slides() -> None:
    clock = Clock()
    limiter = MemoryLimiter(clock)
    assert [limiter.hit("k", 3, 10).allowed for _ in range(4)] == [True, True, True, False]
    denied = limiter.hit("k", 3, 10)
    assert denied.retry_after == 10
    clock.now += 4
    assert limiter.hit("other", 3, 10).allowed  # keys are independent
    clock.now += 6.5  # the first three events left the window
    assert limiter.hit("k", 3, 10).allowed


def test_redis_limiter_is_shared_between_instances(redis_url: str) -> None:
    first, second = RedisLimiter(redis_url), RedisLimiter(redis_url)
    assert first.hit("ip:1", 2, 30).allowed
    assert second.hit("ip:1", 2, 30).allowed
    denied = first.hit("ip:1", 2, 30)
    assert not denied.allowed and 1 <= denied.retry_after <= 30
    with pytest.raises(TooManyRequests) as caught:
        enforce(second, "ip:1", 2, 30)
    assert caught.value.detail["retry_after"] >= 1
    assert first.hit("ip:2", 2, 30).allowed


def test_redis_limiter_admits_exactly_the_limit_under_concurrency(redis_url: str) -> None:
    # Eight workers (each its own connection) hit one key at once: the check and the add are atomic.
    limiters = [RedisLimiter(redis_url) for _ in range(8)]
    barrier = threading.Barrier(len(limiters))

    def burst(limiter: RedisLimiter) -> int:
        barrier.wait()
        return sum(limiter.hit("burst", 25, 60).allowed for _ in range(10))

    with ThreadPoolExecutor(len(limiters)) as pool:
        admitted = sum(pool.map(burst, limiters))
    assert admitted == 25


def test_redis_limiter_falls_back_to_memory_when_redis_is_down() -> None:
    limiter = RedisLimiter("redis://127.0.0.1:1/0")  # nothing listens on port 1
    assert limiter.hit("k", 1, 30).allowed
    assert not limiter.hit("k", 1, 30).allowed


def test_pages_answer_429_with_retry_after(app: Flask) -> None:
    rt: Runtime = app.extensions["assetport"]
    rt.settings.public_rate_pages = 3
    client = app.test_client()
    assert [client.get("/brand").status_code for _ in range(3)] == [200, 200, 200]
    limited = client.get("/brand/search")
    assert limited.status_code == 429 and int(limited.headers["Retry-After"]) >= 1
    assert "Too many requests" in limited.get_data(as_text=True)


def test_downloads_have_their_own_limit(app: Flask) -> None:
    rt: Runtime = app.extensions["assetport"]
    asset_id = ingest(rt, ZOO / "good" / "hopper.jpg")
    release(rt, asset_id)
    rt.settings.public_rate_downloads = 1
    client = app.test_client()
    assert client.get(f"/brand/a/{asset_id}/web").status_code == 200  # no terms set: no detour
    assert client.get(f"/brand/a/{asset_id}/web").status_code == 429
    assert client.get(f"/brand/a/{asset_id}/thumb").status_code == 200  # thumbnails are counted apart


def _png() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (64, 32), "#aa3300").save(out, "PNG")
    return out.getvalue()


def test_admin_sets_brand_logo_colour_and_terms(app: Flask, login: Callable[..., FlaskClient]) -> None:
    admin = login("admin")
    token = csrf_token(admin, "/brand-admin/")
    saved = admin.post(
        "/brand-admin/settings",
        data={
            "csrf_token": token, "name": "Nordform", "colour": "#112233", "intro": "Hi",
            "terms": "Be nice.", "public_presets": ["web"],
        },
    )  # fmt: skip
    assert saved.status_code == 302
    bad_colour = admin.post(
        "/brand-admin/settings", data={"csrf_token": token, "name": "N", "colour": "red;}", "terms": ""}
    )
    assert bad_colour.status_code == 422
    logo = admin.post(
        "/brand-admin/logo",
        data={"csrf_token": token, "logo": (io.BytesIO(_png()), "logo.png")},
        content_type="multipart/form-data",
    )
    assert logo.status_code == 302
    svg = b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>'
    refused = admin.post(
        "/brand-admin/logo",
        data={"csrf_token": token, "logo": (io.BytesIO(svg), "logo.svg")},
        content_type="multipart/form-data",
        follow_redirects=True,
    )
    # Refused on the brand page itself (the message flashed there), the PNG logo kept.
    assert refused.status_code == 200 and refused.request.path == "/brand-admin/"
    assert "alert-danger" in refused.get_data(as_text=True)
    visitor = app.test_client()
    assert visitor.get("/brand/logo").mimetype == "image/png"
    assert "--brand: #112233" in visitor.get("/brand/theme.css").get_data(as_text=True)
    rt: Runtime = app.extensions["assetport"]
    with rt.db.session() as session:
        settings = brand_service.get_settings(session)
        assert (settings.terms_version, settings.public_presets) == (2, ["web"])
    manager = login("manager")
    forbidden = manager.post(
        "/brand-admin/settings", data={"csrf_token": csrf_token(manager, "/brand-admin/")}
    )
    assert forbidden.status_code == 403


def test_managers_build_sections_from_collections_and_searches(
    app: Flask, login: Callable[..., FlaskClient]
) -> None:
    rt: Runtime = app.extensions["assetport"]
    asset_id = ingest(rt, ZOO / "good" / "hopper.jpg", title="Hopper logo")
    release(rt, asset_id)
    manager = login("manager")
    token = csrf_token(manager, "/brand-admin/")
    assert (
        manager.post(
            "/brand-admin/collections",
            data={"csrf_token": token, "name": "Logos", "asset_ids": str(asset_id)},
        ).status_code
        == 302
    )
    with rt.db.session() as session:
        from models import Role
        from portal.services.brand.collections import list_collections
        from portal.services.governance.policy import Viewer

        # A team collection: shared with every manager to edit.
        collection_id = list_collections(session, Viewer(None, Role.MANAGER))[0].id
    # Assets go in through the collection picker (never typed ids on the hub admin).
    picked = {"csrf_token": token, "asset_ids": str(asset_id), "collection_id": str(collection_id)}
    assert manager.post("/collections/add", data=picked).status_code == 302
    for data in (
        {"title": "Logos", "kind": "collection", "collection_id": str(collection_id)},
        {"title": "Everything JPEG", "kind": "saved_search", "query": "?f.file_type=JPEG"},
    ):
        assert manager.post("/brand-admin/sections", data={"csrf_token": token, **data}).status_code == 302
    bad = manager.post(
        "/brand-admin/sections",
        data={"csrf_token": token, "title": "X", "kind": "saved_search", "query": "f.bad=1"},
    )
    assert bad.status_code == 422
    home = app.test_client().get("/brand").get_data(as_text=True)
    assert home.index("Logos") < home.index("Everything JPEG")
    assert home.count(f'data-asset-id="{asset_id}"') == 2
    section_id = 2
    assert (
        manager.post(f"/brand-admin/sections/{section_id}/up", data={"csrf_token": token}).status_code == 302
    )
    home = app.test_client().get("/brand").get_data(as_text=True)
    assert home.index("Everything JPEG") < home.index("Logos")
