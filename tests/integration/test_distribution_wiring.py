"""Distribution wired into governance: asset.updated and product.assets_changed webhooks from every change
(real local HTTP receiver), renditions pre-built on approval, expired package files removed."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import delete, select

from models import AssetVersion, Package, Rendition, Role, TagSuggestion
from models.base import utcnow
from portal.errors import NotFound, ValidationError
from portal.media.presets import applies_to
from portal.runtime import Runtime
from portal.services.accounts.users import create_user
from portal.services.catalog import editing, versions
from portal.services.catalog.products import upsert_product
from portal.services.distribution import renditions, webhooks
from portal.services.distribution import signed_links as package_links
from portal.services.governance import rights
from portal.services.governance.policy import Viewer
from portal.services.governance.workflow import transition
from portal.services.vision import tags as vision_tags
from tests.conftest import TEST_PASSWORD
from tests.gov_helpers import png
from tests.integration.distribution_helpers import ingest
from tests.integration.test_packages import _build, _catalogue, _image
from tests.integration.test_webhooks import Receiver


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    r = Receiver()
    yield r
    r.close()


def _viewer(rt: Runtime, role: str) -> Viewer:
    with rt.db.transaction() as session:
        user = create_user(session, f"{role}@example.com", TEST_PASSWORD, role)
        return Viewer(user.id, Role(role))


def _subscribe(rt: Runtime, url: str, event: str) -> None:
    with rt.db.transaction() as session:
        admin = Viewer(_admin_id(session), Role.ADMIN)
        webhooks.create_subscription(session, admin, url, [event])


def _admin_id(session: Any) -> int:
    return create_user(session, "hooks-admin@example.com", TEST_PASSWORD, "admin").id


def _events(receiver: Receiver) -> list[dict[str, Any]]:
    return [json.loads(r["body"]) for r in receiver.requests]


def test_asset_updated_for_edits_rights_versions_and_tags(
    rt: Runtime, receiver: Receiver, tmp_path: Path
) -> None:
    with rt.db.transaction() as session:
        upsert_product(session, {"article_number": "404.038.96", "name": "Chair"})
    asset_id = ingest(rt, _image(tmp_path, "404.038.96_1.jpg", (120, 30, 30)))
    editor, manager = _viewer(rt, "editor"), _viewer(rt, "manager")
    _subscribe(rt, receiver.url, "asset.updated")

    edit = editing.MetadataEdit(title="New title", description="d", rights_note=None)
    with rt.db.transaction() as session:
        editing.update_asset_metadata(session, editor, asset_id, edit)
    with rt.db.transaction() as session:  # the same values again: nothing changed, nothing sent
        editing.update_asset_metadata(session, editor, asset_id, edit)
    with rt.db.transaction() as session:
        rights.update_rights(session, editor, asset_id, rights.parse_rights_form({"visibility": "partner"}))
    versions.add_version(rt, editor, asset_id, png(tmp_path, 7), "second.png")
    with rt.db.transaction() as session:
        first = session.scalars(select(AssetVersion).where(AssetVersion.number == 1)).one().id
        versions.restore_version(session, editor, asset_id, first)
    with rt.db.transaction() as session:
        vision_tags.store_suggestions(session, asset_id, "test-model", [("chair", 0.9), ("table", 0.2)])
    with rt.db.transaction() as session:
        by_tag = {s.tag: s.id for s in session.scalars(select(TagSuggestion))}
        vision_tags.decide(session, manager, by_tag["chair"], True)
        vision_tags.decide(session, manager, by_tag["table"], False)  # a rejection changes nothing

    events = _events(receiver)
    assert [e["event"] for e in events] == ["asset.updated"] * 5
    assert all(e["data"]["asset_id"] == asset_id for e in events)
    assert all(e["data"]["article_numbers"] == ["404.038.96"] for e in events)
    assert events[0]["data"]["title"] == "New title" and events[1]["data"]["visibility"] == "partner"


def test_product_assets_changed_for_every_link_change(
    rt: Runtime, receiver: Receiver, tmp_path: Path
) -> None:
    with rt.db.transaction() as session:
        upsert_product(session, {"article_number": "A-1", "name": "A"})
        for number in ("M9-S", "M9-L"):
            upsert_product(session, {"article_number": number, "model_code": "M9", "name": number})
    editor = _viewer(rt, "editor")
    _subscribe(rt, receiver.url, "product.assets_changed")

    linked = ingest(rt, _image(tmp_path, "A-1_1.jpg", (10, 20, 30)))  # linked at ingest by file name
    pending = ingest(rt, _image(tmp_path, "B-2_1.jpg", (30, 20, 10)))  # no product B-2 yet
    assert len(receiver.requests) == 1
    with rt.db.transaction() as session:  # the late product import links the waiting asset
        upsert_product(session, {"article_number": "B-2", "name": "B"})
    with rt.db.transaction() as session:
        link = editing.link_product(session, editor, linked, "M9")
        link_id = link.id
    with rt.db.transaction() as session:
        editing.unlink_product(session, editor, linked, link_id)
    with pytest.raises(ValidationError), rt.db.transaction() as session:
        editing.link_product(session, editor, pending, "A-1")
        raise ValidationError("rolled back")  # a change that never commits sends nothing

    data = [e["data"] for e in _events(receiver)]
    assert [e["event"] for e in _events(receiver)] == ["product.assets_changed"] * 4
    first = {"change": "linked", "asset_ids": [linked], "article_numbers": ["A-1"], "model_codes": []}
    assert data[0] == first
    assert data[1]["asset_ids"] == [pending] and data[1]["article_numbers"] == ["B-2"]
    assert data[2]["article_numbers"] == ["M9-L", "M9-S"] and data[2]["model_codes"] == ["M9"]
    assert data[3]["change"] == "unlinked" and data[3]["article_numbers"] == ["M9-L", "M9-S"]


def _renditions(rt: Runtime, version_id: int) -> dict[str, str]:
    with rt.db.session() as session:
        rows = session.scalars(select(Rendition).where(Rendition.version_id == version_id))
        return {r.preset: r.preset_hash for r in rows}


def test_approval_and_restore_prebuild_web_and_print(rt: Runtime, tmp_path: Path) -> None:
    asset_id = ingest(rt, png(tmp_path, 3))
    editor, manager = _viewer(rt, "editor"), _viewer(rt, "manager")
    with rt.db.transaction() as session:
        version_id = transition(session, editor, asset_id, "submit").current_version_id
        fingerprints = {
            name: renditions.get_preset(session, name).fingerprint(rt.settings.cmyk_profile_path)
            for name in renditions.PREBUILD_PRESETS
            # the web video/audio presets are pre-built for those kinds only, not for this image
            if applies_to(renditions.get_preset(session, name), "image")
        }
        assert set(fingerprints) == {"web", "print"}
    assert version_id is not None
    assert not set(_renditions(rt, version_id)) & set(fingerprints), "nothing is pre-built before approval"
    with rt.db.transaction() as session:
        transition(session, manager, asset_id, "approve")
    built = _renditions(rt, version_id)
    assert {name: built.get(name) for name in fingerprints} == fingerprints
    with rt.db.transaction() as session:
        transition(session, manager, asset_id, "archive")
        session.execute(delete(Rendition).where(Rendition.version_id == version_id))
    with rt.db.transaction() as session:
        transition(session, manager, asset_id, "restore")
    built = _renditions(rt, version_id)
    assert {name: built.get(name) for name in fingerprints} == fingerprints


def test_expired_package_files_are_removed(rt: Runtime, tmp_path: Path) -> None:
    _catalogue(rt, tmp_path)
    package = _build(rt, Viewer(None, Role.PARTNER), ["A-100"], presets=["thumb"])
    assert package.status == "done" and package.file_path and package.expires_at is not None
    zip_file = Path(package.file_path)
    assert zip_file.is_file()
    assert package_links.purge_expired(rt) == 0, "a package within its time keeps its file"
    later = package.expires_at + timedelta(seconds=1)
    assert package_links.purge_expired(rt, now=later) == 1
    assert not zip_file.exists()
    with rt.db.session() as session:
        row = session.get(Package, package.id)
        assert row is not None and row.status == "expired" and row.file_path is None
        assert len(row.report) == 1, "the report stays"
        with pytest.raises(NotFound, match="expired"):
            package_links.link_rows(session, rt, row, "http://x.test/")
    assert package_links.purge_expired(rt, now=later) == 0, "safe to run twice"
    # The periodic job (``packages.cleanup``, enqueued with the rights job) does the same.
    second = _build(rt, Viewer(None, Role.PARTNER), ["A-100"], presets=["thumb"])
    with rt.db.transaction() as session:
        session.get(Package, second.id).expires_at = utcnow() - timedelta(seconds=1)  # type: ignore[union-attr]
    rt.queue.enqueue("packages.cleanup")
    rt.queue.join()
    assert second.file_path and not Path(second.file_path).exists()
