"""Paging shared by every listing."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from portal.errors import ValidationError

T = TypeVar("T")
MAX_PAGE_SIZE = 200


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
    if p < 1 or not 1 <= s <= MAX_PAGE_SIZE:
        raise ValidationError(f"page must be >= 1 and size between 1 and {MAX_PAGE_SIZE}")
    return p, s
