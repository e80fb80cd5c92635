"""The permission matrix, field by field: every role x asset state x visibility x write (metadata, tags,
product links, visibility, rights/expiry, new version), through the web forms and the API alike.

The expected answer per cell comes from the rule written out here, not from ``governance.fields``: admins
and managers write everything; partners and visitors nothing; editors nothing on an archived asset, and on
a released asset (an approved version out) neither a wider visibility nor rights/expiry, nor anything that
reaches partners or the public (title, tags, links) unless it is internal; narrowing and new versions
(which go to review) always. A cell passes when the change happened exactly when allowed, and never 5xx.

Issue 14's API writes (PATCH) are appended to ``FIELD_CASES``.
"""

from __future__ import annotations

import io
import itertools
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from PIL import Image

from models import Asset, AssetProduct, AssetTag
from portal.runtime import Runtime
from portal.services.catalog.products import upsert_product
from tests.conftest import csrf_token
from tests.gov_helpers import new_asset, set_state, user_with_token

ROLES = ("admin", "manager", "editor", "partner", "anonymous")
STATES = [("draft", False), ("in_review", False), ("in_review", True), ("approved", True),
          ("rejected", False), ("archived", True)]  # fmt: skip
VISIBILITIES = ("internal", "partner", "public")
WIDTH = {"internal": 0, "partner": 1, "public": 2}
ARTICLE = "700100"


def expected_write(role: str, status: str, released: bool, visibility: str, field: str) -> bool:
    """The rule, written out independently of ``portal.services.governance.fields``."""
    if role in ("admin", "manager"):
        return True
    if role != "editor" or status == "archived":
        return False
    if field == "version" or not (status == "approved" or (status == "in_review" and released)):
        return True
    if field == "visibility":
        return WIDTH[_new_visibility(visibility)] < WIDTH[visibility]  # narrowing only
    if field == "rights":
        return False
    return visibility == "internal"


def _new_visibility(visibility: str) -> str:
    return "public" if visibility != "public" else "internal"


@dataclass(frozen=True)
class FieldCase:
    """One write: its field, how to send it, and how to see whether it happened."""

    name: str
    field: str
    send: Callable[[FlaskClient, int, dict[str, str], str, int], Any]
    happened: Callable[[Asset, int, int | None], bool]  # (asset now, n, version id before)


def _image(seed: int) -> io.BytesIO:
    out = io.BytesIO()
    Image.new("RGB", (24, 16), (seed % 256, seed // 256 % 256, 77)).save(out, "PNG")
    out.seek(0)
    return out


def _form(path: str, data: Callable[[Asset | None, str, int], dict[str, Any]]) -> Any:
    def send(client: FlaskClient, asset_id: int, headers: dict[str, str], vis: str, n: int) -> Any:
        body = {**data(None, vis, n), "csrf_token": headers["csrf"]}
        return client.post(path.format(id=asset_id), data=body, content_type="multipart/form-data")

    return send


def _api_version(client: FlaskClient, asset_id: int, headers: dict[str, str], vis: str, n: int) -> Any:
    auth = {k: v for k, v in headers.items() if k == "Authorization"}
    data = {"file": (_image(n), f"v{n}.png")}
    # A token client holds no session cookie (a cookie would make the request need a CSRF token).
    return client.application.test_client().post(
        f"/api/v1/assets/{asset_id}/versions", data=data, headers=auth
    )


FIELD_CASES: list[FieldCase] = [
    FieldCase("web metadata", "metadata", _form("/assets/{id}/edit", lambda a, v, n: {"title": f"T{n}"}),
              lambda a, n, before: a.title == f"T{n}"),
    FieldCase("web tags", "tags",
              _form("/assets/{id}/edit", lambda a, v, n: {"tags": f"t{n}", "tags_shown": ""}),
              lambda a, n, before: f"t{n}" in {t.tag for t in a.tags}),
    FieldCase("web link", "links", _form("/assets/{id}/links", lambda a, v, n: {"key": ARTICLE}),
              lambda a, n, before: any(link.article_number == ARTICLE for link in a.links)),
    FieldCase("web visibility", "visibility",
              _form("/assets/{id}/rights", lambda a, v, n: {"visibility": _new_visibility(v)}),
              lambda a, n, before: a.visibility != a.title.split("|")[1]),
    FieldCase("web rights", "rights",
              _form("/assets/{id}/rights", lambda a, v, n: {"usage_restrictions": f"R{n}",
                                                           "rights_expire_at": "2099-01-01"}),
              lambda a, n, before: a.usage_restrictions == f"R{n}"),
    FieldCase("web version", "version",
              _form("/assets/{id}/versions", lambda a, v, n: {"file": (_image(n), f"v{n}.png")}),
              lambda a, n, before: a.current_version_id != before),
    FieldCase("api version", "version", _api_version,
              lambda a, n, before: a.current_version_id != before),
]  # fmt: skip


def _reset(rt: Runtime, asset_id: int, status: str, released: bool, visibility: str) -> None:
    """Back to the cell's state: its title records the visibility it started with."""
    set_state(rt, asset_id, status, visibility, approved=released)
    with rt.db.transaction() as session:
        asset = session.get(Asset, asset_id)
        assert asset is not None
        asset.title, asset.usage_restrictions = f"cell|{visibility}", None
        session.query(AssetTag).filter(AssetTag.asset_id == asset_id).delete()
        session.query(AssetProduct).filter(AssetProduct.asset_id == asset_id).delete()


@pytest.mark.usefixtures("app")
def test_every_role_state_and_visibility_on_every_field_write(
    app: Flask, login: Callable[..., FlaskClient], tmp_path: Path
) -> None:
    rt: Runtime = app.extensions["assetport"]
    with rt.db.transaction() as session:
        upsert_product(session, {"article_number": ARTICLE, "name": "Matrix shirt"})
    assets = {
        (s, r, v): new_asset(rt, tmp_path, 300 + i)
        for i, ((s, r), v) in enumerate(itertools.product(STATES, VISIBILITIES))
    }
    clients: dict[str, tuple[FlaskClient, dict[str, str]]] = {}
    for role in ROLES:
        client = app.test_client() if role == "anonymous" else login(role)
        token = {} if role == "anonymous" else user_with_token(app, role)[1]
        clients[role] = (client, {**token, "csrf": csrf_token(client, "/login")})
    failures: list[str] = []
    cells = 0
    n = 1000
    for role, case, ((status, released, visibility), asset_id) in itertools.product(
        ROLES, FIELD_CASES, [((s, r, v), a) for (s, r, v), a in assets.items()]
    ):
        n += 1
        cells += 1
        _reset(rt, asset_id, status, released, visibility)
        client, headers = clients[role]
        with rt.db.session() as session:
            before = session.get(Asset, asset_id).current_version_id  # type: ignore[union-attr]
        resp = case.send(client, asset_id, headers, visibility, n)
        with rt.db.session() as session:
            asset = session.get(Asset, asset_id)
            assert asset is not None
            happened = case.happened(asset, n, before)
        allowed = expected_write(role, status, released, visibility, case.field)
        if resp.status_code >= 500 or happened != allowed:
            failures.append(
                f"{role} {case.name} {status}{'+released' if released else ''} {visibility}: "
                f"{resp.status_code}, happened={happened}, allowed={allowed}"
            )
    assert cells == len(ROLES) * len(FIELD_CASES) * len(STATES) * len(VISIBILITIES)
    assert not failures, f"{len(failures)} of {cells} cells:\n" + "\n".join(failures[:40])
