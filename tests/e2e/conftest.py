"""Browser-test fixtures: the portal served on a free port, and headless Debian Chromium via Playwright.

General on purpose (other features' browser tests reuse them):

- ``live_server``: ``create_app`` on an isolated SQLite instance, served by werkzeug from a background
  thread. Jobs run eagerly (inline after each commit), so previews and the search index are up to date
  when a request returns. ``live_server.url``, ``.app``, ``.rt``, ``.make_user(email, role)`` and
  ``.login(page, email)`` cover the usual set-up.
- ``browser`` (one per session) and ``page`` (a fresh context per test, so cookies never leak between
  tests). Chromium is ``/usr/bin/chromium``; ``playwright install`` is never run. Without it the browser
  tests are skipped, except under ``CI=true`` where that is a failure.

Every test under ``tests/e2e`` is marked ``e2e`` and runs in the normal test run.
"""

from __future__ import annotations

import shutil
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from werkzeug.serving import BaseWSGIServer, make_server

from portal.app import create_app
from portal.runtime import Runtime
from portal.services.accounts.users import create_user
from portal.settings import Settings
from tests.conftest import IN_CI, TEST_PASSWORD

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking"]
E2E_DIR = Path(__file__).parent
# Generous, since two CPU cores are shared; only a failing test ever waits this long.
DEFAULT_TIMEOUT_MS = 20_000


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Mark every browser test ``e2e`` (selectable with ``-m e2e``, still part of the normal run)."""
    for item in items:
        if E2E_DIR in Path(str(item.fspath)).parents:
            item.add_marker(pytest.mark.e2e)


@dataclass
class LiveServer:
    """A running portal: its base URL, the Flask app and its runtime."""

    url: str
    app: Flask
    server: BaseWSGIServer
    thread: threading.Thread
    users: dict[str, int] = field(default_factory=dict)

    @property
    def rt(self) -> Runtime:
        """The runtime (database, blob store, queue, search) of the served app."""
        runtime: Runtime = self.app.extensions["assetport"]
        return runtime

    def make_user(self, email: str, role: str = "editor", password: str = TEST_PASSWORD) -> int:
        """Create a user directly in the database; returns the id."""
        with self.rt.db.transaction() as session:
            user_id = create_user(session, email, password, role).id
        self.users[email] = user_id
        return user_id

    def login(self, page: Any, email: str, password: str = TEST_PASSWORD) -> None:
        """Log ``page`` in through the real login form and wait for the landing page."""
        page.goto(f"{self.url}/login")
        page.fill("input[name=email]", email)
        page.fill("input[name=password]", password)
        page.click("button[type=submit]")
        page.wait_for_url(lambda url: "/login" not in url)

    def stop(self) -> None:
        """Stop serving and release the runtime."""
        self.server.shutdown()
        self.thread.join(timeout=10)
        self.rt.close()


@pytest.fixture
def live_settings(tmp_path: Path, sqlite_template: Path) -> Settings:
    """Settings of the live server: its own instance folder and SQLite copy, eager jobs."""
    db_path = tmp_path / "live.db"
    shutil.copy(sqlite_template, db_path)
    return Settings(
        instance_dir=tmp_path / "live-instance",
        database_url=f"sqlite:///{db_path}",
        secret_key="e2e-secret-key-not-for-production",
        jobs_eager=True,
        search_sync_linger=0.0,
    )


@pytest.fixture
def live_server(live_settings: Settings) -> Iterator[LiveServer]:
    """The portal served from a background thread on a free local port."""
    app = create_app(live_settings, start_workers=False)
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, name="e2e-live-server", daemon=True)
    thread.start()
    live = LiveServer(url=f"http://127.0.0.1:{server.server_port}", app=app, server=server, thread=thread)
    try:
        yield live
    finally:
        live.stop()


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    """Headless Debian Chromium driven by Playwright's sync API (one per test session)."""
    if not CHROMIUM.exists():
        message = f"{CHROMIUM} is missing (apt-get install chromium)"
        if IN_CI:
            pytest.fail(f"browser tests need Chromium under CI=true: {message}")
        pytest.skip(message)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        instance = playwright.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
        )
        try:
            yield instance
        finally:
            instance.close()


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    """A page in a fresh browser context (own cookies), with generous default timeouts."""
    context = browser.new_context(viewport={"width": 1400, "height": 900})
    context.set_default_timeout(DEFAULT_TIMEOUT_MS)
    tab = context.new_page()
    try:
        yield tab
    finally:
        context.close()


@pytest.fixture
def new_page(browser: Any) -> Iterator[Any]:
    """A factory of further pages, each in its own context (several users in one test)."""
    contexts: list[Any] = []

    def make() -> Any:
        context = browser.new_context(viewport={"width": 1400, "height": 900})
        context.set_default_timeout(DEFAULT_TIMEOUT_MS)
        contexts.append(context)
        return context.new_page()

    try:
        yield make
    finally:
        for context in contexts:
            context.close()
