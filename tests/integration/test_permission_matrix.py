"""Every role x every asset state, visibility and expiry x every endpoint that returns asset data or bytes.

The expected answer per cell comes from a rule written out here (not from the policy module): staff see
everything; partners see released (approved, or in review with an approved version out) partner/public
assets whose rights have not expired; anonymous visitors only such public assets, and only their files;
a revoked token sees nothing on the API and is an anonymous visitor on public file routes. Hidden
assets answer 404, never 403, so guessing ids reveals nothing.

Endpoints added by other features are appended to ``ASSET_CASES`` / ``LISTING_CASES``.
"""

from __future__ import annotations

import csv
import io
import re
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from models import ApiToken, Asset, LinkSource
from models.base import utcnow
from portal.runtime import Runtime
from portal.services.catalog import linking
from portal.services.catalog.products import upsert_product
from tests.gov_helpers import new_asset, set_state, user_with_token

ROLES = ("admin", "manager", "editor", "partner", "anonymous", "revoked")
STAFF = ("admin", "manager", "editor")
# (status, had an approved version) x visibility x expiry ("past", "future", None)
STATES = [
    ("draft", False),
    ("in_review", False),
    ("in_review", True),  # a newer version in review: the approved one stays out
    ("approved", True),
    ("rejected", False),
    ("archived", True),
]
VISIBILITIES = ("internal", "partner", "public")


@dataclass(frozen=True)
class Cell:
    """One asset of the matrix."""

    asset_id: int
    status: str
    released_before: bool
    visibility: str
    expiry: str | None


def expected_visible(role: str, cell: Cell) -> bool:
    """The rule, written out independently of ``portal.services.governance.policy``."""
    if role in STAFF:
        return True
    if role == "revoked":
        return False
    released = cell.status == "approved" or (cell.status == "in_review" and cell.released_before)
    if not released or cell.expiry == "past":
        return False
    return cell.visibility in (("partner", "public") if role == "partner" else ("public",))


@dataclass(frozen=True)
class AssetCase:
    """An endpoint about one asset: how to call it, and whether anonymous visitors may ever get it."""

    name: str
    call: Callable[[FlaskClient, int, dict[str, str]], Any]
    anonymous_ok: bool = False
    # Allowed answers besides 200 (e.g. a similar-search without embeddings answers 409 or 503).
    also_ok: tuple[int, ...] = ()


def _get(path: str) -> Callable[[FlaskClient, int, dict[str, str]], Any]:
    return lambda client, asset_id, headers: client.get(path.format(id=asset_id), headers=headers)


ASSET_CASES: list[AssetCase] = [
    AssetCase("asset page", _get("/assets/{id}")),
    AssetCase("api asset", _get("/api/v1/assets/{id}")),
    # The hub offers the public only its public presets (web and print by default): no original.
    AssetCase("file original", _get("/a/{id}/original")),
    AssetCase("file thumb", _get("/a/{id}/thumb"), anonymous_ok=True),
    AssetCase("file preview", _get("/a/{id}/preview"), anonymous_ok=True),
    AssetCase("rendition web", _get("/a/{id}/web"), anonymous_ok=True),
    AssetCase("pinned version 1", _get("/a/{id}/v/1/thumb"), anonymous_ok=True),
    AssetCase("similar", _get("/api/v1/assets/{id}/similar"), also_ok=(409, 422, 503)),
    AssetCase("api asset links", _get("/api/v1/assets/{id}/links")),
]


def _ids_in_html(html: str) -> set[int]:
    return {int(m) for m in re.findall(r'href="/assets/(\d+)"', html)}


def _api_list(client: FlaskClient, headers: dict[str, str]) -> tuple[int, set[int]]:
    resp = client.get("/api/v1/assets?size=200", headers=headers)
    return resp.status_code, {i["id"] for i in resp.get_json()["items"]} if resp.status_code == 200 else set()


def _api_search(client: FlaskClient, headers: dict[str, str]) -> tuple[int, set[int]]:
    resp = client.get("/api/v1/search?size=200", headers=headers)
    if resp.status_code != 200:
        return resp.status_code, set()
    body = resp.get_json()
    ids = {h["id"] for h in body["hits"]}
    # Facet counts leak nothing either: every asset has one file type, so they add up to the total.
    assert sum(v["count"] for v in body["facets"]["file_type"]) == body["total"] == len(ids)
    return 200, ids


