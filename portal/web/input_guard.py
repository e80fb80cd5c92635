"""Input guards that run before any view: total (they never raise anything but a clean 4xx).

A NUL byte in any text value (an unpaired surrogate in JSON), a multipart part without a usable field name,
undecodable or too deeply nested JSON are refused up front, so no view, template or service ever sees them.
"""

from __future__ import annotations

from flask import Request
from werkzeug.exceptions import HTTPException

from portal.errors import BadRequest, PayloadTooLarge

# Deepest JSON nesting any endpoint accepts; real payloads are two or three levels deep.
MAX_JSON_DEPTH = 64


def check_request(req: Request) -> None:
    """Raise ``BadRequest`` for a request no view can handle; size limits (413) pass through."""
    limit = req.max_form_memory_size
    if req.mimetype == "application/x-www-form-urlencoded" and limit and (req.content_length or 0) > limit:
        # Parsed in one go, so werkzeug applies no per-field limit here: bound the whole form instead.
        raise PayloadTooLarge(
            f"a form field is too large: text fields are limited to {limit // 1024} KiB each"
        )
    try:
        if req.is_json:
            _check_json_depth(req.get_data(cache=True))
        bad = _has_nul(req)
    except (HTTPException, BadRequest, PayloadTooLarge):
        raise
    except (ValueError, TypeError, UnicodeError, RecursionError, AttributeError):
        # Whatever a malformed body makes the parsers trip over is the client's mistake, not a 500.
        raise BadRequest("the request body is malformed") from None
    if bad:
        raise BadRequest("the request contains a NUL character")


def _check_json_depth(body: bytes) -> None:
    """Refuse JSON nested deeper than ``MAX_JSON_DEPTH`` before it is parsed (no recursion needed)."""
    depth = 0
    in_string = escaped = False
    for byte in body:
        if in_string:
            if escaped:
                escaped = False
            elif byte == 0x5C:  # backslash
                escaped = True
            elif byte == 0x22:  # quote
                in_string = False
        elif byte == 0x22:
            in_string = True
        elif byte in (0x5B, 0x7B):  # [ {
            depth += 1
            if depth > MAX_JSON_DEPTH:
                raise BadRequest(f"the JSON body is nested too deep (at most {MAX_JSON_DEPTH} levels)")
        elif byte in (0x5D, 0x7D):
            depth -= 1


def _has_nul(req: Request) -> bool:
    """True when a query value, form value, uploaded file name or JSON string holds a NUL byte."""
    if "\x00" in req.path or any("\x00" in k or "\x00" in v for k, v in req.args.items(multi=True)):
        return True
    if req.mimetype in ("application/x-www-form-urlencoded", "multipart/form-data"):
        for key, value in req.form.items(multi=True):
            if not isinstance(key, str) or not isinstance(value, str):
                raise BadRequest("a form part has no usable field name")
            if "\x00" in key or "\x00" in value:
                return True
        for key, upload in req.files.items(multi=True):
            if not isinstance(key, str):
                raise BadRequest("a form part has no usable field name")
            if "\x00" in (upload.filename or ""):
                return True
        return False
    if req.is_json:
        # Malformed JSON is left to the view, which answers it with its own 400.
        return _json_has_nul(req.get_json(silent=True))
    return False


def _json_has_nul(value: object) -> bool:
    if isinstance(value, str):
        try:
            # JSON may spell an unpaired surrogate ("\ud800"); no database can store one, so it failed
            # later (a package job with such an article number died writing its report).
            value.encode("utf-8")
        except UnicodeEncodeError:
            raise BadRequest(
                "the request contains an unpaired surrogate (\\ud800-\\udfff), not text"
            ) from None
        return "\x00" in value
    if isinstance(value, dict):
        return any(_json_has_nul(k) or _json_has_nul(v) for k, v in value.items())
    if isinstance(value, list):
        return any(_json_has_nul(v) for v in value)
    return False
