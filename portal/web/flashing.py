"""Admin form posts that answer with a flashed message and a redirect back to the list they came from."""

from __future__ import annotations

from collections.abc import Callable

from flask import flash, redirect, url_for
from flask.typing import ResponseReturnValue

from portal.errors import PortalError


def flash_and_return(
    action: Callable[[], str], to: str, expected: tuple[type[PortalError], ...]
) -> ResponseReturnValue:
    """Run ``action`` (it returns the success message) and redirect to the endpoint ``to``. The domain errors
    a user can cause (``expected``) become a flashed message on the same page; any other error is left to the
    central error handler (never swallowed)."""
    try:
        message = action()
    except expected as exc:
        flash(exc.message, "danger")
    else:
        flash(message, "success")
    return redirect(url_for(to))