def _web(path: str) -> Callable[[FlaskClient, dict[str, str]], tuple[int, set[int]]]:
    def call(client: FlaskClient, headers: dict[str, str]) -> tuple[int, set[int]]:
        resp = client.get(path, headers=headers)
        return resp.status_code, _ids_in_html(
            resp.get_data(as_text=True)
        ) if resp.status_code == 200 else set()

    return call


LISTING_CASES: dict[str, Callable[[FlaskClient, dict[str, str]], tuple[int, set[int]]]] = {
    "api list": _api_list,
    "api search": _api_search,
    "web search": _web("/search?size=200"),
    "web asset grid": _web("/assets?size=200"),
}


def article_number(asset_id: int) -> str:
    """The one product each matrix asset shows (packages are asked for it by this number)."""
    return f"MX-{asset_id}"


def _link_article(rt: Runtime, asset_id: int, number: str) -> None:
    with rt.db.transaction() as session:
        upsert_product(session, {"article_number": number, "name": f"Product {number}"})
        asset = session.get(Asset, asset_id)
        assert asset is not None
        linking.add_link(session, asset, number, LinkSource.MANUAL)


@pytest.fixture
def matrix(app: Flask, tmp_path: Path) -> tuple[list[Cell], dict[str, dict[str, str]]]:
    """One asset per (state, visibility), plus approved assets with past and future expiry; a user with
    a token per role, and a revoked token."""
    rt: Runtime = app.extensions["assetport"]
    now = utcnow()
    cells: list[Cell] = []
    seed = 100
    combos: list[tuple[str, bool, str, str | None]] = [
        (s, r, v, None) for s, r in STATES for v in VISIBILITIES
    ]
    combos += [("approved", True, v, e) for v in ("partner", "public") for e in ("past", "future")]
    combos += [("in_review", True, "public", "past")]
    for status, released, visibility, expiry in combos:
        seed += 1
        asset_id = new_asset(rt, tmp_path, seed, title=f"matrix asset {seed}")
        moment = (
            None
            if expiry is None
            else now + (timedelta(hours=1) if expiry == "future" else -timedelta(seconds=5))
        )
        set_state(rt, asset_id, status, visibility, moment, approved=released)
        _link_article(rt, asset_id, article_number(asset_id))
        cells.append(Cell(asset_id, status, released, visibility, expiry))
    # The state changes above went through the outbox-free helper: bring the index up to date.
    rt.queue.enqueue("search.rebuild")
    headers: dict[str, dict[str, str]] = {"anonymous": {}}
    for role in ("admin", "manager", "editor", "partner"):
        headers[role] = user_with_token(app, role)[1]
    revoked_user, headers["revoked"] = user_with_token(app, "partner")
    with rt.db.transaction() as session:
        for token in session.scalars(select(ApiToken).where(ApiToken.user_id == revoked_user)):
            token.revoked_at = now
    return cells, headers


def test_every_role_on_every_asset_endpoint(
    app: Flask, matrix: tuple[list[Cell], dict[str, dict[str, str]]]
) -> None:
    cells, headers = matrix
    client = app.test_client(use_cookies=False)
    failures: list[str] = []
    for role in ROLES:
        for case in ASSET_CASES:
            for cell in cells:
                # A revoked token is a 401 on the API and an anonymous visitor where visitors may go.
                who = "anonymous" if role == "revoked" and case.anonymous_ok else role
                allowed = expected_visible(who, cell) and (who != "anonymous" or case.anonymous_ok)
                status = case.call(client, cell.asset_id, headers[role]).status_code
                ok = status in (200, *case.also_ok) if allowed else status in (401, 302, 404)
                if not ok:
                    failures.append(f"{role} {case.name} {cell}: {status} (allowed={allowed})")
    assert not failures, "\n".join(failures[:40])


