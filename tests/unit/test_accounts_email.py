"""E-mail addresses as typed into invitations and a share link's recipients field."""

from __future__ import annotations

import pytest

from portal.errors import ValidationError
from portal.services.accounts.users import normalise_email
from portal.services.notify.events import parse_recipients


@pytest.mark.parametrize("typed", [" Ann@Example.COM ", "a.b+c@mail.example.co.uk"])
def test_addresses_are_trimmed_and_lower_cased(typed: str) -> None:
    assert normalise_email(typed) == typed.strip().lower()


@pytest.mark.parametrize("typed", ["ann", "ann@example", "ann@@example.com", "ann@example..com", "a@b.c."])
def test_non_addresses_are_refused(typed: str) -> None:
    with pytest.raises(ValidationError):
        normalise_email(typed)


def test_a_long_run_of_dots_is_refused_at_once() -> None:
    # "x@" + dots + "@" made the former pattern try every dot as the last one: quadratic, so a pasted
    # recipients field of 500 KiB held a worker for tens of minutes. Now it is a plain refusal (this
    # test took about a minute before the fix; no timing is asserted).
    hostile = "x@" + "." * 100_000 + "@"
    with pytest.raises(ValidationError):
        normalise_email(hostile)
    with pytest.raises(ValidationError):
        parse_recipients("ann@example.com " + hostile)
