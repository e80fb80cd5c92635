"""Flashed messages, and admin form posts that answer with one and a redirect back to the list they came from.

Every page flash goes through ``flash`` here: service messages start in lower case (they are also API error
messages and parts of sentences), a flash starts a sentence, so its first letter is capitalised here, once.
A message that starts with something the user named (a file name) is flashed ``verbatim``: "my_file.jpg"
must not read "My_file.jpg"."""

from __future__ import annotations

from collections.abc import Callable

import flask
from flask import redirect, url_for
from flask.typing import ResponseReturnValue

from portal.errors import PortalError


def flash(message: str, category: str = "message", *, verbatim: bool = False) -> None:
    """Flash ``message`` for the next page, its first letter capitalised unless ``verbatim``."""
    flask.flash(message if verbatim else message[:1].upper() + message[1:], category)


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
