"""Hostile input against every route: never a 500, JSON errors on the API, CSRF on every cookie write.

The routes are enumerated from ``app.url_map`` so a new endpoint is swept without editing this file.
SQLite only: the point is input handling, not the database backend.
"""

from __future__ import annotations

import io
import json
import re
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from werkzeug.routing import Rule

from models import User
from portal.runtime import Runtime
from tests.conftest import csrf_token
from tests.gov_helpers import new_asset, set_state, user_with_token

HUGE = str(10**30)
NASTY = ["../../etc/passwd", "a\x00b", "x" * 10_000, "\u202egnp.exe\u202c", "'; DROP TABLE assets;--", "<b>"]
NUMBERS = ["-1", "0", HUGE, str(2**31), "\u00b2", "abc", "1.5", "nan", "[]"]  # "²".isdigit() is true
QUERY_NAMES = [
    "page", "size", "q", "sort", "min_score", "similar_to", "image", "article_number", "uploader",
    "product", "category", "age", "actor", "action", "asset", "from", "to", "next", "f.category",
]  # fmt: skip
FORM_NAMES = [
    "name", "description", "comment", "password", "event", "url", "search", "role", "email", "asset_ids",
    "active", "action", "preset", "ids", "asset_id", "article_number", "title", "template", "scope",
    "remember", "next", "kind", "key", "is_new", "column", "articles", "visibility", "rights_expire_at",
    "rights_note", "usage_restrictions", "slug", "label", "body", "terms", "color", "expires_at",
    "allowed_presets", "article_numbers", "attributes", "back", "background", "category", "collection_id",
    "colour", "currency", "download", "enabled", "expires", "filename_template", "format", "group", "intro",
    "keep_alpha", "model_code", "new_collection", "note", "page", "price", "private", "prompts",
    "public_presets", "query", "size", "tags", "threshold", "write_metadata", "section_id", "days",
    "permission", "target",
]  # fmt: skip
FILE_NAMES = ["file", "image", "logo", "list_file"]
SKIP_POST = {"auth.logout"}  # would end the session the sweep runs in; covered by the CSRF test


@pytest.fixture
def world(app: Flask, tmp_path: Path) -> dict[str, int]:
    """One approved and one draft asset, and a bystander user whose id the admin routes get."""
    rt: Runtime = app.extensions["assetport"]
    approved = new_asset(rt, tmp_path / "seed", 1)
    set_state(rt, approved, "approved")
    draft = new_asset(rt, tmp_path / "seed", 2)
    victim, _ = user_with_token(app, "editor")
    return {"approved": approved, "draft": draft, "victim": victim}


def _rules(app: Flask, method: str) -> list[Rule]:
    return sorted(
        (r for r in app.url_map.iter_rules() if method in (r.methods or ()) and r.endpoint != "static"),
        key=lambda r: r.rule,
    )


def _urls(rule: Rule, world: dict[str, int]) -> Iterator[str]:
    """The rule's address with sensible values, then with each argument hostile in turn."""
    ints = {name for name, conv in rule._converters.items() if type(conv).__name__ == "IntegerConverter"}

    def fill(overrides: dict[str, str]) -> str:
        path = rule.rule
        for name in rule.arguments:
            sample = overrides.get(name)
            if sample is None:
                sample = (
                    str(world["victim"] if name == "user_id" else world["approved"])
                    if name in ints
                    else "web"
                )
            path = re.sub(r"<(?:[^:<>]+:)?" + re.escape(name) + ">", sample, path)
        return path

    yield fill({})
    for name in rule.arguments:
        values = (
            ["0", "999999", HUGE]
            if name in ints
            else ["..%2F..%2Fetc%2Fpasswd", "a%00b", "x" * 3000, "%E2%80%AEx"]
        )
        for value in values:
            yield fill({name: value})


def _check(resp: Any, what: str) -> None:
    assert resp.status_code < 500, f"{what} -> {resp.status_code}: {resp.get_data(as_text=True)[:300]}"
    if resp.request.path.startswith("/api/") and resp.status_code >= 400:
        body = resp.get_json(silent=True)
        assert isinstance(body, dict) and {"code", "message"} <= set(body.get("error", {})), f"{what}: {body}"


@pytest.fixture
def clients(app: Flask, login: Callable[..., FlaskClient]) -> dict[str, FlaskClient]:
    """A cookie session for every role, and an anonymous visitor."""
    out = {role: login(role) for role in ("admin", "manager", "editor", "partner")}
    out["anonymous"] = app.test_client()
    return out


