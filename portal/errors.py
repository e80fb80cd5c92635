"""Domain exceptions. They are mapped to HTTP statuses in one place (``portal.web.errors``)."""

from __future__ import annotations

from typing import Any


class PortalError(Exception):
    """Base of every expected error; ``status`` and ``code`` drive the HTTP answer."""

    status = 400
    code = "bad_request"

    def __init__(self, message: str, **detail: Any) -> None:
        super().__init__(message)
        self.message = message
        self.detail = detail


class ValidationError(PortalError):
    """The request is well-formed but its content is not acceptable."""

    status = 422
    code = "invalid"


class BadRequest(PortalError):
    """The request itself is malformed."""

    status = 400
    code = "bad_request"


class NotFound(PortalError):
    """The thing asked for does not exist (or the caller may not know that it does)."""

    status = 404
    code = "not_found"


class PermissionDenied(PortalError):
    """The caller is known but not allowed to do this."""

    status = 403
    code = "forbidden"


class AuthenticationRequired(PortalError):
    """The caller must log in first."""

    status = 401
    code = "unauthenticated"


class Conflict(PortalError):
    """The request conflicts with the current state (e.g. an illegal workflow transition)."""

    status = 409
    code = "conflict"


class TooManyRequests(PortalError):
    """Rate limited."""

    status = 429
    code = "rate_limited"


class PayloadTooLarge(PortalError):
    """An upload over the configured limit."""

    status = 413
    code = "too_large"


class RejectedFile(PortalError):
    """A file that cannot be ingested: unsupported type, corrupt, truncated or a decompression bomb."""

    status = 422
    code = "rejected_file"


class UnsupportedMediaType(RejectedFile):
    """The content is not a type the portal accepts."""

    status = 415
    code = "unsupported_type"


class StorageIntegrityError(PortalError):
    """Stored bytes did not match their hash."""

    status = 500
    code = "integrity"


class PreconditionFailed(PortalError):
    """``If-Match`` names a version of the resource that is no longer current."""

    status = 412
    code = "precondition_failed"
