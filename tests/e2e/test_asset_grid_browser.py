"""Browser test: a partner sorts the asset grid, switches to the list view (remembered on the next visit),
selects two assets and downloads them as a package; on the search page "package this search" packages
every hit. Fails on any 5xx, console error or CSP violation."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from sqlalchemy import select

from models import Package
from portal.services.search import sync as search_sync
from tests.e2e.conftest import LiveServer
from tests.e2e.page_guard import PageGuard
from tests.gov_helpers import new_asset, set_state


def test_partner_sorts_lists_selects_and_packages(live_server: LiveServer, page: Any, tmp_path: Path) -> None:
    rt = live_server.rt
    ids = [
        new_asset(rt, tmp_path, seed, title=title) for seed, title in ((1, "Walnut desk"), (2, "Ash chair"))
    ]
    ids.append(new_asset(rt, tmp_path, 3, title="Beech table"))
    for asset_id in ids:
        set_state(rt, asset_id, "approved", "partner")
    with rt.db.transaction() as session:
        search_sync.assets_changed(session, ids)  # the index follows (jobs run eagerly here)
    live_server.make_user("reseller@example.com", "partner")
    guard = PageGuard()
    live_server.login(guard.watch(page), "reseller@example.com")

    page.goto(f"{live_server.url}/assets")
    page.select_option("#grid-sort", "title")
    page.wait_for_url(re.compile(r"sort=title"))
    page.locator(".tile-title").first.wait_for()
    titles = [t.inner_text() for t in page.locator("#results .tile-title").all()]
    assert titles == ["Ash chair", "Beech table", "Walnut desk"]

    # The list view: one row per asset; remembered when the grid is opened again.
    page.click("[data-view='list']")
    assert page.locator("#results.is-list").count() == 1
    boxes = [t.bounding_box() for t in page.locator("#results .tile").all()]
    assert len({round(b["x"]) for b in boxes}) == 1  # one column
    page.goto(f"{live_server.url}/assets")
    assert page.locator("#results.is-list").count() == 1
    assert page.locator("[data-view='list']").get_attribute("aria-pressed") == "true"

    # Select two, download them as a package.
    assert page.locator("#download-selection").is_disabled()
    page.check(f"#sel-{ids[0]}")
    page.check(f"#sel-{ids[1]}")
    assert page.locator("#selection-count").inner_text() == "2 assets selected"
    page.click("#download-selection")
    page.wait_for_url(re.compile(r"/packages/\d+$"))
    with rt.db.session() as session:
        package = session.scalars(select(Package)).one()
        assert package.source == "selection" and sorted(package.lines) == sorted(str(i) for i in ids[:2])

    # "Package this search" on the search page: every hit of the search.
    page.goto(f"{live_server.url}/search?q=table")
    page.locator("#search-body [data-tile]").first.wait_for()
    page.click("#package-search")
    page.wait_for_url(re.compile(r"/packages/\d+$"))
    with rt.db.session() as session:
        newest = session.scalars(select(Package).order_by(Package.id.desc())).first()
        assert newest is not None and newest.source == "search" and newest.lines == [str(ids[2])]
    guard.check()
