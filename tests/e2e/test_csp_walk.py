"""Trust hole 14 and the standing browser check: every role walks the main pages in Chromium and the walk
fails on any HTTP 5xx, console error or CSP violation (Chromium reports a refused inline style or script
as a console error), so a page broken by its own Content-Security-Policy cannot land."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy import select

from models import Role, User
from portal.services.accounts import tokens
from portal.services.brand import collection_shares
from portal.services.brand import collections as collection_service
from portal.services.distribution import packages, webhooks
from portal.services.governance.policy import Viewer
from tests.e2e.conftest import LiveServer
from tests.gov_helpers import new_asset, set_state

STAFF_PAGES = [
    "/assets", "/assets/{asset}", "/search?q=image", "/review/mine", "/packages",
    "/products", "/upload", "/account/tokens", "/brand", "/brand/a/{asset}",
    "/collections/", "/collections/{collection}",
]  # fmt: skip
ADMIN_PAGES = [
    "/packages/{package}", "/admin/users", "/admin/audit", "/admin/jobs", "/admin/presets",
    "/admin/presets/web", "/admin/vision", "/admin/duplicates", "/admin/webhooks", "/review",
    "/review/dashboard", "/admin/fields", "/admin/synonyms", "/admin/webhooks/{webhook}",
]  # fmt: skip
WALKS: dict[str, list[str]] = {
    "admin": STAFF_PAGES + ADMIN_PAGES,
    "manager": [*STAFF_PAGES, "/review", "/review/dashboard"],
    "editor": STAFF_PAGES,
    "partner": [
        "/assets",
        "/assets/{asset}",
        "/search?q=image",
        "/packages",
        "/brand",
        "/collections/",
        "/collections/{collection}",
        "/account/tokens",
    ],
    "anonymous": ["/login", "/brand", "/brand/a/{asset}", "/brand/search?q=image", "/brand/terms"],
}


def _walk(live: LiveServer, page: Any, paths: list[str], ids: dict[str, int]) -> list[str]:
    problems: list[str] = []
    current = {"path": ""}
    page.on(
        "console",
        lambda msg: (
            problems.append(f"{current['path']}: console {msg.type}: {msg.text}")
            if msg.type == "error"
            else None
        ),
    )
    page.on("pageerror", lambda exc: problems.append(f"{current['path']}: page error: {exc}"))
    page.on(
        "response",
        lambda resp: (
            problems.append(f"{current['path']}: {resp.status} from {resp.url}")
            if resp.status >= 500
            else None
        ),
    )
    for template in paths:
        path = template.format(**ids)
        current["path"] = path
        response = page.goto(f"{live.url}{path}")
        page.wait_for_load_state("networkidle")
        if response is None or response.status >= 400:
            problems.append(f"{path}: answered {response.status if response else 'nothing'}")
    return problems


def _world(live_server: LiveServer, tmp_path: Path) -> dict[str, int]:
    """An approved public asset, a package and a collection shared with partners, made by the admin."""
    rt = live_server.rt
    asset = new_asset(rt, tmp_path, 14, title="Walked image")
    set_state(rt, asset, "approved", "public")
    admin_id = live_server.make_user("admin@example.com", "admin")
    waiting = new_asset(rt, tmp_path, 15, title="Waiting image")
    set_state(rt, waiting, "in_review")  # a row on the review queue and dashboard
    with rt.db.transaction() as session:
        package = packages.create_package(
            session, Viewer(admin_id, Role.ADMIN), lines=[str(asset)], presets=["web"], source="selection"
        ).id
        made = collection_service.create_collection(session, Viewer(admin_id, Role.ADMIN), "Walked")
        collection_service.add_items(session, Viewer(admin_id, Role.ADMIN), made.id, [asset])
        collection_shares.share(
            session, Viewer(admin_id, Role.ADMIN), made.id, role="partner", permission="view"
        )
        collection = made.id
        webhook = webhooks.create_subscription(
            session,
            Viewer(admin_id, Role.ADMIN),
            "https://pim.example.com/hooks/assetport",
            list(webhooks.EVENTS),
        ).id
    return {"asset": asset, "package": package, "collection": collection, "webhook": webhook}


def _signed_in(live_server: LiveServer, new_page: Any, role: str) -> Any:
    """A page signed in as the role's user (made on first use, with an API token so that its table
    has a row); anonymous: not signed in."""
    page = new_page()
    if role != "anonymous":
        email = f"{role}@example.com"
        if role != "admin":
            live_server.make_user(email, role)
        with live_server.rt.db.transaction() as session:
            user_id = session.scalar(select(User.id).where(User.email == email))
            assert user_id is not None
            tokens.create_token(session, user_id, "read", name="Walked token")
        live_server.login(page, email)
    return page


def test_hole_14_every_role_walks_the_main_pages_without_csp_violations_or_errors(
    live_server: LiveServer, new_page: Any, tmp_path: Path
) -> None:
    ids = _world(live_server, tmp_path)
    failures: list[str] = []
    for role, paths in WALKS.items():
        page = _signed_in(live_server, new_page, role)
        failures += [f"{role} {p}" for p in _walk(live_server, page, paths, ids)]
    assert not failures, "\n".join(failures[:40])


def test_every_role_walks_the_main_pages_on_a_390_px_phone_without_sideways_scrolling(
    live_server: LiveServer, new_page: Any, tmp_path: Path
) -> None:
    """Wide tables (tokens, failed jobs, synonyms, webhooks, the review dashboard) scroll inside their
    own box; the page itself never scrolls sideways."""
    ids = _world(live_server, tmp_path)
    failures: list[str] = []
    for role, paths in WALKS.items():
        page = _signed_in(live_server, new_page, role)
        page.set_viewport_size({"width": 390, "height": 844})
        for template in paths:
            path = template.format(**ids)
            page.goto(f"{live_server.url}{path}")
            page.wait_for_load_state("networkidle")
            width = page.evaluate("document.documentElement.scrollWidth")
            if width > 390:
                failures.append(f"{role} {path}: {width} px wide")
    assert not failures, "\n".join(failures)
