"""Collections for everyone: personal lightboxes, sharing with users and roles (view or edit), the picker
route, the collection page and its package, and the rule that a collection never widens what a member
sees. Pages through cookie sessions (CSRF on), the API through tokens; SQLite and PostgreSQL."""

from __future__ import annotations

import csv
import io
import re
import zipfile
from collections.abc import Callable
from dataclasses import dataclass

import pytest
from flask import Flask
from flask.testing import FlaskClient

from models import Asset
from portal.runtime import Runtime
from tests.brand_helpers import html, ingest, release
from tests.conftest import csrf_token
from tests.gov_helpers import user_with_token
from tests.helpers import ZOO

GOOD = ZOO / "good"


@dataclass(frozen=True)
class Catalogue:
    """A partner-visible asset, a public one, an internal released one and a draft."""

    partner: int
    public: int
    internal: int
    draft: int


@pytest.fixture
def cat(app: Flask) -> Catalogue:
    rt: Runtime = app.extensions["assetport"]
    ids = Catalogue(
        partner=ingest(rt, GOOD / "hopper.jpg", title="Partner portrait"),
        public=ingest(rt, GOOD / "hopper_mask.png", title="Public mask"),
        internal=ingest(rt, GOOD / "pil_sample_rgb.jpg", title="Internal launch"),
        draft=ingest(rt, GOOD / "flower.webp", title="Draft sketch"),
    )
    release(rt, ids.partner, visibility="partner")
    release(rt, ids.public, visibility="public")
    release(rt, ids.internal, visibility="internal")
    return ids


def _item_ids(page: str) -> list[int]:
    return [int(i) for i in re.findall(r'data-item="(\d+)"', page)]


def _make(client: FlaskClient, name: str, asset_ids: list[int], back: str = "") -> tuple[int, str]:
    """Add assets through the picker to a new collection; returns its id and the redirect target."""
    token = csrf_token(client, "/collections/")
    data = {"csrf_token": token, "asset_ids": [str(i) for i in asset_ids], "collection_id": "new",
            "new_collection": name, "back": back}  # fmt: skip
    resp = client.post("/collections/add", data=data)
    assert resp.status_code == 302, resp.get_data(as_text=True)
    listing = html(client.get("/collections/"))
    found = re.search(r'href="/collections/(\d+)">' + re.escape(name) + "<", listing)
    assert found, listing
    return int(found.group(1)), resp.headers["Location"]


def test_a_partner_keeps_a_lightbox_of_what_they_see(
    app: Flask, cat: Catalogue, login: Callable[..., FlaskClient]
) -> None:
    partner = login("partner")
    cid, back = _make(partner, "Launch picks", [cat.partner, cat.public], back="/search?q=hopper")
    assert back.endswith("/search?q=hopper")
    page = html(partner.get(f"/collections/{cid}"))
    assert _item_ids(page) == [cat.partner, cat.public]
    assert 'id="download-package"' in page and "Launch picks" in page
    # Partners share nothing through links and do not bulk-edit.
    assert 'id="share-as-link"' not in page and 'id="edit-all"' not in page
    token = csrf_token(partner, f"/collections/{cid}")
    # Assets the partner may not see cannot be added: the same answer as for ids that do not exist.
    for hidden in (cat.internal, cat.draft, 999_999):
        resp = partner.post(
            "/collections/add",
            data={"csrf_token": token, "asset_ids": str(hidden), "collection_id": str(cid)},
        )
        assert resp.status_code == 422 and f"no such assets: {hidden}" in html(resp).lower()
    # Reorder, rename, remove; an off-site "back" is never followed.
    partner.post(f"/collections/{cid}/items/{cat.public}/up", data={"csrf_token": token})
    assert _item_ids(html(partner.get(f"/collections/{cid}"))) == [cat.public, cat.partner]
    renamed = partner.post(
        f"/collections/{cid}/edit", data={"csrf_token": token, "name": "Launch", "description": "For May"}
    )
    assert renamed.status_code == 302
    evil = partner.post(
        "/collections/add",
        data={"csrf_token": token, "asset_ids": str(cat.partner), "collection_id": str(cid),
              "back": "//evil.example/x"},
    )  # fmt: skip
    assert evil.status_code == 302 and evil.headers["Location"].endswith(f"/collections/{cid}")
    partner.post(f"/collections/{cid}/items/{cat.partner}/remove", data={"csrf_token": token})
    page = html(partner.get(f"/collections/{cid}"))
    assert _item_ids(page) == [cat.public] and "Launch" in page and "For May" in page
    # The asset page lists the collection and offers the picker with it.
    asset_page = html(partner.get(f"/assets/{cat.public}"))
    assert f'href="/collections/{cid}"' in asset_page and 'id="asset-collect-choice"' in asset_page
    assert f'<option value="{cid}">Launch</option>' in asset_page
    # The asset grid has the same selection bar and picker (the htmx part keeps the checkboxes).
    grid = html(partner.get("/assets"))
    assert 'id="selection-form"' in grid and 'id="collect-selection-add"' in grid
    assert f'id="sel-{cat.public}"' in grid and f'id="sel-{cat.internal}"' not in grid
    part = html(partner.get("/assets?size=24", headers={"HX-Request": "true", "HX-Target": "results"}))
    assert f'id="sel-{cat.public}"' in part
    # Without CSRF, nothing is written.
    assert partner.post(f"/collections/{cid}/delete").status_code == 400
    assert partner.post(f"/collections/{cid}/delete", data={"csrf_token": token}).status_code == 302
    assert partner.get(f"/collections/{cid}").status_code == 404


