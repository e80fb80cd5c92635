"""``GET /api/v1/search``: hits, total and facet counts for the caller's permissions."""

from __future__ import annotations

from flask import jsonify, request
from flask.typing import ResponseReturnValue

from portal.api import api_bp
from portal.api import models as m
from portal.api.schema import operation
from portal.services.search import suggest as suggest_service
from portal.services.search.queries import explanations, parse_params, result_to_dict, run_search
from portal.web.context import runtime, viewer


@api_bp.get("/search")
@operation(responses={200: m.SearchResult}, errors=(400, 422))
def search() -> ResponseReturnValue:
    """``q``, ``f.<field>=value`` (repeat for OR within a field), ``sort``, ``page``, ``size``."""
    params = parse_params(request.args.to_dict(flat=False), default_size=24)
    result = run_search(runtime(), viewer(), params)
    return jsonify(result_to_dict(result, params, viewer(), explanations(runtime(), params, result)))


@api_bp.get("/suggest")
@operation(responses={200: m.Suggestions}, query=m.SuggestQuery)
def suggest() -> ResponseReturnValue:
    """``q``: what is typed. Product names, article numbers and tags that match, with the number of assets
    the caller may see, and the caller's matching saved searches; each with the query string it applies."""
    items = suggest_service.suggest(runtime(), viewer(), request.args.get("q", ""))
    return jsonify(
        {"suggestions": [{"kind": s.kind, "text": s.text, "count": s.count, "query": s.query} for s in items]}
    )
