"""Paging shared by every listing."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from portal.errors import ValidationError

T = TypeVar("T")
MAX_PAGE_SIZE = 200
# Bounds that keep hostile numbers out of the database driver (an overflow there is a 500):
# ids are 32-bit integer columns on PostgreSQL; no listing has anywhere near a million pages.
MAX_ID = 2**31 - 1
MAX_PAGE = 1_000_000


def ascii_digits(text: str) -> bool:
    """True for a non-empty run of ASCII digits: what ``int()`` accepts from a form. ("²".isdigit() is
    true too and ``int("²")`` raises, so ``isdigit`` alone lets hostile input reach a 500.)"""
    return text.isascii() and text.isdigit()


def parse_id(text: str | None) -> int | None:
    """A database id written in ASCII digits (1..MAX_ID), or None for anything else."""
    raw = (text or "").strip()
    if not ascii_digits(raw) or len(raw) > 10:
        return None
    value = int(raw)
    return value if 0 < value <= MAX_ID else None


@dataclass
class Page(Generic[T]):
    """One page of a listing."""

    items: list[T]
    total: int
    page: int
    size: int

    @property
    def pages(self) -> int:
        """Number of pages (at least one)."""
        return max(1, -(-self.total // self.size))


def parse_paging(page: Any, size: Any, default_size: int = 48) -> tuple[int, int]:
    """Validate page/size query values (1-based page, bounded size)."""
    try:
        p = int(page) if page not in (None, "") else 1
        s = int(size) if size not in (None, "") else default_size
    except (TypeError, ValueError):
        raise ValidationError("page and size must be whole numbers") from None
    if not 1 <= p <= MAX_PAGE or not 1 <= s <= MAX_PAGE_SIZE:
        raise ValidationError(f"page must be 1 to {MAX_PAGE} and size between 1 and {MAX_PAGE_SIZE}")
    return p, s