def test_every_get_route_survives_hostile_paths_and_query_values(
    app: Flask, world: dict[str, int], clients: dict[str, FlaskClient]
) -> None:
    for rule in _rules(app, "GET"):
        for url in _urls(rule, world):
            for role, client in clients.items():
                _check(client.get(url), f"{role} GET {url[:120]}")
        # Each query name hostile in turn (the likeliest culprits), then every value for all names at once;
        # admin reaches everything, the other roles get the all-at-once pass.
        base = next(_urls(rule, world))
        admin = clients["admin"]
        for name in QUERY_NAMES:
            for value in (HUGE, "-1", "\u00b2", "nan", "a\x00b"):
                _check(admin.get(base, query_string={name: value}), f"admin GET {base}?{name}={value!r}")
        for value in [*NUMBERS, *NASTY]:
            everything = {name: value for name in QUERY_NAMES}
            _check(admin.get(base, query_string=everything), f"admin GET {base} all={value[:40]!r}")
        for role, client in clients.items():
            everything = {name: HUGE for name in QUERY_NAMES}
            _check(client.get(base, query_string=everything), f"{role} GET {base} all huge")


def _hostile_forms() -> Iterator[tuple[str, dict[str, Any]]]:
    yield "empty", {}
    for value in [*NUMBERS, *NASTY]:
        yield f"all={value[:20]!r}", {name: value for name in FORM_NAMES}
    yield "lists", {name: ["1", HUGE, "../x"] for name in FORM_NAMES}
    for content, label in [
        (b"", "empty file"),
        (b"not an image at all", "text file"),
        (b"\x89PNG\r\n\x1a\n", "cut png"),
    ]:
        files = {name: (io.BytesIO(content), "../../etc/passwd\x00.png") for name in FILE_NAMES}
        yield label, files


def test_every_post_route_survives_hostile_forms_with_a_valid_csrf_token(
    app: Flask, world: dict[str, int], clients: dict[str, FlaskClient]
) -> None:
    for role in ("admin", "partner", "anonymous"):
        client = clients[role]
        token = csrf_token(client, "/login")
        for rule in _rules(app, "POST"):
            if rule.endpoint in SKIP_POST:
                continue
            for url in _urls(rule, world):
                _check(client.post(url, data={"csrf_token": token}), f"{role} POST {url[:120]}")
            if role == "anonymous":
                continue  # turned away before any form is read
            base = next(_urls(rule, world))
            for label, form in _hostile_forms():
                data = {**form, "csrf_token": token}
                resp = client.post(base, data=data, content_type="multipart/form-data")
                _check(resp, f"{role} POST {base} {label}")
    _stored_things_survive(app, world)


def _stored_things_survive(app: Flask, world: dict[str, int]) -> None:
    """Nothing the sweep threw at the portal removed what was stored before."""
    from models import Asset

    with app.extensions["assetport"].db.session() as session:
        assert session.get(Asset, world["approved"]) is not None
        assert session.get(Asset, world["draft"]) is not None
        assert session.get(User, world["victim"]) is not None


JSON_BODIES: list[bytes] = [
    b"",
    b"{bad json",
    b"[]",
    b"null",
    b'"text"',
    b"1e999",
    b"{" * 2000,
    b'{"a": "\\ud800"}',
]


def _typed_bodies(world: dict[str, int]) -> Iterator[dict[str, Any]]:
    """JSON objects with every field the API reads set to the wrong type or a hostile value."""
    yield {}
    wrong: list[Any] = [
        None,
        10**30,
        -1,
        "x" * 10_000,
        [],
        {},
        [10**30],
        ["../../etc/passwd"],
        [None],
        True,
        1.5,
    ]
    wrong += [[[]], [{"a": 1}], "a\x00b", "\u202egnp.exe"]
    for value in wrong:
        yield {
            name: value
            for name in (
                "action",
                "comment",
                "articles",
                "asset_ids",
                "presets",
                "template",
                "kind",
                "accept",
            )
        }
    yield {"articles": ["x" * 10_000] * 50, "presets": ["web"], "kind": "links"}
    yield {"articles": ["1"], "presets": ["web"], "template": "../../{article_number}{ext}"}
    yield {"articles": ["1"], "presets": ["web"], "template": "{__class__}{ext}"}
    yield {"asset_ids": [world["approved"], 10**30, -1], "presets": ["original"]}
    yield {"action": "approve", "comment": "x" * 100_000}
    for name in ("name", "price", "article_number", "model_code", "category", "attributes", "ean"):
        for value in wrong:
            yield {name: value}


