"""The chips a picker (templates/partials/_picker.html) shows from the start: the products a form held when
it is shown again after an error, so nothing chosen is lost and each keeps its name and thumbnail."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from flask import url_for

from portal.services.catalog import browse
from portal.web.context import runtime, viewer


def product_chips(keys: Sequence[str]) -> list[dict[str, Any]]:
    """Chips for article numbers or model codes, in order: a product with its name and a thumbnail the
    viewer may see, a model code as "all variants of model", a key nothing knows marked invalid (and
    labelled "unknown") so the user sees what to remove."""
    if not any(k.strip() for k in keys):
        return []
    with runtime().db.session() as session:
        picked = browse.picked_keys(session, viewer(), keys)
    return [
        {
            "key": p.key,
            "label": "all variants of model" if p.model else (p.name or ("unknown" if not p.known else "")),
            "thumb_url": url_for("files.asset_file", asset_id=p.thumb_asset_id, preset="thumb")
            if p.thumb_asset_id
            else None,
            "invalid": not p.known,
        }
        for p in picked
    ]
