"""Browser tests: an editor uploads 10 files (and a corrupt one) with batch metadata and submits all; the
manager's review queue shows them as a grid of equal previews, moves with the arrow keys and approves with
"a" after confirming; the review grid and the asset page fit 390 px without sideways scrolling."""

from __future__ import annotations

import re
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

from sqlalchemy import select

from models import Asset, Product, Role
from portal.services.catalog import custom_fields
from portal.services.governance.policy import Viewer
from tests.e2e.conftest import LiveServer
from tests.e2e.page_guard import PageGuard
from tests.gov_helpers import png

BAD = Path(__file__).parent.parent / "fixtures" / "format-zoo" / "bad" / "cross_scan_line_truncated.tga"


def _files(folder: Path) -> list[str]:
    """Ten good images of different sizes (one tall, one wide) and a corrupt one."""
    sizes = [(64, 48), (40, 400), (900, 60)] + [(80, 60)] * 7
    paths = [
        str(png(folder, seed, name=f"spring_{seed:02d}.png", size=size)) for seed, size in enumerate(sizes, 1)
    ]
    broken = folder / "broken.tga"
    shutil.copy(BAD, broken)
    return [*paths, str(broken)]


def _no_sideways_scroll(page: Any, url: str) -> None:
    page.goto(url)
    page.wait_for_load_state("networkidle")
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390, f"{url}: {width} px wide at 390 px"


