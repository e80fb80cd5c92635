"""Browser test: an admin adds a required single-select field; an editor cannot submit an asset without
it (and is told which field), fills it in and submits; a manager approves; a partner filters search by the
new facet. Fails on any 5xx, console error or CSP violation (Chromium reports those as console errors)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from portal.services.search import sync as search_sync
from tests.e2e.conftest import LiveServer
from tests.gov_helpers import new_asset, set_state


def _watch(page: Any, problems: list[str]) -> Any:
    page.on("console", lambda msg: problems.append(f"console: {msg.text}") if msg.type == "error" else None)
    page.on("pageerror", lambda exc: problems.append(f"page error: {exc}"))
    page.on("response", lambda r: problems.append(f"{r.status} {r.url}") if r.status >= 500 else None)
    return page


def test_required_select_field_blocks_submit_until_filled_and_partners_filter_by_it(
    live_server: LiveServer, page: Any, new_page: Callable[[], Any], tmp_path: Path
) -> None:
    problems: list[str] = []
    rt = live_server.rt
    for email, role in (("root@example.com", "admin"), ("ed@example.com", "editor")):
        live_server.make_user(email, role)
    live_server.make_user("boss@example.com", "manager")
    live_server.make_user("reseller@example.com", "partner")
    asset_id = new_asset(rt, tmp_path, 51, title="Beach towel")
    other_id = new_asset(rt, tmp_path, 52, title="Beach umbrella")
    set_state(rt, asset_id, "draft", visibility="partner", approved=False)
    set_state(rt, other_id, "approved", visibility="partner")
    with rt.db.transaction() as session:
        search_sync.assets_changed(session, [asset_id, other_id])  # set directly: tell the index

    # The admin defines the field on the admin page.
    admin = _watch(page, problems)
    live_server.login(admin, "root@example.com")
    admin.goto(f"{live_server.url}/admin/fields")
    admin.fill("#new-key", "season")
    admin.select_option("#new-type", "select")
    admin.fill("#new-labels", "en: Season; de: Saison")
    admin.fill("#new-options", "summer = en: Summer; de: Sommer\nwinter = en: Winter")
    admin.check("#new-required")
    admin.check("#new-facet")
    admin.click("text=Add field")
    admin.wait_for_selector(".alert-success:has-text('Season')")
    assert admin.locator("tr[data-field='season']").count() == 1

    # The editor is refused with the missing field named, fills it in, submits.
    editor = _watch(new_page(), problems)
    live_server.login(editor, "ed@example.com")
    editor.goto(f"{live_server.url}/assets/{asset_id}")
    assert "Season" in editor.locator("[data-missing-required]").inner_text()
    editor.click("button[name=action][value=submit]")
    editor.wait_for_selector(".alert-danger:has-text('required fields before submitting for review: Season')")
    editor.select_option("#edit-cf-season", "summer")
    editor.click("text=Save changes")
    editor.wait_for_selector(".alert-success:has-text('custom fields')")
    assert editor.locator("#custom-fields").inner_text().count("Summer") == 1
    editor.click("button[name=action][value=submit]")
    editor.wait_for_selector("[data-status]:has-text('in review')")

    # The manager approves from the asset page.
    manager = _watch(new_page(), problems)
    live_server.login(manager, "boss@example.com")
    manager.goto(f"{live_server.url}/assets/{asset_id}")
    manager.click("button[name=action][value=approve]")
    manager.wait_for_selector(".alert-success:has-text('approved')")

    # The partner filters the search by the new facet: only the summer asset remains.
    partner = _watch(new_page(), problems)
    live_server.login(partner, "reseller@example.com")
    partner.goto(f"{live_server.url}/search?q=beach")
    partner.locator(f"a[href='/assets/{other_id}']").first.wait_for()
    group = partner.locator("[data-facet-group='cf.season']")
    assert group.locator("legend").inner_text().strip() == "Season"
    group.locator("label:has-text('Summer')").click()
    partner.wait_for_url(lambda url: "f.cf.season=summer" in url)
    partner.locator(f"a[href='/assets/{asset_id}']").first.wait_for()
    assert partner.locator(f"a[href='/assets/{other_id}']").count() == 0
    partner.goto(f"{live_server.url}/assets/{asset_id}")
    assert "Summer" in partner.locator("#custom-fields").inner_text()
    assert partner.locator("[name^='cf.']").count() == 0  # partners never get the inputs
    assert problems == []
