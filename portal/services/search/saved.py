"""Saved searches: a user's named searches, kept as the URL state of the search page."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from models import SavedSearch
from portal.errors import AuthenticationRequired, Conflict, NotFound, ValidationError
from portal.services.governance.policy import Viewer
from portal.services.search.queries import SearchParams

MAX_SAVED_NAME = 200


def saved_searches(session: Session, user_id: int) -> list[SavedSearch]:
    """A user's saved searches, by name."""
    return list(
        session.scalars(select(SavedSearch).where(SavedSearch.user_id == user_id).order_by(SavedSearch.name))
    )


def save_search(session: Session, viewer: Viewer, name: str, params: SearchParams) -> SavedSearch:
    """Keep the current search under a name (unique per user)."""
    if viewer.user_id is None:
        raise AuthenticationRequired("log in to save searches")
    clean = " ".join((name or "").split())[:MAX_SAVED_NAME]
    if not clean:
        raise ValidationError("give the saved search a name")
    if session.scalar(
        select(SavedSearch.id).where(SavedSearch.user_id == viewer.user_id, SavedSearch.name == clean)
    ):
        raise Conflict(f"you already have a saved search called {clean!r}")
    saved = SavedSearch(user_id=viewer.user_id, name=clean, query=params.query_string(page=1))
    session.add(saved)
    try:
        session.flush()
    except IntegrityError as exc:
        # The same name saved at the same moment (another tab) after our check: the unique rule decides,
        # and the caller's transaction is rolled back.
        raise Conflict(f"you already have a saved search called {clean!r}") from exc
    return saved


def delete_saved_search(session: Session, viewer: Viewer, saved_id: int) -> None:
    """Remove one of the viewer's saved searches (someone else's is NotFound)."""
    saved = session.get(SavedSearch, saved_id)
    if saved is None or saved.user_id != viewer.user_id:
        raise NotFound("saved search not found")
    session.delete(saved)
