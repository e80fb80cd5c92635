"""Screenshots of the public brand hub for the README: ``python docs/screenshots.py``.

Builds a throw-away instance with the demo catalogue (products and images), makes every demo asset
approved and public, gives the hub a name, colour, intro and a few sections, serves it on a free local
port and photographs the home page and a search page with headless Debian Chromium (Playwright's sync
API; ``playwright install`` is never needed). Writes ``docs/brand-hub-home.png`` and
``docs/brand-hub-search.png``.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import threading
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from werkzeug.serving import make_server  # noqa: E402

from portal.app import create_app  # noqa: E402
from portal.runtime import Runtime  # noqa: E402
from portal.services.catalog.ingest import collect_files, ingest_paths  # noqa: E402
from portal.services.catalog.products import import_products  # noqa: E402
from portal.services.demo import release_demo  # noqa: E402
from portal.settings import Settings  # noqa: E402

DEMO = ROOT / "portal" / "demo" / "catalog"
CHROMIUM = "/usr/bin/chromium"


def prepare(rt: Runtime) -> None:
    """Demo products and images, all released to the public, and the hub's look and sections."""
    rt.db.upgrade()
    import_products(rt.db, DEMO / "products.csv")
    ingest_paths(rt, collect_files([DEMO / "images"]))
    rt.queue.join()
    with rt.db.transaction() as session:
        release_demo(session, None, [p.name for p in (DEMO / "images").iterdir()])
    rt.queue.join()


def shoot(url: str, out: Path) -> list[Path]:
    """Photograph the home page and a search page."""
    from playwright.sync_api import sync_playwright

    shots = [
        ("brand-hub-home.png", "/brand"),
        ("brand-hub-search.png", "/brand/search?q=shirt&f.category=T-shirts"),
    ]
    written = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM,
            headless=True,
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking"],
        )
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        for name, path in shots:
            page.goto(url + path)
            page.wait_for_load_state("networkidle")
            target = out / name
            page.screenshot(path=str(target), full_page=False)
            written.append(target)
        browser.close()
    return written


def main() -> None:
    """Build the demo hub, serve it, take the screenshots."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=ROOT / "docs")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="assetport-shots-") as tmp:
        settings = Settings(
            instance_dir=Path(tmp), secret_key="screenshots-only", jobs_eager=True, search_sync_linger=0.0,
            public_rate_pages=0, public_rate_media=0, vision_model="off",
        )  # fmt: skip
        app = create_app(settings, start_workers=False)
        rt: Runtime = app.extensions["assetport"]
        prepare(rt)
        server = make_server("127.0.0.1", 0, app, threaded=True)
        thread = threading.Thread(target=server.serve_forever, daemon=True)
        thread.start()
        try:
            for path in shoot(f"http://127.0.0.1:{server.server_port}", args.out):
                print(f"wrote {path.relative_to(ROOT) if path.is_relative_to(ROOT) else path}")
        finally:
            server.shutdown()
            rt.close()


if __name__ == "__main__":
    main()
