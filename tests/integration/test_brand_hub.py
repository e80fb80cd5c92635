"""The public brand hub on the real database and embedded search engine: sections, search, facets, asset
pages, terms before downloads, and an asset leaving the public set disappearing everywhere at once."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient

from models import Role, ShareLink
from portal.runtime import Runtime
from portal.services.brand import collections as collection_service
from portal.services.brand import hub as brand_service
from tests.brand_helpers import (
    ADMIN,
    MANAGER,
    change,
    facet_counts,
    html,
    ingest,
    make_pdf,
    release,
    share,
    tile_ids,
)
from tests.conftest import csrf_token
from tests.helpers import ZOO

GOOD = ZOO / "good"


@dataclass(frozen=True)
class Hub:
    """A hub with a JPEG and a PNG (public), a PDF guideline (public) and an internal JPEG."""

    jpeg: int
    png: int
    pdf: int
    internal: int
    collection_id: int


def _rt(app: Flask) -> Runtime:
    runtime: Runtime = app.extensions["assetport"]
    return runtime


@pytest.fixture
def hub(app: Flask, tmp_path: Path) -> Hub:
    rt = _rt(app)
    jpeg = ingest(rt, GOOD / "hopper.jpg", title="Hopper portrait")
    png = ingest(rt, GOOD / "hopper_mask.png", title="Hopper mask logo")
    pdf = ingest(rt, make_pdf(tmp_path), title="Brand guidelines")
    internal = ingest(rt, GOOD / "pil_sample_rgb.jpg", title="Secret launch photo")
    release(rt, jpeg, png, pdf)
    release(rt, internal, visibility="internal")
    with rt.db.transaction() as session:
        collection = collection_service.create_collection(
            session, MANAGER, "Press kit", share_role=Role.MANAGER
        )
        collection_service.add_items(session, MANAGER, collection.id, [jpeg, png, internal])
        brand_service.create_section(
            session, MANAGER, title="Press kit", kind="collection", collection_id=collection.id
        )
        brand_service.create_section(session, MANAGER, title="Everything", kind="saved_search", query="")
        brand_service.update_settings(
            session,
            ADMIN,
            name="Nordform",
            colour="#aa3300",
            intro="Our brand.",
            terms="Use with care.",
            public_presets=["web", "print"],
        )
        collection_id = collection.id
    return Hub(jpeg, png, pdf, internal, collection_id)


def test_home_shows_sections_with_public_assets_only(app: Flask, hub: Hub) -> None:
    page = html(app.test_client().get("/brand"))
    assert "Nordform" in page and "Our brand." in page and "Press kit" in page
    assert tile_ids(page) == {hub.jpeg, hub.png, hub.pdf}
    theme = app.test_client().get("/brand/theme.css").get_data(as_text=True)
    assert "--brand: #aa3300" in theme


def test_search_and_facets_use_the_public_filter(app: Flask, hub: Hub) -> None:
    client = app.test_client()
    page = html(client.get("/brand/search?q=hopper"))
    assert tile_ids(page) == {hub.jpeg, hub.png}
    types = facet_counts(html(client.get("/brand/search")), "file_type")
    assert types == {"JPEG": 1, "PNG": 1, "PDF": 1}
    filtered = html(client.get("/brand/search?f.file_type=PNG"))
    assert tile_ids(filtered) == {hub.png}
    assert "Secret launch photo" not in html(client.get("/brand/search?q=secret"))


def test_bad_search_input_is_a_clear_4xx(app: Flask, hub: Hub) -> None:
    client = app.test_client()
    assert client.get("/brand/search?f.nope=1").status_code == 422
    assert client.get("/brand/search?page=abc").status_code == 422


def test_hidden_and_missing_ids_answer_the_same_404(app: Flask, hub: Hub) -> None:
    client = app.test_client()
    for suffix in ("", "/thumb", "/preview", "/web", "/print"):
        hidden = client.get(f"/brand/a/{hub.internal}{suffix}")
        missing = client.get(f"/brand/a/999999{suffix}")
        assert hidden.status_code == missing.status_code == 404
        assert hidden.get_data() == missing.get_data()
    assert client.get("/brand/a/").status_code == 404  # no listing
    assert client.get("/brand/section/nope").status_code == 404


def test_terms_are_accepted_once_before_the_first_download(app: Flask, hub: Hub) -> None:
    client = app.test_client()
    asset_page = html(client.get(f"/brand/a/{hub.jpeg}"))
    assert 'data-preset="web"' in asset_page and 'data-preset="print"' in asset_page
    first = client.get(f"/brand/a/{hub.jpeg}/web")
    assert first.status_code == 302 and "/brand/terms" in first.headers["Location"]
    token = csrf_token(client, "/brand/terms")
    assert client.post("/brand/terms", data={"next": "//evil.example"}).status_code == 400  # CSRF
    accepted = client.post("/brand/terms", data={"csrf_token": token, "next": f"/brand/a/{hub.jpeg}/web"})
    assert accepted.status_code == 302 and accepted.headers["Location"].endswith(f"/brand/a/{hub.jpeg}/web")
    download = client.get(f"/brand/a/{hub.jpeg}/web")
    assert download.status_code == 200 and download.mimetype == "image/jpeg"
    assert download.headers["Content-Disposition"].startswith("attachment")
    # An open redirect is refused: an outside "next" falls back to the hub.
    again = client.post("/brand/terms", data={"csrf_token": token, "next": "https://evil.example/"})
    assert again.headers["Location"].endswith("/brand")
    # A preset the public is not offered is not served.
    assert client.get(f"/brand/a/{hub.jpeg}/original").status_code == 404


def test_guideline_pdf_has_a_preview_and_downloads_as_attachment(app: Flask, hub: Hub) -> None:
    client = app.test_client()
    with client.session_transaction() as session:
        session["brand_terms_version"] = 2
    page = html(client.get(f"/brand/a/{hub.pdf}"))
    assert "Preview of the first page" in page and 'data-preset="original"' in page
    preview = client.get(f"/brand/a/{hub.pdf}/preview")
    assert preview.status_code == 200 and preview.mimetype in ("image/jpeg", "image/webp", "image/png")
    assert preview.headers["Content-Disposition"].startswith("inline")
    original = client.get(f"/brand/a/{hub.pdf}/original")
    assert original.status_code == 200 and original.mimetype == "application/pdf"
    assert original.headers["Content-Disposition"].startswith("attachment")


def test_security_headers_on_public_pages(app: Flask, hub: Hub) -> None:
    resp = app.test_client().get("/brand")
    assert resp.headers["X-Content-Type-Options"] == "nosniff"
    assert resp.headers["X-Frame-Options"] == "DENY"
    assert "frame-ancestors 'none'" in resp.headers["Content-Security-Policy"]
    assert "script-src 'self'" in resp.headers["Content-Security-Policy"]


@pytest.mark.parametrize("how", ["unapproved", "internal", "expired"])
def test_an_asset_leaving_the_public_set_disappears_everywhere_at_once(
    app: Flask, hub: Hub, how: str
) -> None:
    rt = _rt(app)
    tokens = [
        share(rt, "selection", {"asset_ids": [hub.jpeg, hub.png]}),
        share(rt, "collection", {"collection_id": hub.collection_id}),
        share(rt, "search", {"query": "q=hopper"}),
    ]
    client = app.test_client()
    # Shared downloads need the hub's usage terms accepted, like every public download.
    client.post("/brand/terms", data={"csrf_token": csrf_token(client, "/brand/terms")})
    _everywhere(client, hub.jpeg, tokens, present=True)

    change(rt, hub.jpeg, how)

    _everywhere(client, hub.jpeg, tokens, present=False)
    assert hub.png in tile_ids(html(client.get("/brand")))  # the others stay


def _everywhere(client: FlaskClient, asset_id: int, tokens: list[str], *, present: bool) -> None:
    """The asset on the home page, a section, the search, the facets, its page and every share link."""
    assert (asset_id in tile_ids(html(client.get("/brand")))) is present
    assert (asset_id in tile_ids(html(client.get("/brand/section/press-kit")))) is present
    assert (asset_id in tile_ids(html(client.get("/brand/search?q=hopper")))) is present
    jpeg_count = facet_counts(html(client.get("/brand/search")), "file_type").get("JPEG", 0)
    assert jpeg_count == (1 if present else 0)
    assert (client.get(f"/brand/a/{asset_id}").status_code == 200) is present
    for token in tokens:
        assert (asset_id in tile_ids(html(client.get(f"/s/{token}")))) is present, token
        download = client.get(f"/s/{token}/a/{asset_id}/web")
        assert (download.status_code == 200) is present, token


def test_share_links_store_only_a_hash(app: Flask, hub: Hub) -> None:
    rt = _rt(app)
    token = share(rt, "selection", {"asset_ids": [hub.jpeg]})
    with rt.db.session() as session:
        stored = [link.token_hash for link in session.query(ShareLink)]
    assert token not in stored and len(stored) == 1 and len(stored[0]) == 64