def test_sharing_to_view_or_edit_and_never_widening(
    app: Flask, cat: Catalogue, login: Callable[..., FlaskClient]
) -> None:
    editor = login("editor", email="owner@example.com")
    viewer_partner = login("partner", email="viewer@example.com")
    helper = login("editor", email="helper@example.com")
    stranger = login("partner", email="stranger@example.com")
    everything = [cat.partner, cat.public, cat.internal, cat.draft]
    cid, _ = _make(editor, "Season", everything)
    assert _item_ids(html(editor.get(f"/collections/{cid}"))) == everything  # staff see all four
    token = csrf_token(editor, f"/collections/{cid}")
    for email, permission in (("viewer@example.com", "view"), ("HELPER@example.com", "edit")):
        resp = editor.post(
            f"/collections/{cid}/shares",
            data={"csrf_token": token, "target": "user", "email": email, "permission": permission},
        )
        assert resp.status_code == 302
    unknown = editor.post(
        f"/collections/{cid}/shares",
        data={"csrf_token": token, "target": "user", "email": "nobody@example.com", "permission": "view"},
    )
    assert unknown.status_code == 422

    # No widening: the partner sees only the released partner/public assets, counts included.
    page = html(viewer_partner.get(f"/collections/{cid}"))
    assert _item_ids(page) == [cat.partner, cat.public] and "2 assets" in page
    assert "Internal launch" not in page and "Draft sketch" not in page
    listing = html(viewer_partner.get("/collections/"))
    assert "Season" in listing and "view only" in listing and "2 assets" in listing
    # A viewer may not change anything; a stranger does not learn the collection exists.
    vtoken = csrf_token(viewer_partner, f"/collections/{cid}")
    assert f'action="/collections/{cid}/edit"' not in page
    for path, data in (
        (f"/collections/{cid}/edit", {"name": "Mine now"}),
        (f"/collections/{cid}/items/{cat.partner}/remove", {}),
        ("/collections/add", {"asset_ids": str(cat.public), "collection_id": str(cid)}),
        (f"/collections/{cid}/delete", {}),
    ):
        assert viewer_partner.post(path, data={"csrf_token": vtoken, **data}).status_code == 403, path
    assert stranger.get(f"/collections/{cid}").status_code == 404
    stoken = csrf_token(stranger, "/collections/")
    assert stranger.post(f"/collections/{cid}/delete", data={"csrf_token": stoken}).status_code == 404

    # An editor-member adds and removes, renames, but neither deletes nor shares.
    htoken = csrf_token(helper, f"/collections/{cid}")
    helper_page = html(helper.get(f"/collections/{cid}"))
    assert 'id="delete-collection"' not in helper_page and 'id="sharing"' not in helper_page
    assert (
        helper.post(f"/collections/{cid}/items/{cat.draft}/remove", data={"csrf_token": htoken}).status_code
        == 302
    )
    assert (
        helper.post(f"/collections/{cid}/edit", data={"csrf_token": htoken, "name": "Season 2"}).status_code
        == 302
    )
    assert helper.post(f"/collections/{cid}/delete", data={"csrf_token": htoken}).status_code == 403
    shared = helper.post(
        f"/collections/{cid}/shares",
        data={"csrf_token": htoken, "target": "role", "role": "partner", "permission": "edit"},
    )
    assert shared.status_code == 403
    assert _item_ids(html(editor.get(f"/collections/{cid}"))) == [cat.partner, cat.public, cat.internal]

    # A role share reaches that role and every higher one; stopping a share ends access at once.
    to_partners = {"csrf_token": token, "target": "role", "role": "partner", "permission": "view"}
    editor.post(f"/collections/{cid}/shares", data=to_partners)
    assert _item_ids(html(stranger.get(f"/collections/{cid}"))) == [cat.partner, cat.public]
    manager = login("manager")
    assert _item_ids(html(manager.get(f"/collections/{cid}"))) == [cat.partner, cat.public, cat.internal]
    owner_page = html(editor.get(f"/collections/{cid}"))
    share_ids = [int(i) for i in re.findall(r'data-share="(\d+)"', owner_page)]
    assert len(share_ids) == 3 and "everyone with the partner role or higher" in owner_page
    for share_id in share_ids:
        editor.post(f"/collections/{cid}/shares/{share_id}/delete", data={"csrf_token": token})
    for member in (viewer_partner, helper, stranger, manager):
        assert member.get(f"/collections/{cid}").status_code == 404


