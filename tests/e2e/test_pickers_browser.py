"""Browser test: the asset page's "link products" form is the shared product picker. The list shows the
article number, the name and a thumbnail where the product has one; arrow keys, Enter and Escape work in it;
chips come off by keyboard; several products link at once. It fits 390 px with the list open. The walk fails
on any HTTP 5xx, console error, page error or CSP violation."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy import select

from models import Asset, LinkSource, Role, ShareLink
from portal.services.brand.collections import create_collection
from portal.services.catalog import linking
from portal.services.catalog.products import upsert_product
from portal.services.governance.policy import Viewer
from tests.e2e.conftest import LiveServer
from tests.e2e.page_guard import PageGuard
from tests.gov_helpers import new_asset


def _seed(live: LiveServer, tmp_path: Path) -> tuple[int, int]:
    """Two lamps of one model, the first with an asset (with a preview) of its own, which serves the
    second as well (variant inheritance); a third lamp with no picture. Returns (that asset, the asset to
    link)."""
    rt = live.rt
    with rt.db.transaction() as session:
        upsert_product(session, {"name": "Walnut desk lamp", "model_code": "LAMP-M"}, article_number="LMP-1")
        upsert_product(session, {"name": "Oak desk lamp", "model_code": "LAMP-M"}, article_number="LMP-2")
        upsert_product(session, {"name": "Brass floor lamp"}, article_number="LMP-9")
    pictured = new_asset(rt, tmp_path, 71, title="Walnut lamp photo")
    target = new_asset(rt, tmp_path, 72, title="Lamp family shot")
    with rt.db.transaction() as session:
        asset = session.get(Asset, pictured)
        assert asset is not None
        linking.add_link(session, asset, "LMP-1", LinkSource.MANUAL)
    return pictured, target


def _focused_label(page: Any) -> str:
    script = "document.activeElement.getAttribute('aria-label') || document.activeElement.id"
    return str(page.evaluate(script))


def test_asset_page_links_products_with_the_keyboard(
    live_server: LiveServer, page: Any, tmp_path: Path
) -> None:
    pictured, target = _seed(live_server, tmp_path)
    its_thumb = f"/a/{pictured}/thumb"
    live_server.make_user("ed@example.com", "editor")
    guard = PageGuard()
    live_server.login(guard.watch(page), "ed@example.com")
    page.goto(f"{live_server.url}/assets/{target}")
    page.click("a[data-tab][href='#tab-products']")

    # Typing lists the products: article number, name, thumbnail where there is one, then the model.
    page.fill("#link-key", "lamp")
    options = page.locator("#link-key-list [role=option]")
    options.nth(3).wait_for()
    assert [o.get_attribute("data-key") for o in options.all()] == ["LMP-9", "LMP-2", "LMP-1", "LAMP-M"]
    walnut = page.locator("#link-key-list [data-key='LMP-1']")
    assert "LMP-1" in walnut.inner_text() and "Walnut desk lamp" in walnut.inner_text()
    thumb = walnut.locator("img.picker-thumb")
    assert thumb.get_attribute("src") == its_thumb
    page.wait_for_function("img => img.complete && img.naturalWidth > 0", arg=thumb.element_handle())
    assert page.locator("#link-key-list [data-key='LMP-2'] img").get_attribute("src") == its_thumb
    assert page.locator("#link-key-list [data-key='LMP-9'] img").count() == 0
    assert "all variants of model" in page.locator("#link-key-list [data-key='LAMP-M']").inner_text()
    # The first is highlighted; arrows move (wrapping), Escape closes, ArrowDown opens again.
    assert options.nth(0).get_attribute("aria-selected") == "true"
    page.press("#link-key", "ArrowUp")
    assert options.nth(3).get_attribute("aria-selected") == "true"
    page.press("#link-key", "Escape")
    assert page.locator("#link-key-list").is_hidden()
    page.press("#link-key", "ArrowDown")
    options.nth(0).wait_for()
    page.press("#link-key", "ArrowDown")
    page.press("#link-key", "ArrowDown")
    page.press("#link-key", "Enter")  # LMP-1
    page.wait_for_selector("#link-key-box [data-picked='LMP-1']")
    assert page.locator("#link-key-box [data-picked='LMP-1'] img").get_attribute("src") == its_thumb
    page.fill("#link-key", "oak")
    page.wait_for_selector("#link-key-list [role=option][data-key='LMP-2']")
    page.press("#link-key", "Enter")
    page.fill("#link-key", "lamp-m")
    page.wait_for_selector("#link-key-list [role=option][data-key='LAMP-M']")
    page.locator("#link-key-list [data-key='LAMP-M']").click()
    chips = page.locator("#link-key-box [data-picked]")
    assert [c.get_attribute("data-picked") for c in chips.all()] == ["LMP-1", "LMP-2", "LAMP-M"]

    # Chips come off by keyboard: Tab reaches their remove buttons, Enter removes, the focus stays near.
    page.focus("#link-key")
    page.keyboard.press("Tab")
    assert _focused_label(page) == "Remove LMP-1"
    page.keyboard.press("Tab")
    assert _focused_label(page) == "Remove LMP-2"
    page.keyboard.press("Enter")
    assert _focused_label(page) == "Remove LAMP-M"
    page.keyboard.press("Space")
    assert _focused_label(page) == "Remove LMP-1"
    assert [c.get_attribute("data-picked") for c in chips.all()] == ["LMP-1"]

    # Enter in the empty box submits the form: the chosen product is linked, nothing typed is sent.
    page.focus("#link-key")
    page.keyboard.press("Enter")
    page.wait_for_selector(".alert-success:has-text('Linked to LMP-1.')")
    assert page.locator("#products a[href='/products/LMP-1']").count() == 1

    # At phone width, with the list open, nothing scrolls sideways.
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(f"{live_server.url}/assets/{target}#products")
    page.fill("#link-key", "lamp")
    page.locator("#link-key-list [role=option]").nth(3).wait_for()
    page.press("#link-key", "Enter")
    page.wait_for_selector("#link-key-box [data-picked]")
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    guard.check()


def test_share_link_selection_and_collection_sharing_are_picked_not_typed(
    live_server: LiveServer, page: Any, tmp_path: Path
) -> None:
    rt = live_server.rt
    first = new_asset(rt, tmp_path, 81, title="Harbour sunrise")
    second = new_asset(rt, tmp_path, 82, title="Harbour dusk")
    boss = live_server.make_user("boss@example.com", "manager")
    live_server.make_user("ann.designer@example.com", "editor")
    with rt.db.transaction() as session:
        collection_id = create_collection(session, Viewer(boss, Role.MANAGER), "Harbour picks").id
    guard = PageGuard()
    live_server.login(guard.watch(page), "boss@example.com")

    # The hub admin's share link: the selection is picked from an asset search (title and thumbnail).
    page.goto(f"{live_server.url}/brand-admin/")
    page.select_option("#l-kind", "selection")
    page.fill("#l-ids", "harbour")
    options = page.locator("#l-ids-list [role=option]")
    options.nth(1).wait_for()
    assert {o.get_attribute("data-key") for o in options.all()} == {str(first), str(second)}
    sunrise = page.locator(f"#l-ids-list [data-key='{first}']")
    assert "Harbour sunrise" in sunrise.inner_text()
    assert sunrise.locator("img").get_attribute("src") == f"/a/{first}/thumb"
    page.press("#l-ids", "Enter")
    page.fill("#l-ids", "harbour")
    options.nth(1).wait_for()
    page.press("#l-ids", "ArrowDown")
    page.press("#l-ids", "Enter")
    picked = page.locator("#l-ids-box [data-picked]")
    assert sorted(int(str(c.get_attribute("data-picked"))) for c in picked.all()) == sorted([first, second])
    page.fill("#l-title", "Harbour pair")
    page.click("form[action$='/brand-admin/links'] button[type=submit]")
    page.wait_for_selector("#share-url")
    with rt.db.session() as session:
        link = session.scalars(select(ShareLink).where(ShareLink.title == "Harbour pair")).one()
        assert sorted(link.target.get("asset_ids", [])) == sorted([first, second])

    # Sharing a collection: the person is picked by name or address, then shared with.
    page.goto(f"{live_server.url}/collections/{collection_id}")
    page.fill("#share-email", "designer")
    page.wait_for_selector("#share-email-list [role=option][data-key='ann.designer@example.com']")
    page.press("#share-email", "Enter")
    page.wait_for_selector("#share-email-box [data-picked='ann.designer@example.com']")
    page.locator("#share-email-box").locator("xpath=ancestor::form").locator("button[type=submit]").click()
    page.wait_for_selector("[data-share]:has-text('ann.designer@example.com')")

    # At phone width, with a picker's list open, these pages do not scroll sideways either.
    page.set_viewport_size({"width": 390, "height": 844})
    for path, box, text in (
        (f"/collections/{collection_id}", "#share-email", "designer"),
        ("/packages", "#pick-products", "harbour"),
        ("/review", "#f-product", "harbour"),
    ):
        page.goto(f"{live_server.url}{path}")
        page.fill(box, text)
        page.wait_for_selector(f"{box}-list:not([hidden])")
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= 390, f"{path}: {width} px wide at 390 px"
    guard.check()
