"""The suggestion list under the search box: typing shows matches with counts, arrow keys move through
them, Enter opens one, Escape closes the list (no inline script: the page's CSP stays strict)."""

from __future__ import annotations

from typing import Any

from models import Asset, AssetStatus, Product, Visibility
from portal.jobs.registry import run_task
from portal.services.catalog.ingest import ingest_file
from tests.e2e.conftest import LiveServer
from tests.helpers import ZOO


def test_keyboard_through_the_suggestions(live_server: LiveServer, page: Any) -> None:
    rt = live_server.rt
    with rt.db.transaction() as session:
        session.add(Product(article_number="62783187", model_code="black-hoodie", name="Black Hoodie"))
    result = ingest_file(rt, ZOO / "good" / "hopper.jpg", "62783187_1.jpg")
    assert result.ok and result.asset_id is not None
    with rt.db.transaction() as session:
        asset = session.get(Asset, result.asset_id)
        assert asset is not None
        asset.status, asset.visibility = AssetStatus.APPROVED.value, Visibility.PARTNER.value
    run_task(rt, "search.sync", {"asset_ids": [result.asset_id]})
    live_server.make_user("suggest@example.com", "editor")
    live_server.login(page, "suggest@example.com")
    page.goto(live_server.url + "/search")
    box = page.locator("#search-q")
    box.click()
    box.type("hood")
    options = page.locator("#search-suggest [role=option]")
    options.first.wait_for()
    assert "Black Hoodie" in options.first.inner_text()
    assert box.get_attribute("aria-expanded") == "true"
    box.press("ArrowDown")
    assert options.first.get_attribute("aria-selected") == "true"
    assert box.get_attribute("aria-activedescendant") == options.first.get_attribute("id")
    box.press("Escape")
    assert page.locator("#search-suggest").is_hidden()
    box.type("i")
    options.first.wait_for()
    box.press("ArrowDown")
    box.press("Enter")
    page.wait_for_url("**/search?q=Black+Hoodie*")