def test_a_package_of_a_collection_holds_only_what_the_member_may_download(
    app: Flask, cat: Catalogue, login: Callable[..., FlaskClient]
) -> None:
    editor = login("editor")
    cid, _ = _make(editor, "Press", [cat.partner, cat.internal, cat.draft, cat.public])
    token = csrf_token(editor, f"/collections/{cid}")
    to_partners = {"csrf_token": token, "target": "role", "role": "partner", "permission": "view"}
    editor.post(f"/collections/{cid}/shares", data=to_partners)
    partner = login("partner")
    ptoken = csrf_token(partner, f"/collections/{cid}")
    made = partner.post(f"/collections/{cid}/package", data={"csrf_token": ptoken, "preset": "web"})
    assert made.status_code == 302 and "/packages/" in made.headers["Location"]
    detail = html(partner.get(made.headers["Location"]))
    download = re.search(r'href="(/d/[^"]+)"', detail)
    assert download, detail
    archive = zipfile.ZipFile(io.BytesIO(partner.get(download.group(1)).data))
    rows = list(csv.DictReader(io.StringIO(archive.read("manifest.csv").decode())))
    assert sorted(int(r["asset_id"]) for r in rows) == sorted([cat.partner, cat.public])
    assert len(archive.namelist()) == len(rows) + 1


