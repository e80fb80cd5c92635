"""The brand hub's usage-terms gate, shared by the hub, stable file links and share links.

Kept apart from ``portal.web.brand`` so the file routes can ask it without importing the hub's views
(which themselves serve files through ``portal.web.files``).
"""

from __future__ import annotations

from flask import redirect, request, session, url_for
from flask.typing import ResponseReturnValue
from sqlalchemy.orm import Session

from portal.services.brand import hub as brand_service

TERMS_KEY = "brand_terms_version"


def terms_needed(terms: str, version: int) -> bool:
    """True when the hub has terms and this visitor has not accepted their current version."""
    return bool(terms) and session.get(TERMS_KEY) != version


def terms_redirect(db: Session) -> ResponseReturnValue | None:
    """The way to the usage terms when this visitor has not accepted the current ones (None: accepted or
    no terms). Every route that hands a public download to an anonymous visitor asks this."""
    settings = brand_service.get_settings(db)
    if terms_needed(settings.terms, settings.terms_version):
        return redirect(url_for("brand.terms", next=request.path))
    return None
