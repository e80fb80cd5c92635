"""Errors raised by the search layer (the portal maps them to HTTP responses)."""

from __future__ import annotations


class SearchError(Exception):
    """Something went wrong talking to, or inside, a search engine."""


class SearchUnavailable(SearchError):
    """The engine cannot answer this kind of query (e.g. kNN without the k-NN plugin) or is unreachable."""