def test_hub_admin_picks_collections_and_types_no_ids(
    app: Flask, cat: Catalogue, login: Callable[..., FlaskClient]
) -> None:
    manager = login("manager")
    token = csrf_token(manager, "/brand-admin/")
    made = manager.post("/brand-admin/collections", data={"csrf_token": token, "name": "Logos"})
    assert made.status_code == 302 and "/collections/" in made.headers["Location"]
    cid = int(made.headers["Location"].rstrip("/").rsplit("/", 1)[1])
    other_manager = login("manager")
    # A team collection: every manager reaches it to edit, and picks it for a section.
    otoken = csrf_token(other_manager, f"/collections/{cid}")
    added = other_manager.post(
        "/collections/add",
        data={"csrf_token": otoken, "asset_ids": str(cat.public), "collection_id": str(cid)},
    )
    assert added.status_code == 302
    admin_page = html(other_manager.get("/brand-admin/"))
    assert f'<option value="{cid}">Logos</option>' in admin_page
    assert 'name="asset_ids" placeholder' not in admin_page and "Asset ids to add" not in admin_page
    section = other_manager.post(
        "/brand-admin/sections",
        data={"csrf_token": otoken, "title": "Logos", "kind": "collection", "collection_id": str(cid)},
    )
    assert section.status_code == 302
    assert f'data-asset-id="{cat.public}"' in app.test_client().get("/brand").get_data(as_text=True)
    # A partner's private collection can be neither a section nor a share link.
    partner = login("partner")
    private, _ = _make(partner, "Private", [cat.public])
    refused = manager.post(
        "/brand-admin/sections",
        data={"csrf_token": token, "title": "Theirs", "kind": "collection", "collection_id": str(private)},
    )
    assert refused.status_code == 422
    assert manager.get(f"/brand-admin/links/new?kind=collection&collection_id={private}").status_code == 404
    # The collection page offers the manager a share link for their own collection.
    page = html(manager.get(f"/collections/{cid}"))
    link = re.search(r'id="share-as-link" href="([^"]+)"', page)
    assert link and "kind=collection" in link.group(1) and f"collection_id={cid}" in link.group(1)
    form = html(manager.get(f"/brand-admin/links/new?kind=collection&collection_id={cid}"))
    assert f'name="collection_id" value="{cid}"' in form


def test_collections_api(app: Flask, cat: Catalogue) -> None:
    owner_id, owner = user_with_token(app, "editor")
    partner_id, partner = user_with_token(app, "partner")
    _, stranger = user_with_token(app, "partner")
    client = app.test_client()
    made = client.post(
        "/api/v1/collections",
        json={"name": "Spring", "asset_ids": [cat.partner, cat.internal]},
        headers=owner,
    )
    assert made.status_code == 201, made.get_json()
    body = made.get_json()
    cid = body["id"]
    assert body["asset_ids"] == [cat.partner, cat.internal] and body["access"] == "own"
    assert body["owner_id"] == owner_id
    assert client.post("/api/v1/collections", json={"name": "Spring"}, headers=owner).status_code == 409
    # A partner may hold a collection of the same name; unknown fields are refused.
    assert client.post("/api/v1/collections", json={"name": "Spring"}, headers=partner).status_code == 201
    assert (
        client.post("/api/v1/collections", json={"name": "X", "owner": 1}, headers=partner).status_code == 422
    )
    assert client.get(f"/api/v1/collections/{cid}", headers=partner).status_code == 404

    shared = client.post(
        f"/api/v1/collections/{cid}/shares", json={"user_id": partner_id, "permission": "edit"}, headers=owner
    )
    assert shared.status_code == 200 and shared.get_json()["items"][0]["permission"] == "edit"
    seen = client.get(f"/api/v1/collections/{cid}", headers=partner).get_json()
    assert seen["asset_ids"] == [cat.partner] and seen["access"] == "edit"  # never the internal one
    listed = client.get("/api/v1/collections", headers=partner).get_json()["items"]
    assert {(c["id"], c["count"], c["access"]) for c in listed} >= {(cid, 1, "edit")}
    # The partner edits: adds what they see (not what they do not), moves, renames; may not share or delete.
    added = client.post(f"/api/v1/collections/{cid}/items", json={"asset_ids": [cat.public]}, headers=partner)
    assert added.status_code == 200 and added.get_json()["asset_ids"] == [cat.partner, cat.public]
    items = f"/api/v1/collections/{cid}/items"
    hidden = client.post(items, json={"asset_ids": [cat.draft]}, headers=partner)
    assert hidden.status_code == 422
    moved = client.post(
        f"/api/v1/collections/{cid}/items/{cat.public}/move", json={"step": -1}, headers=partner
    )
    assert moved.get_json()["asset_ids"] == [cat.public, cat.partner]
    # The owner still sees the internal item where it was (moves among visible items keep hidden places).
    owner_view = client.get(f"/api/v1/collections/{cid}", headers=owner).get_json()["asset_ids"]
    assert owner_view == [cat.public, cat.internal, cat.partner]
    patched = client.patch(f"/api/v1/collections/{cid}", json={"name": "Spring 26"}, headers=partner)
    assert patched.status_code == 200 and patched.get_json()["name"] == "Spring 26"
    assert (
        client.delete(f"/api/v1/collections/{cid}/items/{cat.internal}", headers=partner).status_code == 404
    )
    assert client.post(
        f"/api/v1/collections/{cid}/shares", json={"role": "partner"}, headers=partner
    ).status_code == 403  # fmt: skip
    assert client.delete(f"/api/v1/collections/{cid}", headers=partner).status_code == 403
    assert client.get(f"/api/v1/collections/{cid}/shares", headers=partner).status_code == 403
    # Share with one target only; a role share reaches the stranger (a partner) to view.
    both = client.post(
        f"/api/v1/collections/{cid}/shares", json={"role": "partner", "user_id": partner_id}, headers=owner
    )
    assert both.status_code == 422
    client.post(f"/api/v1/collections/{cid}/shares", json={"role": "partner"}, headers=owner)
    seen = client.get(f"/api/v1/collections/{cid}", headers=stranger).get_json()
    assert seen["access"] == "view"
    assert client.patch(f"/api/v1/collections/{cid}", json={"name": "x"}, headers=stranger).status_code == 403
    shares = client.get(f"/api/v1/collections/{cid}/shares", headers=owner).get_json()["items"]
    for s in shares:
        assert client.delete(f"/api/v1/collections/{cid}/shares/{s['id']}", headers=owner).status_code == 204
    assert client.get(f"/api/v1/collections/{cid}", headers=stranger).status_code == 404
    assert client.delete(f"/api/v1/collections/{cid}", headers=owner).status_code == 204
    assert client.get(f"/api/v1/collections/{cid}", headers=owner).status_code == 404


