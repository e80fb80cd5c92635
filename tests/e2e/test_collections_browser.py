"""Browser test: a partner builds a collection from search results (selection bar, "Add selected to
collection", a new collection named in the picker, keyboard only) and downloads it as a package: the ZIP
arrives and holds the expected files, and nothing the partner may not see. The collection page also fits
a 390 px phone. Fails on any 5xx, console error or CSP violation (as the CSP walk does)."""

from __future__ import annotations

import csv
import io
import re
import zipfile
from pathlib import Path
from typing import Any

from tests.brand_helpers import ingest, release
from tests.e2e.conftest import LiveServer
from tests.helpers import ZOO

GOOD = ZOO / "good"


def _guard(page: Any, problems: list[str]) -> None:
    page.on(
        "console",
        lambda msg: problems.append(f"console {msg.type}: {msg.text}") if msg.type == "error" else None,
    )
    page.on("pageerror", lambda exc: problems.append(f"page error: {exc}"))
    page.on("response", lambda r: problems.append(f"{r.status} from {r.url}") if r.status >= 500 else None)


def test_partner_builds_a_collection_from_search_and_downloads_it_as_a_package(
    live_server: LiveServer, page: Any, browser: Any, tmp_path: Path
) -> None:
    rt = live_server.rt
    portrait = ingest(rt, GOOD / "hopper.jpg", title="Hopper portrait")
    mask = ingest(rt, GOOD / "hopper_mask.png", title="Hopper mask")
    secret = ingest(rt, GOOD / "hopper.bmp", title="Hopper secret")
    release(rt, portrait, mask, visibility="partner")
    release(rt, secret, visibility="internal")
    live_server.make_user("partner@example.com", "partner")
    problems: list[str] = []
    _guard(page, problems)
    live_server.login(page, "partner@example.com")

    # Search, select both hits (keyboard: Space on a checkbox, "x" on a focused tile).
    page.goto(f"{live_server.url}/search?q=hopper")
    assert page.locator("[data-select-tile]").count() == 2  # the internal one is not even a hit
    add = page.locator("#collect-selection-add")
    assert add.inner_text() == "Add selected to collection" and add.is_disabled()
    page.locator(f"#sel-{portrait}").focus()
    page.keyboard.press("Space")
    page.locator(f"#sel-{mask}").check()
    assert page.inner_text("#selection-count") == "2 assets selected"
    # The picker: no collections yet, so "New collection…" is chosen and its name field shows.
    choice = page.locator("#collect-selection-choice")
    assert choice.input_value() == "new"
    name = page.locator("#collect-selection-new")
    assert name.is_visible()
    name.fill("Spring launch")
    name.press("Enter")  # presses the picker's own button, not another of the form
    page.wait_for_selector(".alert-success")
    assert "Added 2 of 2 assets to “Spring launch”" in page.inner_text(".alert-success")
    assert "/search" in page.url

    # The navigation lists it under "My collections"; its page shows both thumbnails.
    page.click("nav >> text=Collections")
    page.wait_for_url(re.compile(r"/collections/$"))
    page.click("text=Spring launch")
    page.wait_for_selector("[data-item]")
    shown = page.locator("[data-item]").evaluate_all("els => els.map(e => Number(e.dataset.item))")
    assert sorted(shown) == sorted([portrait, mask])
    assert page.locator("[data-item] img.tile-img").count() == 2

    # Download as package: the package page builds it, then the ZIP arrives.
    page.select_option("#package-preset", "web")
    page.click("#download-package")
    page.wait_for_url(re.compile(r"/packages/\d+$"))
    link = page.locator("a:has-text('Download ZIP')")
    link.wait_for()
    with page.expect_download() as info:
        link.click()
    path = info.value.path()
    with zipfile.ZipFile(path) as archive:
        names = archive.namelist()
        rows = list(csv.DictReader(io.StringIO(archive.read("manifest.csv").decode())))
    assert sorted(int(r["asset_id"]) for r in rows) == sorted([portrait, mask])
    assert len(names) == 3 and sorted(r["path"] for r in rows) == sorted(
        n for n in names if n != "manifest.csv"
    )
    assert all(n.endswith((".jpg", ".csv")) for n in names), names  # web renditions are JPEG

    # The collection page fits a 390 px phone: no sideways scrolling, actions reachable.
    phone = browser.new_context(
        viewport={"width": 390, "height": 844}, storage_state=page.context.storage_state()
    )
    try:
        small = phone.new_page()
        _guard(small, problems)
        small.goto(f"{live_server.url}/collections/")
        small.click("text=Spring launch")
        small.wait_for_selector("#download-package")
        width = small.evaluate("document.documentElement.scrollWidth")
        assert width <= 390, width
        assert small.locator("#download-package").is_visible()
        # The pickers fit too: on the asset page and in the search's selection bar.
        for path, button in (
            (f"/assets/{portrait}", "#asset-collect-add"),
            ("/search?q=hopper", "#collect-selection-add"),
        ):
            small.goto(f"{live_server.url}{path}")
            small.locator(button).wait_for()
            width = small.evaluate("document.documentElement.scrollWidth")
            assert width <= 390, (path, width)
    finally:
        phone.close()
    assert not problems, "\n".join(problems)