def test_every_role_on_every_listing(
    app: Flask, matrix: tuple[list[Cell], dict[str, dict[str, str]]]
) -> None:
    cells, headers = matrix
    client = app.test_client(use_cookies=False)
    failures: list[str] = []
    for role in ROLES:
        expected = {c.asset_id for c in cells if expected_visible(role, c)}
        for name, call in LISTING_CASES.items():
            status, ids = call(client, headers[role])
            if role in ("anonymous", "revoked"):
                if status not in (401, 302):
                    failures.append(f"{role} {name}: {status}")
            elif status != 200 or ids != expected:
                failures.append(f"{role} {name}: {status}, extra {ids - expected}, missing {expected - ids}")
    assert not failures, "\n".join(failures)


def expected_patch(role: str, cell: Cell) -> int:
    """PATCH /api/v1/assets/<id>: staff edit; an archived asset is frozen for editors (managers restore
    it); partners get 403 on what they see and 404 on what they do not; a revoked token is 401, and no
    credentials at all is refused by the CSRF check first (400)."""
    if role == "anonymous":
        return 400
    if role == "revoked":
        return 401
    if role in ("admin", "manager"):
        return 200
    if role == "editor":
        return 403 if cell.status == "archived" else 200
    return 403 if expected_visible(role, cell) else 404


def test_every_role_on_the_asset_patch(
    app: Flask, matrix: tuple[list[Cell], dict[str, dict[str, str]]]
) -> None:
    cells, headers = matrix
    client = app.test_client(use_cookies=False)
    failures: list[str] = []
    for role in ROLES:
        for cell in cells:
            for body in ({}, {"visibility": cell.visibility}):
                url = f"/api/v1/assets/{cell.asset_id}"
                status = client.patch(url, json=body, headers=headers[role]).status_code
                if status != expected_patch(role, cell):
                    failures.append(
                        f"{role} PATCH {body} {cell}: {status}, expected {expected_patch(role, cell)}"
                    )
    assert not failures, "\n".join(failures[:40])


# The API resources beyond assets: (method, path, body) and the status per role. Reads need a login;
# writes are refused by the CSRF check (400) before anything else when there are no credentials at all.
RESOURCE_CASES: list[tuple[str, str, dict[str, Any] | None, dict[str, int]]] = [
    ("GET", "/api/v1/products", None, {"admin": 200, "manager": 200, "editor": 200, "partner": 200}),
    ("GET", "/api/v1/webhooks", None, {"admin": 200, "manager": 403, "editor": 403, "partner": 403}),
    ("GET", "/api/v1/users", None, {"admin": 200, "manager": 403, "editor": 403, "partner": 403}),
    ("GET", "/api/v1/audit", None, {"admin": 200, "manager": 200, "editor": 403, "partner": 403}),
    ("GET", "/api/v1/audit.csv", None, {"admin": 200, "manager": 200, "editor": 403, "partner": 403}),
    ("GET", "/api/v1/collections", None, {"admin": 200, "manager": 200, "editor": 200, "partner": 200}),
    ("GET", "/api/v1/share-links", None, {"admin": 200, "manager": 200, "editor": 403, "partner": 403}),
    ("GET", "/api/v1/saved-searches", None, {"admin": 200, "manager": 200, "editor": 200, "partner": 200}),
    ("GET", "/api/v1/presets", None, {"admin": 200, "manager": 200, "editor": 200, "partner": 200}),
    ("GET", "/api/v1/brand/settings", None, {"admin": 200, "manager": 200, "editor": 200, "partner": 200}),
    ("GET", "/api/v1/brand/sections", None, {"admin": 200, "manager": 200, "editor": 200, "partner": 200}),
    (
        "PUT", "/api/v1/presets/x-{role}", {"format": "PNG"},
        {"admin": 200, "manager": 200, "editor": 403, "partner": 403},
    ),
    (
        "PUT", "/api/v1/brand/settings", {"name": "B", "colour": "#112233"},
        {"admin": 200, "manager": 403, "editor": 403, "partner": 403},
    ),
    (
        "POST", "/api/v1/brand/sections", {"title": "S {role}", "kind": "saved_search"},
        {"admin": 201, "manager": 201, "editor": 403, "partner": 403},
    ),
    (
        "POST", "/api/v1/collections", {"name": "C {role}"},
        {"admin": 201, "manager": 201, "editor": 201, "partner": 201},
    ),
    (
        "POST", "/api/v1/bulk", {"ids": [1], "changes": {"add_tags": ["x"]}, "dry_run": True},
        {"admin": 200, "manager": 200, "editor": 200, "partner": 403},
    ),
]  # fmt: skip