def test_collections_are_in_the_openapi_spec(app: Flask) -> None:
    spec = app.test_client().get("/api/v1/openapi.json").get_json()
    paths = spec["paths"]  # relative to the server's /api/v1
    assert {"get", "post"} <= set(paths["/collections"])
    assert {"get", "patch", "delete"} <= set(paths["/collections/{collection_id}"])
    assert {"get", "post"} <= set(paths["/collections/{collection_id}/shares"])
    assert "post" in paths["/collections/{collection_id}/items/{asset_id}/move"]
    assert "ShareBody" in spec["components"]["schemas"]


def test_edit_all_opens_the_bulk_edit_with_the_collection_as_source(
    app: Flask, login: Callable[..., FlaskClient], cat: Catalogue
) -> None:
    rt: Runtime = app.extensions["assetport"]
    editor = login("editor")
    cid, _ = _make(editor, "Spring shoot", [cat.partner, cat.draft])
    page = html(editor.get(f"/collections/{cid}"))
    assert f'id="edit-all" href="/bulk?collection={cid}"' in page
    form = html(editor.get(f"/bulk?collection={cid}"))
    assert "collection “Spring shoot”: 2 assets" in form and f'name="collection" value="{cid}"' in form
    assert f'href="/collections/{cid}" id="bulk-back">Back to the collection' in form
    token = csrf_token(editor, f"/collections/{cid}")
    data = {"csrf_token": token, "collection": str(cid), "add_tags": "spring", "expiry_mode": "keep"}
    preview = html(editor.post("/bulk/preview", data=data))
    # The partner asset is released: an editor may not change its tags (the single-asset rule).
    assert "2 assets: 1 change, 1 refused" in preview and "released to partner viewers" in preview
    started = editor.post("/bulk/start", data=data)
    assert started.status_code == 302
    rt.queue.join()
    job = html(editor.get(started.headers["Location"]))
    assert "1 changed" in job
    with rt.db.session() as session:
        tags = {i: sorted(t.tag for t in session.get(Asset, i).tags) for i in (cat.draft, cat.partner)}  # type: ignore[union-attr]
    assert tags[cat.draft] == ["spring"] and "spring" not in tags[cat.partner]
    # Partners keep their collections but get no "Edit all", and the bulk edit refuses them.
    partner = login("partner", "p-bulk@example.com")
    own, _ = _make(partner, "Mine", [cat.partner])
    assert 'id="edit-all"' not in html(partner.get(f"/collections/{own}"))
    assert partner.get(f"/bulk?collection={own}").status_code == 403