def test_editor_uploads_a_batch_with_metadata_and_submits_all_manager_reviews_the_grid(
    live_server: LiveServer, page: Any, new_page: Callable[[], Any], browser: Any, tmp_path: Path
) -> None:
    guard = PageGuard(allow=[re.compile(r"status of 4(15|22)\b.*@ .*/upload/batch/(file|check)")])
    with live_server.rt.db.transaction() as session:
        session.add(
            Product(article_number="404.038.96", name="Walnut desk lamp", model_code="LAMP", attributes={})
        )
        # A custom field "submit for review" needs: the batch form asks for it and applies it to every file.
        season = {"key": "season", "type": "select", "labels": {"en": "Season"}, "required": True,
                  "options": [{"value": "spring"}, {"value": "winter"}]}  # fmt: skip
        custom_fields.create_field(session, Viewer(None, Role.ADMIN), season)
    live_server.make_user("ed@example.com", "editor")
    live_server.make_user("boss@example.com", "manager")

    live_server.login(guard.watch(page), "ed@example.com")
    page.goto(f"{live_server.url}/upload")
    page.set_input_files("#file-input", _files(tmp_path))
    assert page.locator(".upload-item.is-staged").count() == 11
    # The server checks the batch values before any file goes: its message is shown, nothing is sent.
    page.fill("#batch-title", "{article} {n}")
    page.click("[data-batch-start]")
    error = page.locator("#batch-error")
    error.wait_for()
    assert "unknown placeholder {article}" in error.inner_text()
    assert page.locator(".upload-item.is-staged").count() == 11
    page.fill("#batch-title", "Spring campaign {n:02}")
    # The title fields show what the pattern makes of each file.
    assert page.locator("[data-file-title]").first.get_attribute("placeholder") == "Spring campaign 01"
    page.fill("#batch-tags", "spring, campaign")
    # The shared product picker: a click picks; a typed text that was never picked is not sent.
    page.fill("#picker-product", "404.038")
    option = page.locator("#picker-product-list [role=option][data-key='404.038.96']")
    option.wait_for()
    assert "Walnut desk lamp" in option.inner_text()
    option.click()
    assert page.locator("[data-picked='404.038.96']").count() == 1
    page.fill("#picker-product", "no such lamp")
    page.fill("#batch-rights", "Own shoot, all channels")
    page.fill("#batch-expire", "2031-06-30")
    page.check("#batch-submit")

    # Visibility is required to submit: the form asks for it and nothing is sent.
    page.click("[data-batch-start]")
    assert page.locator("#batch-visibility:invalid").count() == 1
    assert page.locator("#batch-cf-season:invalid").count() == 1
    assert page.locator(".upload-item.is-sending, .upload-item.is-created").count() == 0
    page.select_option("#batch-visibility", "partner")
    page.select_option("#batch-cf-season", "spring")
    page.locator("[data-file-title]").first.fill("Hero shot")
    page.locator("[data-file-tags]").first.fill("hero")
    page.click("[data-batch-start]")
    error.wait_for(state="hidden")

    # Every file reports on its own: ten submitted, the corrupt one refused with the reason.
    page.locator(".upload-item.is-created, .upload-item.is-failed").nth(10).wait_for()
    assert page.locator(".upload-item.is-created").count() == 10
    failed = page.locator(".upload-item.is-failed")
    assert failed.count() == 1 and "broken.tga" in failed.inner_text()
    assert "10 submitted for review" in page.locator("#upload-summary").inner_text()
    assert page.locator(".upload-item.is-created .upload-progress[aria-valuenow='100']").count() == 10

    with live_server.rt.db.session() as session:
        assets = session.scalars(select(Asset).order_by(Asset.id)).all()
        assert len(assets) == 10
        titles = sorted(a.title for a in assets)
        assert titles[0] == "Hero shot" and titles[1:] == [f"Spring campaign {n:02}" for n in range(2, 11)]
        for asset in assets:
            facts = (asset.status, asset.visibility, asset.rights_note)
            assert facts == ("in_review", "partner", "Own shoot, all channels")
            assert asset.custom_fields == {"season": "spring"}
            assert [link.key for link in asset.links] == ["404.038.96"]
            assert {"spring", "campaign"} <= {t.tag for t in asset.tags}
        ids = [a.id for a in assets]
    guard.check()

    # The manager's queue: a grid of ten equal previews, the first selected with its details beside it.
    manager = guard.watch(new_page())
    live_server.login(manager, "boss@example.com")
    manager.goto(f"{live_server.url}/review")
    tiles = manager.locator("[data-review-item]")
    assert tiles.count() == 10
    assert sorted(int(t.get_attribute("data-asset-id")) for t in tiles.all()) == ids
    boxes = [t.locator(".review-thumb").bounding_box() for t in tiles.all()]
    assert len({(round(b["width"]), round(b["height"])) for b in boxes}) == 1  # equal, whatever the image
    assert round(boxes[0]["width"]) == round(boxes[0]["height"]) and boxes[0]["width"] < 260
    first, second = (t.get_attribute("data-asset-id") for t in tiles.all()[:2])
    assert manager.locator(f"[data-review-detail='{first}']").is_visible()
    assert manager.locator("[data-review-detail]:visible").count() == 1

    # Arrow right selects the next one; "a" asks first (Escape keeps it), then Enter approves.
    manager.keyboard.press("ArrowRight")
    manager.wait_for_selector(f"[data-review-item][data-asset-id='{second}'].is-current")
    assert manager.locator(f"[data-review-detail='{second}']").is_visible()
    manager.keyboard.press("a")
    dialog = manager.locator("#review-confirm")
    dialog.wait_for(state="visible")
    manager.keyboard.press("Escape")
    dialog.wait_for(state="hidden")
    manager.keyboard.press("a")
    dialog.wait_for(state="visible")
    manager.keyboard.press("Enter")
    manager.wait_for_selector(".alert-success:has-text('approved')")
    assert manager.locator("[data-review-item]").count() == 9
    with live_server.rt.db.session() as session:
        assert session.get(Asset, int(second or 0)).status == "approved"  # type: ignore[union-attr]

    # Enter opens the selected asset's page.
    manager.locator("[data-review-show]").first.focus()
    manager.keyboard.press("Enter")
    manager.wait_for_url(re.compile(r"/assets/\d+$"))
    guard.check()

    # At 390 px: the review grid and the asset page fit without sideways scrolling.
    phone = browser.new_context(viewport={"width": 390, "height": 844})
    try:
        small = guard.watch(phone.new_page())
        live_server.login(small, "boss@example.com")
        _no_sideways_scroll(small, f"{live_server.url}/review")
        assert small.locator("[data-review-item]").count() == 9
        _no_sideways_scroll(small, f"{live_server.url}/assets/{ids[0]}")
        small.click("a[data-tab][href='#tab-audit']")
        assert small.locator("#tab-audit").is_visible() and not small.locator("#tab-details").is_visible()
        width = small.evaluate("document.documentElement.scrollWidth")
        assert width <= 390
        _no_sideways_scroll(small, f"{live_server.url}/assets?view=list")
        _no_sideways_scroll(small, f"{live_server.url}/upload")
    finally:
        phone.close()
    guard.check()
