"""The browser fixtures work: a user logs in through the real form and sees the asset grid."""

from __future__ import annotations

from typing import Any

from tests.e2e.conftest import LiveServer


def test_login_through_the_browser(live_server: LiveServer, page: Any) -> None:
    live_server.make_user("smoke@example.com", "editor")
    live_server.login(page, "smoke@example.com")
    assert page.url.endswith("/assets")
    assert page.locator("h1").first.is_visible()
