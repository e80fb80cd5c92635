"""A whole PIM integration over HTTP only: subscribe a webhook, upsert products, upload images, link,
patch metadata, approve, build a package, and receive the signed webhook."""

from __future__ import annotations

import io
import json
import time
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
import requests
from flask import Flask, Request
from werkzeug.wrappers import Response

from portal.services.distribution.webhooks import SIGNATURE_HEADER, TIMESTAMP_HEADER, verify
from tests.gov_helpers import png, user_with_token
from tests.served import serve


@pytest.fixture
def receiver() -> Iterator[tuple[str, list[dict[str, Any]]]]:
    """A webhook receiver: every POST it gets, with its headers and body."""
    received: list[dict[str, Any]] = []

    def app(environ: Any, start_response: Any) -> Any:
        request = Request(environ)
        received.append({"headers": dict(request.headers), "body": request.get_data()})
        return Response("ok")(environ, start_response)

    with serve(app) as base:
        yield base + "/hook", received


def test_pim_round_trip_over_http(
    app: Flask, tmp_path: Path, receiver: tuple[str, list[dict[str, Any]]]
) -> None:
    hook_url, received = receiver
    _, headers = user_with_token(app, "admin")
    with serve(app) as base, requests.Session() as http:
        http.headers.update(headers)
        api = base + "/api/v1"
        sub = http.post(api + "/webhooks", json={"url": hook_url, "events": ["asset.approved"]})
        assert sub.status_code == 201, sub.text
        secret = sub.json()["secret"]
        for number, name in (("7310/22-B", "Bracket"), ("ÄÖ 12.34-5", "Umlaut")):
            put = http.put(
                api + "/products/" + quote(number, safe=""), json={"name": name, "category": "Parts"}
            )
            assert put.status_code == 201, put.text
        # One image links itself from its file name, the other by an explicit link.
        first = http.post(api + "/assets", files={"file": ("7310-22-B_1.png", png(tmp_path, 1).read_bytes())})
        second = http.post(api + "/assets", files={"file": ("photo.png", png(tmp_path, 2).read_bytes())})
        assert first.status_code == second.status_code == 201
        assert first.json()["article_numbers"] == ["7310/22-B"]
        asset_id, other_id = first.json()["id"], second.json()["id"]
        link = http.post(f"{api}/assets/{other_id}/links", json={"key": "ÄÖ 12.34-5"})
        assert link.status_code == 201, link.text
        etag = http.get(f"{api}/assets/{asset_id}").headers["ETag"]
        patch = {"title": "Bracket 7310/22-B", "tags": ["bracket"], "visibility": "partner"}
        patched = http.patch(f"{api}/assets/{asset_id}", json=patch, headers={"If-Match": etag})
        assert patched.status_code == 200, patched.text
        for target in (asset_id, other_id):
            for action in ("submit", "approve"):
                step = http.post(f"{api}/assets/{target}/transitions", json={"action": action})
                assert step.status_code == 200, step.text
        listed = http.get(api + "/products", params={"q": "7310/22-B"}).json()
        assert [p["article_number"] for p in listed["items"]] == ["7310/22-B"]
        package = http.post(
            api + "/packages", json={"articles": ["7310/22-B", "ÄÖ 12.34-5"], "presets": ["original"]}
        )
        assert package.status_code == 202, package.text
        job = http.get(package.headers["Location"]).json()
        for _ in range(100):
            if job["status"] in ("done", "failed"):
                break
            time.sleep(0.1)
            job = http.get(package.headers["Location"]).json()
        assert job["status"] == "done", job
        names = zipfile.ZipFile(io.BytesIO(http.get(job["download_url"]).content)).namelist()
        assert {"7310-22-B_1.png", "ÄÖ 12.34-5_1.png"} <= set(names)
        deliveries = http.get(f"{api}/webhooks/{sub.json()['id']}/deliveries").json()["items"]
        assert {d["status"] for d in deliveries} == {"delivered"}
    envelopes = [json.loads(r["body"]) for r in received]
    assert {e["event"] for e in envelopes} == {"asset.approved"}
    approved = [e["data"] for e in envelopes]
    assert {p["asset_id"] for p in approved} == {asset_id, other_id}, approved
    for r in received:
        assert verify(secret, r["headers"][TIMESTAMP_HEADER], r["body"], r["headers"][SIGNATURE_HEADER])
    mine = next(p for p in approved if p["asset_id"] == asset_id)
    assert mine["article_numbers"] == ["7310/22-B"]
