"""The brand hub and share links in headless Chromium: a visitor searches, filters, accepts the terms and
downloads a web rendition; internal assets stay unreachable; a password link works until revoked/expired."""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path
from typing import Any

from models import ShareLink
from models.base import utcnow
from portal.services.brand import hub as brand_service
from portal.services.brand import share_links as sharelinks
from tests.brand_helpers import ADMIN, MANAGER, ingest, make_pdf, release, share
from tests.e2e.conftest import LiveServer
from tests.helpers import ZOO

GOOD = ZOO / "good"


def _catalogue(live: LiveServer, tmp_path: Path) -> dict[str, int]:
    rt = live.rt
    ids = {
        "portrait": ingest(rt, GOOD / "hopper.jpg", title="Hopper portrait"),
        "mask": ingest(rt, GOOD / "hopper_mask.png", title="Hopper mask"),
        "guide": ingest(rt, make_pdf(tmp_path), title="Brand guidelines"),
        "internal": ingest(rt, GOOD / "pil_sample_rgb.jpg", title="Secret launch"),
    }
    release(rt, ids["portrait"], ids["mask"], ids["guide"])
    release(rt, ids["internal"], visibility="internal")
    with rt.db.transaction() as session:
        brand_service.update_settings(
            session, ADMIN, name="Nordform", colour="#0b5d4b", intro="Logos, imagery and guidelines.",
            terms="Use these assets only to show Nordform products.", public_presets=["web", "print"],
        )  # fmt: skip
        brand_service.create_section(session, MANAGER, title="Everything", kind="saved_search", query="")
    return ids


def test_visitor_searches_filters_accepts_terms_and_downloads(
    live_server: LiveServer, page: Any, tmp_path: Path
) -> None:
    ids = _catalogue(live_server, tmp_path)
    page.goto(f"{live_server.url}/brand")
    assert page.locator("h1").first.inner_text() == "Nordform"
    assert page.locator(".brand-tile").count() == 3
    page.fill("#brand-q", "hopper")
    page.press("#brand-q", "Enter")
    page.wait_for_url("**/brand/search?q=hopper")
    assert page.locator(".brand-tile").count() == 2
    page.click('[data-facet="file_type"] [data-value="JPEG"]')
    page.wait_for_url("**f.file_type=JPEG**")
    assert page.locator(".brand-tile").count() == 1
    assert (
        page.locator('[data-facet="file_type"] [data-value="JPEG"]').get_attribute("aria-pressed") == "true"
    )
    page.click(".brand-tile-link")
    page.wait_for_url(f"**/brand/a/{ids['portrait']}")
    page.click('[data-preset="web"]')
    page.wait_for_url(lambda url: "/brand/terms?next=" in url)
    assert "Use these assets only" in page.inner_text("#terms-text")
    with page.expect_download() as info:
        page.click("#accept-terms")
    download = info.value
    target = tmp_path / download.suggested_filename
    download.save_as(target)
    assert target.suffix in (".jpg", ".jpeg") and target.read_bytes()[:2] == b"\xff\xd8"
    # Accepted once: the next download goes straight through.
    page.goto(f"{live_server.url}/brand/a/{ids['mask']}")
    with page.expect_download() as again:
        page.click('[data-preset="web"]')
    assert again.value.suggested_filename

    # The same visitor cannot reach an internal asset by URL (the same 404 as an id that does not exist).
    hidden = page.goto(f"{live_server.url}/brand/a/{ids['internal']}")
    assert hidden is not None and hidden.status == 404
    missing = page.goto(f"{live_server.url}/brand/a/987654")
    assert missing is not None and missing.status == 404
    assert page.locator("h1").inner_text() == "Not found"