def test_every_role_on_the_new_api_resources(
    app: Flask, matrix: tuple[list[Cell], dict[str, dict[str, str]]]
) -> None:
    """Every resource x every role, and asset links of a released asset partners see: managers write them;
    editors may not (issue 13: a released, shared asset's links change only through a manager)."""
    cells, headers = matrix
    client = app.test_client(use_cookies=False)
    failures: list[str] = []
    for method, path, body, by_role in RESOURCE_CASES:
        for role in ROLES:
            url = path.format(role=role)
            data = (
                None
                if body is None
                else {k: v.format(role=role) if isinstance(v, str) else v for k, v in body.items()}
            )
            status = client.open(url, method=method, json=data, headers=headers[role]).status_code
            expected = by_role.get(role, 401 if method == "GET" or role == "revoked" else 400)
            if status != expected:
                failures.append(f"{role} {method} {url}: {status}, expected {expected}")
    visible = next(c for c in cells if expected_visible("partner", c) and c.status == "approved")
    links = f"/api/v1/assets/{visible.asset_id}/links"
    for role, expected in {
        "admin": 201,
        "manager": 201,
        "editor": 403,
        "partner": 403,
        "revoked": 401,
    }.items():
        status = client.post(
            links, json={"key": article_number(visible.asset_id)}, headers=headers[role]
        ).status_code
        if status != expected:
            failures.append(f"{role} POST {links}: {status}, expected {expected}")
    assert not failures, "\n".join(failures)


def test_guessed_ids_never_answer_403(
    app: Flask, matrix: tuple[list[Cell], dict[str, dict[str, str]]]
) -> None:
    cells, headers = matrix
    client = app.test_client(use_cookies=False)
    hidden = [c for c in cells if not expected_visible("partner", c)]
    unknown = max(c.asset_id for c in cells) + 1000
    for case in ASSET_CASES:
        answers = {case.call(client, c.asset_id, headers["partner"]).status_code for c in hidden}
        answers.add(case.call(client, unknown, headers["partner"]).status_code)
        assert answers == {404}, (case.name, answers)


# --- packages: the report, the ZIP and the link table deliver exactly what each role may download --------

PACKAGE_ROLES = ("admin", "manager", "editor", "partner")


def expected_in_package(role: str, cell: Cell) -> bool:
    """Packages deliver only released, in-rights assets, and of those only what the creator may see."""
    if role not in PACKAGE_ROLES:
        return False
    released = cell.status == "approved" or (cell.status == "in_review" and cell.released_before)
    if not released or cell.expiry == "past":
        return False
    return role in STAFF or cell.visibility in ("partner", "public")


def _package_job(client: FlaskClient, headers: dict[str, str], body: dict[str, Any]) -> dict[str, Any]:
    body = {"presets": ["thumb"], "kind": "zip", **body}
    resp = client.post("/api/v1/packages", json=body, headers=headers)
    assert resp.status_code == 202, resp.get_json()
    job = client.get(f"/api/v1/jobs/{resp.get_json()['job']['id']}", headers=headers).get_json()
    assert job["status"] == "done", job
    return job


def _zip_asset_ids(client: FlaskClient, job: dict[str, Any]) -> set[int]:
    download = client.get(job["download_url"])  # the signed link is the key: no login needed
    assert download.status_code == 200
    with zipfile.ZipFile(io.BytesIO(download.data)) as archive:
        rows = list(csv.DictReader(io.StringIO(archive.read("manifest.csv").decode())))
        assert len(archive.namelist()) == len(rows) + 1
    return {int(r["asset_id"]) for r in rows}


def _link_urls(client: FlaskClient, headers: dict[str, str], job: dict[str, Any]) -> dict[str, str]:
    """article number -> signed file URL, from the package's CSV link table."""
    table = client.get(job["links_csv_url"], headers=headers)
    assert table.status_code == 200
    rows = csv.DictReader(io.StringIO(table.get_data(as_text=True).lstrip("\ufeff")))
    return {r["article_number"]: r["url"] for r in rows}


