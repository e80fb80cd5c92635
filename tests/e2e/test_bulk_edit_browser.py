"""Browser test (issue 15): a manager bulk-edits 300 search hits - tags and a product picked from the
picker - sees the preview, confirms, watches the job finish and undoes the whole batch. The walk fails on
any HTTP 5xx, console error, page error or CSP violation (Chromium reports those as console errors)."""

from __future__ import annotations

import base64
from datetime import timedelta
from typing import Any

from sqlalchemy import func, insert, select

from models import Asset, AssetProduct, AssetTag, Role
from models.base import utcnow
from portal.services.catalog import custom_fields
from portal.services.catalog.products import upsert_product
from portal.services.governance.policy import Viewer
from portal.services.search import sync as search_sync
from tests.e2e.conftest import LiveServer

HITS = 300
# The seeded rows have no files: their thumbnails come from here (a 1x1 PNG), not from a 404.
PIXEL = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAQAAAC1HAwCAAAAC0lEQVR42mNkYAAAAAYAAjCB0C8AAAAASUVORK5CYII="
)


def _seed(live: LiveServer) -> list[int]:
    """300 draft assets titled "crate ...", indexed (jobs run eagerly), and a product to link."""
    now = utcnow()
    rows = [
        {"title": f"crate {i}", "original_filename": f"crate_{i}.jpg", "media_kind": "image",
         "status": "draft", "visibility": "internal", "created_at": now - timedelta(seconds=i),
         "updated_at": now}
        for i in range(HITS)
    ]  # fmt: skip
    with live.rt.db.transaction() as session:
        session.execute(insert(Asset), rows)
        ids = list(session.scalars(select(Asset.id).where(Asset.title.like("crate %"))))
        upsert_product(session, {"name": "Bracket seventy-seven"}, article_number="BRK-77")
        season = {"key": "season", "type": "select", "labels": {"en": "Season"},
                  "options": [{"value": "summer"}, {"value": "winter"}]}  # fmt: skip
        custom_fields.create_field(session, Viewer(None, Role.ADMIN), season)
        search_sync.assets_changed(session, ids)
    return ids


def _watch(page: Any) -> list[str]:
    problems: list[str] = []

    def console(msg: Any) -> None:
        # The one expected 4xx: the form shown again (422) after a mistake in it.
        where = (msg.location or {}).get("url", "")
        expected = "status of 422" in msg.text and where.endswith("/bulk/preview")
        if msg.type == "error" and not expected:
            problems.append(f"console: {msg.text}")

    page.on("console", console)
    page.on("pageerror", lambda exc: problems.append(f"page error: {exc}"))
    page.on("response", lambda r: problems.append(f"{r.status} {r.url}") if r.status >= 500 else None)
    page.route("**/a/*/thumb", lambda route: route.fulfill(status=200, content_type="image/png", body=PIXEL))
    return problems


def _seasons(live: LiveServer, ids: list[int]) -> set[Any]:
    with live.rt.db.session() as session:
        values = session.scalars(select(Asset.custom_fields).where(Asset.id.in_(ids)))
        return {(v or {}).get("season") for v in values}


def _count(live: LiveServer, model: Any, *where: Any) -> int:
    with live.rt.db.session() as session:
        return int(session.scalar(select(func.count()).select_from(model).where(*where)) or 0)


