"""Graph's errors, each carrying its HTTP status and Graph `error.code`.

GraphError                                  400 BadRequest
├── InvalidAuthenticationToken              401 (bad, expired, foreign or missing token)
├── AuthorizationRequestDenied              403 Authorization_RequestDenied
├── ResourceNotFound                        404 Request_ResourceNotFound
├── InvalidRequest                          400 Request_BadRequest / BadRequest / UnsupportedQuery
├── MethodNotAllowed                        405
├── SyncStateNotFound                       410 (a delta token unknown, expired or foreign)
└── TooManyRequests                         429 (throttling switched on for the tenant)

Directory errors (NotFound, ValidationFailed, Conflict) are rendered by `app.py` from their own
`code`/`status`, so the directory's rules reach Graph clients unchanged. Messages are Graph's
texts where scripts are known to match on them.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from tenantlab.clock import utc_datetime
from tenantlab.errors import TenantlabError

INSUFFICIENT_PRIVILEGES = "Insufficient privileges to complete the operation."

# Graph's `error.code` for a status where no handler chose one (injected faults, `tenantlab fault`).
CODES_BY_STATUS = {
    400: "BadRequest",
    401: "InvalidAuthenticationToken",
    403: "Authorization_RequestDenied",
    404: "Request_ResourceNotFound",
    429: "TooManyRequests",
    500: "UnknownError",
    503: "serviceNotAvailable",
    504: "gatewayTimeout",
}
MESSAGES_BY_STATUS = {
    429: "Too many requests. Retry after the number of seconds in Retry-After.",
    503: "The service is temporarily unavailable. Please retry later.",
}


def error_body(code: str, message: str, ids: Mapping[str, str], now: float) -> bytes:
    """Graph's error envelope as the response body (see `error_document`)."""
    body = error_document(code, message, ids, now)
    return json.dumps(body, separators=(",", ":"), ensure_ascii=False).encode()


def error_document(code: str, message: str, ids: Mapping[str, str], now: float) -> dict[str, Any]:
    """Graph's error envelope: `{"error": {"code", "message", "innerError": {...}}}`, dated by
    the cloud's clock, with the request's `request-id` and `client-request-id` (also the body
    of a failed request inside a `$batch`)."""
    return {
        "error": {
            "code": code,
            "message": message,
            "innerError": {
                "date": utc_datetime(now).strftime("%Y-%m-%dT%H:%M:%S"),
                "request-id": ids["request-id"],
                "client-request-id": ids["client-request-id"],
            },
        }
    }


class GraphError(TenantlabError):
    code = "BadRequest"
    status = 400

    def __init__(
        self, message: str, *, code: str | None = None, headers: dict[str, str] | None = None
    ) -> None:
        super().__init__(message)
        if code is not None:
            self.code = code
        self.headers = headers or {}


class InvalidAuthenticationToken(GraphError):
    code = "InvalidAuthenticationToken"
    status = 401


class AuthorizationRequestDenied(GraphError):
    code = "Authorization_RequestDenied"
    status = 403

    def __init__(self) -> None:
        super().__init__(INSUFFICIENT_PRIVILEGES)


class ResourceNotFound(GraphError):
    code = "Request_ResourceNotFound"
    status = 404


class InvalidRequest(GraphError):
    code = "Request_BadRequest"
    status = 400


class MethodNotAllowed(GraphError):
    code = "Request_BadRequest"
    status = 405


class SyncStateNotFound(GraphError):
    code = "SyncStateNotFound"
    status = 410

    def __init__(self) -> None:
        super().__init__(
            "The sync state generation is not found. The delta token is expired and data must "
            "be synchronized again."
        )


class TooManyRequests(GraphError):
    code = "TooManyRequests"
    status = 429
