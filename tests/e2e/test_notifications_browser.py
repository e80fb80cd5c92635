"""Browser test: an editor submits, the manager is told (bell), rejects with a reason; the editor sees the
notification with the reason in the portal, opens it from the keyboard, and the rejection mail with the
reason arrives at the test SMTP server. The bell and list also work at 390 px."""

from __future__ import annotations

import re
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from portal.settings import Settings
from tests.e2e.conftest import LiveServer
from tests.e2e.page_guard import PageGuard
from tests.gov_helpers import new_asset
from tests.mail_helpers import Inbox, body_of, smtp_server

REASON = "The product is cropped at the left; please upload the full shot."


@pytest.fixture
def inbox() -> Iterator[tuple[int, Inbox]]:
    """The test SMTP server: (port, inbox)."""
    with smtp_server() as server:
        yield server


@pytest.fixture
def live_settings(tmp_path: Path, sqlite_template: Path, inbox: tuple[int, Inbox]) -> Settings:
    """The live server's settings, mailing through the test SMTP server."""
    db_path = tmp_path / "live.db"
    shutil.copy(sqlite_template, db_path)
    return Settings(
        instance_dir=tmp_path / "live-instance",
        database_url=f"sqlite:///{db_path}",
        secret_key="e2e-secret-key-not-for-production",
        jobs_eager=True,
        search_sync_linger=0.0,
        smtp_url=f"smtp://127.0.0.1:{inbox[0]}",
    )


def test_rejected_editor_is_told_in_the_portal_and_by_mail(
    live_server: LiveServer, page: Any, new_page: Callable[[], Any], browser: Any,
    inbox: tuple[int, Inbox], tmp_path: Path,
) -> None:  # fmt: skip
    editor_id = live_server.make_user("ed@example.com", "editor")
    live_server.make_user("boss@example.com", "manager")
    asset_id = new_asset(live_server.rt, tmp_path, 7, user_id=editor_id, title="Walnut desk")

    guard = PageGuard()
    # The editor submits from the asset page.
    live_server.login(guard.watch(page), "ed@example.com")
    page.goto(f"{live_server.url}/assets/{asset_id}")
    page.click("button[name=action][value=submit]")
    page.wait_for_selector("[data-status]:has-text('in review')")
    assert page.locator("[data-notification-count]").count() == 0

    # The manager's bell counts the submission; the manager rejects from the queue with a reason.
    manager = guard.watch(new_page())
    live_server.login(manager, "boss@example.com")
    assert manager.locator("[data-notification-count]").inner_text().strip() == "1"
    assert [str(m["To"]) for m in inbox[1].messages] == ["boss@example.com"]
    # In the review grid: select the tile, "r" goes to the reason, Enter asks to confirm, the dialog rejects.
    manager.goto(f"{live_server.url}/review")
    manager.locator(f"[data-review-item][data-asset-id='{asset_id}'] [data-review-show]").click()
    manager.keyboard.press("r")
    reason = manager.locator(f"[data-review-detail='{asset_id}'] [data-reject-comment]")
    assert reason.evaluate("el => el === document.activeElement")
    manager.keyboard.type(REASON)
    manager.keyboard.press("Enter")
    dialog = manager.locator("#review-confirm")
    dialog.wait_for(state="visible")
    assert REASON in dialog.inner_text()
    dialog.locator("[data-confirm-ok]").click()
    manager.wait_for_selector(".alert-success")

    # The editor's bell shows it; the list carries the reason; opening it (keyboard) leads to the asset.
    page.goto(f"{live_server.url}/assets")
    bell = page.locator("[data-notification-bell]")
    assert page.locator("[data-notification-count]").inner_text().strip() == "1"
    assert "1 unread" in (bell.get_attribute("aria-label") or "")
    bell.focus()
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"/notifications$"))
    entry = page.locator("[data-kind='asset.rejected'].is-unread")
    assert "Walnut desk" in entry.inner_text() and REASON in entry.inner_text()
    entry.locator("button[name=open]").focus()
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(rf"/assets/{asset_id}$"))
    assert page.locator("[data-notification-count]").count() == 0

    # The mail with the reason reached the SMTP server.
    mails = inbox[1].to("ed@example.com")
    assert len(mails) == 1 and "rejected" in str(mails[0]["Subject"])
    assert REASON in body_of(mails[0])

    # At 390 px the bell stays visible next to the menu button and the list fits without sideways scrolling.
    phone = browser.new_context(viewport={"width": 390, "height": 844})
    try:
        small = phone.new_page()
        live_server.login(small, "ed@example.com")
        assert small.locator("[data-notification-bell]").is_visible()
        small.goto(f"{live_server.url}/notifications")
        width = small.evaluate("document.documentElement.scrollWidth")
        assert width <= 390
    finally:
        phone.close()
    guard.check()
