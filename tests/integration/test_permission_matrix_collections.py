"""The permission matrix through a collection: the admin collects every matrix asset and shares the
collection with every role; each role then sees, counts and packages exactly what it may see anywhere
else (``expected_visible`` / ``expected_in_package`` of the main matrix), never more. A collection never
widens what a member sees, on the API, the page and the ZIP alike."""

from __future__ import annotations

import csv
import io
import re
import zipfile

from flask import Flask

from tests.integration.test_permission_matrix import (  # noqa: F401  (matrix is a fixture)
    PACKAGE_ROLES,
    ROLES,
    Cell,
    expected_in_package,
    expected_visible,
    matrix,
)


def test_a_shared_collection_shows_each_role_only_what_it_may_see(
    app: Flask,
    matrix: tuple[list[Cell], dict[str, dict[str, str]]],  # noqa: F811
) -> None:
    cells, headers = matrix
    client = app.test_client(use_cookies=False)
    every = [c.asset_id for c in cells]
    made = client.post(
        "/api/v1/collections", json={"name": "All", "asset_ids": every}, headers=headers["admin"]
    )
    assert made.status_code == 201, made.get_json()
    cid = made.get_json()["id"]
    shared = client.post(
        f"/api/v1/collections/{cid}/shares",
        json={"role": "partner", "permission": "edit"},
        headers=headers["admin"],
    )
    assert shared.status_code == 200
    failures: list[str] = []
    for role in ROLES:
        expected = [c.asset_id for c in cells if expected_visible(role, c)]
        api = client.get(f"/api/v1/collections/{cid}", headers=headers[role])
        page = client.get(f"/collections/{cid}", headers=headers[role])
        listed = client.get("/api/v1/collections", headers=headers[role])
        if role in ("anonymous", "revoked"):
            if api.status_code != 401 or page.status_code not in (302, 401) or listed.status_code != 401:
                failures.append(f"{role}: {api.status_code} {page.status_code} {listed.status_code}")
            continue
        if api.status_code != 200 or api.get_json()["asset_ids"] != expected:
            failures.append(f"{role} api: {api.status_code} {api.get_json()}")
        shown = [int(i) for i in re.findall(r'data-item="(\d+)"', page.get_data(as_text=True))]
        if page.status_code != 200 or shown != expected:
            failures.append(f"{role} page: {page.status_code}, extra {set(shown) - set(expected)}")
        counts = {c["id"]: c["count"] for c in listed.get_json()["items"]}
        if counts.get(cid) != len(expected):
            failures.append(f"{role} count: {counts.get(cid)} != {len(expected)}")
        # An edit share lets a member add only what they may see: hidden ids answer like missing ones.
        hidden = [c.asset_id for c in cells if not expected_visible(role, c)]
        if hidden:
            add = client.post(
                f"/api/v1/collections/{cid}/items", json={"asset_ids": hidden[:1]}, headers=headers[role]
            )
            if add.status_code != 422:
                failures.append(f"{role} add hidden: {add.status_code}")
    assert not failures, "\n".join(failures)


def test_a_collection_package_delivers_only_what_each_role_may_download(
    app: Flask,
    matrix: tuple[list[Cell], dict[str, dict[str, str]]],  # noqa: F811
) -> None:
    cells, headers = matrix
    client = app.test_client(use_cookies=False)
    every = [c.asset_id for c in cells]
    cid = client.post(
        "/api/v1/collections", json={"name": "Pack", "asset_ids": every}, headers=headers["admin"]
    ).get_json()["id"]
    client.post(f"/api/v1/collections/{cid}/shares", json={"role": "partner"}, headers=headers["admin"])
    failures: list[str] = []
    for role in PACKAGE_ROLES:
        made = client.post(f"/collections/{cid}/package", data={"preset": "thumb"}, headers=headers[role])
        assert made.status_code == 302, (role, made.get_data(as_text=True)[:300])
        detail = client.get(made.headers["Location"], headers=headers[role]).get_data(as_text=True)
        link = re.search(r'href="(/d/[^"]+)"', detail)
        assert link, (role, detail[:300])
        with zipfile.ZipFile(io.BytesIO(client.get(link.group(1)).data)) as archive:
            rows = list(csv.DictReader(io.StringIO(archive.read("manifest.csv").decode())))
        got = {int(r["asset_id"]) for r in rows}
        expected = {c.asset_id for c in cells if expected_in_package(role, c)}
        if got != expected:
            failures.append(f"{role}: extra {got - expected}, missing {expected - got}")
    assert not failures, "\n".join(failures)