def test_packages_from_a_list_deliver_only_what_each_role_may_download(
    app: Flask, matrix: tuple[list[Cell], dict[str, dict[str, str]]]
) -> None:
    cells, headers = matrix
    rt: Runtime = app.extensions["assetport"]
    with rt.db.transaction() as session:  # a product without assets: what "nothing for you" looks like
        upsert_product(session, {"article_number": "MX-EMPTY", "name": "No assets"})
    client = app.test_client(use_cookies=False)
    articles = [article_number(c.asset_id) for c in cells] + ["MX-EMPTY"]
    for role in ("anonymous", "revoked"):
        resp = client.post("/api/v1/packages", json={"articles": articles}, headers=headers[role])
        assert resp.status_code in (400, 401), role  # 400: no CSRF token, as for any anonymous POST
    failures: list[str] = []
    jobs: dict[str, dict[str, Any]] = {}
    for role in PACKAGE_ROLES:
        jobs[role] = job = _package_job(client, headers[role], {"articles": articles})
        lines = {line["input"]: line for line in job["report"]}
        empty = lines["MX-EMPTY"]
        expected = {c.asset_id for c in cells if expected_in_package(role, c)}
        for cell in cells:
            line = lines[article_number(cell.asset_id)]
            allowed = expected_in_package(role, cell)
            if (line["status"] == "found") != allowed or line["files"] != int(allowed):
                failures.append(f"{role} list {cell}: {line['status']} files={line['files']}")
            hidden = role == "partner" and cell.visibility == "internal"
            if hidden and (line["status"], line["message"]) != (empty["status"], empty["message"]):
                failures.append(f"{role} list reveals a hidden asset {cell}: {line}")
        if (got := _zip_asset_ids(client, job)) != expected:
            failures.append(f"{role} zip: extra {got - expected}, missing {expected - got}")
        urls = _link_urls(client, headers[role], job)
        if set(urls) != {article_number(i) for i in expected}:
            failures.append(f"{role} link table: {sorted(urls)}")
        denied = [u for u in urls.values() if client.get(u).status_code != 200]
        if denied:
            failures.append(f"{role} link table downloads refused: {denied[:3]}")
    assert not failures, "\n".join(failures[:40])

    # Packages, their link tables and links belong to their creator; guessed or forged ones answer 404.
    admin_job = jobs["admin"]
    assert client.get(f"/api/v1/jobs/{admin_job['id']}", headers=headers["partner"]).status_code == 404
    assert client.get(admin_job["links_csv_url"], headers=headers["partner"]).status_code == 404
    assert client.get(admin_job["download_url"] + "x").status_code == 404
    # A file link re-checks the asset when opened: one withdrawn since the table was made is gone.
    partner_urls = _link_urls(client, headers["partner"], jobs["partner"])
    withdrawn = next(c for c in cells if expected_in_package("partner", c))
    set_state(rt, withdrawn.asset_id, "draft", withdrawn.visibility, None, approved=False)
    assert client.get(partner_urls[article_number(withdrawn.asset_id)]).status_code == 404


def test_packages_from_a_selection_never_reveal_guessed_ids(
    app: Flask, matrix: tuple[list[Cell], dict[str, dict[str, str]]]
) -> None:
    cells, headers = matrix
    client = app.test_client(use_cookies=False)
    unknown = max(c.asset_id for c in cells) + 1000
    ids = [c.asset_id for c in cells] + [unknown]
    failures: list[str] = []
    for role in ("editor", "partner"):
        job = _package_job(client, headers[role], {"asset_ids": ids})
        lines = {line["input"]: line for line in job["report"]}
        nothing = lines[f"asset {unknown}"]
        for cell in cells:
            line = lines[f"asset {cell.asset_id}"]
            allowed = expected_in_package(role, cell)
            if (line["status"] == "found") != allowed:
                failures.append(f"{role} selection {cell}: {line['status']}")
            blind = not expected_visible(role, cell)
            same = (line["status"], line["message"], line["article_number"]) == (
                nothing["status"], nothing["message"], nothing["article_number"],
            )  # fmt: skip
            if blind and not same:
                failures.append(f"{role} selection reveals a hidden asset {cell}: {line}")
        expected = {c.asset_id for c in cells if expected_in_package(role, c)}
        if (got := _zip_asset_ids(client, job)) != expected:
            failures.append(f"{role} selection zip: extra {got - expected}, missing {expected - got}")
    assert not failures, "\n".join(failures[:40])
