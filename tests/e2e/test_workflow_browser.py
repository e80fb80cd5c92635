"""Browser test: an editor uploads and submits, a manager approves from the queue with the keyboard,
a partner then finds the asset in search."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

from sqlalchemy import select

from models import Asset
from tests.e2e.conftest import LiveServer
from tests.gov_helpers import png


def test_upload_submit_approve_with_keyboard_partner_finds_it(
    live_server: LiveServer, page: Any, new_page: Callable[[], Any], tmp_path: Path
) -> None:
    live_server.make_user("ed@example.com", "editor")
    live_server.make_user("boss@example.com", "manager")
    live_server.make_user("reseller@example.com", "partner")

    # The editor uploads on the upload page (static/js/upload.js posts to the API).
    live_server.login(page, "ed@example.com")
    page.goto(f"{live_server.url}/upload")
    page.set_input_files("#file-input", str(png(tmp_path, 42, name="zebra-lamp.png", size=(120, 90))))
    page.click("[data-batch-start]")
    page.wait_for_selector(".upload-item.is-created")
    with live_server.rt.db.session() as session:
        asset_id = session.scalars(select(Asset.id).where(Asset.original_filename == "zebra-lamp.png")).one()

    # Partner visibility (the asset page's Rights tab), then submit for review from the asset page.
    page.goto(f"{live_server.url}/assets/{asset_id}")
    page.click("a[data-tab][href='#tab-rights']")
    page.select_option("#rights-visibility", "partner")
    page.click("text=Save visibility and rights")
    page.wait_for_selector(".alert-success")
    page.click("button[name=action][value=submit]")
    page.wait_for_selector("[data-status]:has-text('in review')")

    # The manager approves from the queue with the keyboard: the first item is current, "a" asks,
    # Enter approves.
    manager = new_page()
    live_server.login(manager, "boss@example.com")
    manager.goto(f"{live_server.url}/review")
    assert manager.locator("[data-queue-count]").inner_text().strip() == "1"
    manager.wait_for_selector(f"[data-review-item][data-asset-id='{asset_id}'].is-current")
    manager.keyboard.press("a")
    manager.locator("#review-confirm").wait_for(state="visible")
    manager.keyboard.press("Enter")
    manager.wait_for_selector(".alert-success:has-text('approved')")
    assert manager.locator("[data-review-item]").count() == 0

    # The partner finds it in search (the index was synced after commit: jobs run eagerly here).
    partner = new_page()
    live_server.login(partner, "reseller@example.com")
    partner.goto(f"{live_server.url}/search?q=zebra")
    link = partner.locator(f"a[href='/assets/{asset_id}']").first
    link.wait_for()
    link.click()
    partner.wait_for_url(re.compile(rf"/assets/{asset_id}$"))
    assert "zebra" in partner.locator("h1").inner_text().lower()
