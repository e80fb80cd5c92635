"""Vision in the JSON API: similar assets, search by image, tag suggestions and decisions."""

from __future__ import annotations

from flask import jsonify, request
from flask.typing import ResponseReturnValue

from portal.api import api_bp, json_body
from portal.api import models as m
from portal.api.schema import operation
from portal.errors import BadRequest, ValidationError
from portal.services.search.queries import parse_params, result_to_dict
from portal.services.vision import tags as vision_tags
from portal.services.vision.similar import MAX_IMAGE_BYTES, search_by_image, similar_to_asset
from portal.web.context import client_ip, runtime, viewer


@api_bp.get("/assets/<int:asset_id>/similar")
@operation(responses={200: m.SearchResult}, errors=(409, 422, 503))
def similar(asset_id: int) -> ResponseReturnValue:
    """The assets most like this one that the caller may see (404 when it may not see this one);
    ``size`` (1-200, default 24) and ``min_score`` (cosine, 0-1)."""
    params = parse_params(
        {name: request.args.getlist(name) for name in ("size", "min_score")}, default_size=24
    )
    result = similar_to_asset(runtime(), viewer(), asset_id, size=params.size, min_score=params.min_score)
    body = result_to_dict(result, params, viewer())
    body["similar_to"] = asset_id
    return jsonify(body)


@api_bp.post("/search/image")
@operation(responses={200: m.SearchResult}, errors=(400, 409, 413, 415, 422, 503), multipart=m.IMAGE_FORM)
def image_search() -> ResponseReturnValue:
    """Search by an uploaded image (multipart ``image``; not stored), with ``f.<field>``, ``page``, ``size``
    and ``min_score`` in the query string. The answer's ``image`` token pages on through
    ``GET /api/v1/search?image=<token>`` for a while (only the vector is kept, never the image)."""
    params = parse_params(request.args.to_dict(flat=False), default_size=24)
    upload = request.files.get("image")
    if upload is None:
        raise BadRequest("send the image as multipart form field 'image'")
    data = upload.read(MAX_IMAGE_BYTES + 1)  # more is refused anyway
    params, result = search_by_image(runtime(), viewer(), data, params, upload.filename or "image")
    body = result_to_dict(result, params, viewer())
    body["image"] = params.image
    return jsonify(body)


@api_bp.get("/assets/<int:asset_id>/suggestions")
@operation(responses={200: m.Items})
def suggestions(asset_id: int) -> ResponseReturnValue:
    """Pending tag suggestions of an asset (staff see them; others get 404 like for hidden assets)."""
    with runtime().db.session() as session:
        items = vision_tags.suggestions_for(session, viewer(), asset_id)
        return jsonify(
            {
                "items": [
                    {
                        "id": s.id,
                        "tag": s.tag,
                        "score": round(s.score, 4),
                        "model": s.model_id,
                        "state": s.state,
                    }
                    for s in items
                ]
            }
        )


@api_bp.post("/suggestions/<int:suggestion_id>")
@operation(responses={200: m.SuggestionDecided}, body=m.Decision, errors=(403, 409))
def decide(suggestion_id: int) -> ResponseReturnValue:
    """Accept or reject a suggestion: ``{"accept": true|false}`` (managers)."""
    body = json_body()
    accept = body.get("accept")
    if not isinstance(accept, bool):
        raise ValidationError("'accept' must be true or false")
    with runtime().db.transaction() as session:
        item = vision_tags.decide(session, viewer(), suggestion_id, accept, ip=client_ip())
        out = {"id": item.id, "asset_id": item.asset_id, "tag": item.tag, "state": item.state}
    return jsonify(out)