def test_manager_bulk_edits_300_search_hits_with_preview_and_undo(live_server: LiveServer, page: Any) -> None:
    ids = _seed(live_server)
    live_server.make_user("boss@example.com", "manager")
    problems = _watch(page)
    live_server.login(page, "boss@example.com")

    # The selection bar: two tiles ticked with the keyboard-friendly checkboxes, "Edit selected".
    page.goto(f"{live_server.url}/search?q=crate")
    page.locator("[data-select-tile]").nth(0).check()
    page.locator("[data-select-tile]").nth(1).check()
    page.click("#edit-selection")
    page.wait_for_selector("text=2 selected assets")

    # "Edit all 300 hits" from the search page.
    page.goto(f"{live_server.url}/search?q=crate")
    page.click("#edit-all-hits")
    page.wait_for_selector("#bulk-form")
    assert "300 assets" in page.locator("#bulk-what").inner_text()
    page.fill("#add_tags", "harvest, autumn")
    # The product picker: type, arrow down, Enter (never a typed id); Escape closes the list.
    page.fill("#add_links-find", "bracket")
    page.wait_for_selector("#add_links-find-list [role=option][data-key='BRK-77']")
    assert "Bracket seventy-seven" in page.locator("#add_links-find-list").inner_text()
    page.press("#add_links-find", "Escape")
    assert page.locator("#add_links-find-list").is_hidden()
    page.press("#add_links-find", "ArrowDown")
    page.wait_for_selector("#add_links-find-list [role=option][aria-selected=true]")
    page.press("#add_links-find", "Enter")
    chosen = "#add_links-find-box [data-picker-chosen]"
    page.wait_for_selector(f"{chosen} input[value='BRK-77']", state="attached")
    assert page.locator("#add_links-find").input_value() == ""
    # A second pick in "Unlink", taken back with the keyboard: Tab to its remove button, Enter.
    page.fill("#remove_links-find", "seventy")
    page.wait_for_selector("#remove_links-find-list [role=option]")
    page.press("#remove_links-find", "Enter")
    page.wait_for_selector("#remove_links-find-box [data-picked='BRK-77']")
    page.press("#remove_links-find", "Tab")
    assert page.evaluate("document.activeElement.getAttribute('aria-label')") == "Remove BRK-77"
    page.keyboard.press("Enter")
    assert page.locator("#remove_links-find-box [data-picked]").count() == 0
    assert page.evaluate("document.activeElement.id") == "remove_links-find"
    # A mistake elsewhere: the form comes back with the reason and the chosen product, name included.
    page.select_option("#expiry_mode", "set")
    page.click("#bulk-preview")
    page.wait_for_selector("#bulk-error")
    assert "expiry date" in page.locator("#bulk-error").inner_text()
    kept = page.locator("#add_links-find-box [data-picked='BRK-77']")
    assert kept.count() == 1 and "Bracket seventy-seven" in kept.inner_text()
    page.select_option("#expiry_mode", "keep")
    # A custom field: choosing a value switches its row to "Set to".
    page.select_option("#bulk-cf-season", "winter")
    assert page.locator("#bulk-cf-mode-season").input_value() == "set"
    page.click("#bulk-preview")

    summary = page.locator("[data-preview-summary]")
    summary.wait_for()
    assert "300 assets: 300 change" in " ".join(summary.text_content().split())
    assert _count(live_server, AssetTag, AssetTag.tag == "harvest") == 0  # the preview wrote nothing
    assert "Season: set to winter" in " ".join(page.locator("#bulk-asked-fields").inner_text().split())

    page.click("#bulk-confirm")
    page.wait_for_selector("#bulk-progress[data-status=done]")
    assert "300 changed" in page.locator("[data-job-summary]").inner_text()
    assert _count(live_server, AssetTag, AssetTag.tag == "harvest") == HITS
    assert _count(live_server, AssetProduct, AssetProduct.article_number == "BRK-77") == HITS
    assert _seasons(live_server, ids) == {"winter"}
    page.goto(f"{live_server.url}/search?f.tags=harvest")
    assert "300" in page.locator("#search-count").inner_text()
    page.go_back()

    # One click undoes the whole batch (the confirm dialog is accepted); the undo is a job too.
    page.on("dialog", lambda dialog: dialog.accept())
    page.click("#bulk-undo")
    page.wait_for_selector("h1:has-text('Undo of bulk edit')")
    page.wait_for_selector("#bulk-progress[data-status=done]")
    assert _count(live_server, AssetTag, AssetTag.tag == "harvest") == 0
    assert _count(live_server, AssetProduct, AssetProduct.asset_id.in_(ids)) == 0
    assert _seasons(live_server, ids) == {None}

    # The form fits a phone, the picker's list open too.
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(f"{live_server.url}/bulk?search=q%3Dcrate")
    page.wait_for_selector("#bulk-form")
    page.fill("#add_links-find", "bracket")
    page.wait_for_selector("#add_links-find-list [role=option]")
    page.press("#add_links-find", "Enter")
    page.wait_for_selector("#add_links-find-box [data-picked='BRK-77']")
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    assert not problems, "\n".join(problems[:20])