def _api_writes(world: dict[str, int]) -> list[tuple[str, str]]:
    a = world["approved"]
    return [
        ("POST", f"/api/v1/assets/{a}/transitions"),
        ("POST", f"/api/v1/assets/{world['draft']}/transitions"),
        ("POST", "/api/v1/assets/999999/transitions"),
        ("POST", f"/api/v1/assets/{HUGE}/transitions"),
        ("POST", "/api/v1/packages"),
        ("POST", "/api/v1/suggestions/1"),
        ("POST", f"/api/v1/suggestions/{HUGE}"),
        ("PUT", "/api/v1/products/A-1"),
        ("PUT", "/api/v1/products/..%2F..%2Fetc%2Fpasswd"),
        ("PUT", "/api/v1/products/" + "x" * 3000),
        ("POST", f"/api/v1/assets/{a}/versions/1/restore"),
        ("POST", f"/api/v1/assets/{a}/versions/{HUGE}/restore"),
    ]


@pytest.mark.parametrize("role", ["admin", "manager", "editor", "partner"])
def test_api_writes_survive_malformed_and_mistyped_json(app: Flask, world: dict[str, int], role: str) -> None:
    _, headers = user_with_token(app, role)
    client = app.test_client()
    for method, url in _api_writes(world):
        for raw in JSON_BODIES:
            resp = client.open(url, method=method, data=raw, headers=headers, content_type="application/json")
            _check(resp, f"{role} {method} {url[:80]} {raw[:30]!r}")
        for body in _typed_bodies(world):
            resp = client.open(
                url, method=method, data=json.dumps(body), headers=headers, content_type="application/json"
            )
            _check(resp, f"{role} {method} {url[:80]} {str(body)[:120]}")
    _stored_things_survive(app, world)


@pytest.mark.parametrize("role", ["admin", "editor", "partner"])
def test_api_uploads_survive_bad_multipart(app: Flask, world: dict[str, int], role: str) -> None:
    _, headers = user_with_token(app, role)
    client = app.test_client()
    a = world["approved"]
    targets = [
        "/api/v1/assets",
        f"/api/v1/assets/{a}/versions",
        "/api/v1/search/image",
        "/api/v1/assets/999999/versions",
    ]
    files: list[dict[str, Any]] = [
        {},
        {"title": "no file"},
        {"file": (io.BytesIO(b""), ""), "image": (io.BytesIO(b""), "")},
        {"file": (io.BytesIO(b""), "empty.png"), "image": (io.BytesIO(b""), "empty.png")},
        {
            "file": (io.BytesIO(b"hello"), "../../etc/passwd"),
            "image": (io.BytesIO(b"hello"), "../../etc/passwd"),
        },
        {
            "file": (io.BytesIO(b"\x89PNG\r\n\x1a\n\x00"), "a\x00b.png"),
            "image": (io.BytesIO(b"\x89PNG"), "x.png"),
        },
        {
            "file": (io.BytesIO(b"GIF89a"), "\u202egnp.exe"),
            "comment": "x" * 10_000,
            "article_number": ["../x", HUGE],
        },
    ]
    for url in targets:
        for form in files:
            fresh = {
                k: (io.BytesIO(v[0].getvalue()), v[1]) if isinstance(v, tuple) else v for k, v in form.items()
            }
            resp = client.post(url, data=fresh, headers=headers, content_type="multipart/form-data")
            _check(resp, f"{role} POST {url} {sorted(form)}")
        # Not multipart at all.
        _check(
            client.post(url, data=b"{}", headers=headers, content_type="application/json"),
            f"{role} POST {url} json",
        )
        for params in ({"size": HUGE}, {"page": "-1"}, {"min_score": "nan"}, {"f.category": "\x00"}):
            resp = client.post(
                url, query_string=params, data={}, headers=headers, content_type="multipart/form-data"
            )
            _check(resp, f"{role} POST {url} {params}")
    _stored_things_survive(app, world)


@pytest.mark.parametrize("role", ["admin", "partner"])
def test_api_reads_survive_hostile_query_values_with_a_token(
    app: Flask, world: dict[str, int], role: str
) -> None:
    _, headers = user_with_token(app, role, scope="read")
    client = app.test_client()
    for rule in _rules(app, "GET"):
        if not rule.rule.startswith("/api/"):
            continue
        for url in _urls(rule, world):
            _check(client.get(url, headers=headers), f"{role} GET {url[:120]}")
            for name in QUERY_NAMES:
                for value in ("-5", HUGE, "x" * 10_000, "\x00"):
                    _check(
                        client.get(url, query_string={name: value}, headers=headers),
                        f"{role} GET {url}?{name}",
                    )


