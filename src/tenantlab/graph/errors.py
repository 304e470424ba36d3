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

from tenantlab.errors import TenantlabError

INSUFFICIENT_PRIVILEGES = "Insufficient privileges to complete the operation."


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