def test_password_share_link_works_until_revoked_and_expired(
    live_server: LiveServer, page: Any, new_page: Any, tmp_path: Path
) -> None:
    ids = _catalogue(live_server, tmp_path)
    rt = live_server.rt
    selection = {"asset_ids": [ids["portrait"], ids["mask"]]}
    token = share(rt, "selection", selection, password="press-2026", note="For the spring launch.")
    other = share(rt, "selection", selection, password="press-2026")

    page.goto(f"{live_server.url}/s/{token}")
    page.fill("#share-password", "wrong-one")
    page.click("button[type=submit]")
    assert "not right" in page.inner_text("#password-error")
    page.fill("#share-password", "press-2026")
    page.click("button[type=submit]")
    page.wait_for_selector(".brand-tile")
    assert page.locator(".brand-tile").count() == 2
    assert "For the spring launch." in page.inner_text(".brand-note")
    with page.expect_download() as info:
        page.locator(".brand-tile-actions a").first.click()
    assert info.value.suggested_filename

    with rt.db.transaction() as session:
        link = session.query(ShareLink).filter_by(token_hash=sharelinks.hash_token(token)).one()
        sharelinks.revoke(session, MANAGER, link.id)
    revoked = page.goto(f"{live_server.url}/s/{token}")
    assert revoked is not None and revoked.status == 410
    assert "no longer available" in page.inner_text("h1")

    second = new_page()
    second.goto(f"{live_server.url}/s/{other}")
    second.fill("#share-password", "press-2026")
    second.click("button[type=submit]")
    second.wait_for_selector(".brand-tile")
    with rt.db.transaction() as session:
        link = session.query(ShareLink).filter_by(token_hash=sharelinks.hash_token(other)).one()
        link.expires_at = utcnow() - timedelta(seconds=1)
    expired = second.goto(f"{live_server.url}/s/{other}")
    assert expired is not None and expired.status == 410
    assert "expired" in second.inner_text("main")


PHONE = {"width": 390, "height": 844}
OVERFLOW = "() => document.scrollingElement.scrollWidth - window.innerWidth"


def test_hub_fits_a_phone_and_works_from_the_keyboard(
    live_server: LiveServer, browser: Any, tmp_path: Path
) -> None:
    _catalogue(live_server, tmp_path)
    context = browser.new_context(viewport=PHONE, is_mobile=True, has_touch=True)
    try:
        page = context.new_page()
        for path in ("/brand", "/brand/search", "/brand/search?q=hopper&f.file_type=JPEG"):
            page.goto(f"{live_server.url}{path}")
            page.wait_for_load_state("load")
            assert page.evaluate(OVERFLOW) <= 0, f"{path} overflows horizontally at 390 px"
        # Keyboard: the first Tab reaches the skip link, "/" jumps to the search box.
        page.goto(f"{live_server.url}/brand/search")
        page.keyboard.press("Tab")
        assert page.evaluate("document.activeElement.textContent.trim()") == "Skip to main content"
        page.keyboard.press("Escape")
        page.locator(".brand-footer a").focus()
        page.keyboard.press("/")
        assert page.evaluate("document.activeElement.id") == "brand-q"
        page.keyboard.type("mask")
        page.keyboard.press("Enter")
        page.wait_for_url("**/brand/search?q=mask")
        assert page.locator(".brand-tile").count() == 1
        # Every image has an alt attribute (empty where the text beside it already says it).
        assert page.evaluate("document.querySelectorAll('img:not([alt])').length") == 0
    finally:
        context.close()


def test_manager_shares_a_grid_selection_and_copies_the_link(
    live_server: LiveServer, page: Any, tmp_path: Path
) -> None:
    ids = _catalogue(live_server, tmp_path)
    live_server.make_user("manager@example.com", "manager")
    live_server.login(page, "manager@example.com")
    page.goto(f"{live_server.url}/search?q=hopper")
    assert page.locator("#share-selection").is_disabled()
    page.locator(f"#sel-{ids['portrait']}").focus()
    page.keyboard.press("Space")
    page.locator(f"#sel-{ids['mask']}").check()
    assert page.inner_text("#selection-count") == "2 assets selected"
    page.click("#share-selection")
    page.wait_for_url("**/brand-admin/links/new")
    assert "2 selected assets" in page.inner_text("#share-about")
    page.fill("#nl-note", "For the launch")
    page.click("#share-link-form button[type=submit]")
    page.wait_for_selector("#share-url")
    url = page.input_value("#share-url")
    assert "/s/" in url
    page.context.grant_permissions(["clipboard-read", "clipboard-write"], origin=live_server.url)
    page.click("#copy-share-url")
    # A locator wait, not wait_for_function: the page's CSP forbids eval, which a string predicate
    # needs whenever its first check fails and Playwright polls it inside the page.
    status = page.locator("#copy-status")
    status.filter(has_text=re.compile(r"\S")).wait_for()
    assert "copied" in status.inner_text().lower() or "Ctrl+C" in status.inner_text()