def test_bad_bearer_tokens_are_refused_cleanly(app: Flask) -> None:
    client = app.test_client()
    for raw in ["", "x", "x" * 10_000, "a\x00b", "../../etc/passwd", "\u202e", uuid.uuid4().hex]:
        for method, url in (("GET", "/api/v1/assets"), ("POST", "/api/v1/packages"), ("GET", "/assets")):
            resp = client.open(url, method=method, headers={"Authorization": f"Bearer {raw}"}, json={})
            _check(resp, f"{method} {url} bearer {raw[:20]!r}")
            # An empty token is no bearer header at all: the page sends the visitor to the login.
            refused = (400, 401, 403) if url.startswith("/api/") else (302, 400, 401, 403)
            assert resp.status_code in refused, f"{method} {url} bearer {raw[:20]!r} -> {resp.status_code}"


def test_every_cookie_write_needs_a_csrf_token(
    app: Flask, world: dict[str, int], login: Callable[..., FlaskClient]
) -> None:
    client = login("admin")
    writes = [
        r for r in app.url_map.iter_rules() if set(r.methods or ()) & {"POST", "PUT", "PATCH", "DELETE"}
    ]
    assert len(writes) > 40  # the enumeration found the routes
    for rule in writes:
        url = next(_urls(rule, world))
        for method in sorted(set(rule.methods or ()) & {"POST", "PUT", "PATCH", "DELETE"}):
            resp = client.open(url, method=method, data={"x": "1"})
            assert resp.status_code == 400, f"{method} {url} without a CSRF token -> {resp.status_code}"
            if url.startswith("/api/"):
                resp = client.open(url, method=method, json={"action": "approve"})
                assert resp.status_code == 400, (
                    f"{method} {url} JSON without X-CSRFToken -> {resp.status_code}"
                )
                assert resp.get_json()["error"]["code"] == "csrf"
            else:
                assert "CSRF" in resp.get_data(as_text=True)
    anonymous = app.test_client()
    for url in ("/login", "/s/sometoken", "/brand/terms", "/invite/sometoken"):
        assert anonymous.post(url, data={"email": "a@b.c", "password": "x"}).status_code == 400, url
    _stored_things_survive(app, world)


def test_api_cookie_writes_accept_the_x_csrftoken_header(
    app: Flask, world: dict[str, int], login: Callable[..., FlaskClient]
) -> None:
    client = login("editor")
    token = csrf_token(client, "/assets")
    resp = client.post(
        f"/api/v1/assets/{world['draft']}/transitions",
        json={"action": "submit"},
        headers={"X-CSRFToken": token},
    )
    assert resp.status_code == 200, resp.get_data(as_text=True)
    assert resp.get_json()["status"] == "in_review"


def test_nul_characters_are_refused_before_they_reach_the_database(app: Flask) -> None:
    """PostgreSQL cannot store a NUL in text: every way in answers a clear 400 and stores nothing."""
    _, headers = user_with_token(app, "admin")
    client = app.test_client(use_cookies=False)
    body = {"name": "Bad\u0000name", "category": "Paints"}
    resp = client.put("/api/v1/products/NUL-1", json=body, headers=headers)
    assert resp.status_code == 400 and "NUL" in resp.get_json()["error"]["message"]
    assert client.get("/api/v1/products/NUL-1", headers=headers).status_code == 404
    assert client.get("/api/v1/search?q=a%00b", headers=headers).status_code == 400
    upload = {"file": (io.BytesIO(b"x"), "a\x00.png"), "title": "t\x00"}
    assert client.post("/api/v1/assets", data=upload, headers=headers).status_code == 400


def test_bulk_ids_and_compare_numbers_out_of_range_are_refused_cleanly(
    app: Flask, world: dict[str, int], clients: dict[str, FlaskClient]
) -> None:
    """A huge id in a bulk action and a non-ASCII digit as a version number are 4xx, never a 500."""
    manager = clients["manager"]
    token = csrf_token(manager, "/login")
    resp = manager.post("/review/bulk", data={"csrf_token": token, "action": "approve", "ids": [HUGE]})
    assert resp.status_code == 400
    resp = manager.get(f"/assets/{world['approved']}/compare", query_string={"a": "\u00b2"})
    assert 400 <= resp.status_code < 500
