"""Why a request was refused, and how the refusal looks on the wire (RFC 6750 §3).

    TenantlabError
    └── ApiAuthError
        ├── InvalidToken           401  WWW-Authenticate: Bearer error="invalid_token"
        │   └── MissingToken       401  WWW-Authenticate: Bearer   (no error code, RFC 6750 §3.1)
        ├── InsufficientScope      403  WWW-Authenticate: Bearer error="insufficient_scope"
        └── AuthorityUnavailable   503  the signing keys could not be loaded at all

`reason` is a short code for the log (never the token); the response text is generic so that a
caller learns nothing about which check failed.
"""

from __future__ import annotations

from tenantlab.errors import TenantlabError


class ApiAuthError(TenantlabError):
    status_code = 500
    error = "server_error"
    description = "The request could not be authorized."

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason

    def www_authenticate(self) -> str | None:
        return None


class InvalidToken(ApiAuthError):
    """Authentication failed: the token is missing, malformed, forged, expired or not ours."""

    status_code = 401
    error = "invalid_token"
    description = "The access token is missing, invalid or expired."

    def www_authenticate(self) -> str:
        return f'Bearer error="{self.error}", error_description="{self.description}"'


class MissingToken(InvalidToken):
    """No bearer credentials at all: RFC 6750 §3.1 says not to send an error code then."""

    def www_authenticate(self) -> str:
        return "Bearer"


class InsufficientScope(ApiAuthError):
    """The token is valid but grants none of the permissions the route accepts."""

    status_code = 403
    error = "insufficient_scope"
    description = "The access token does not grant the permission this operation requires."

    def __init__(self, reason: str, accepted: tuple[str, ...] = ()) -> None:
        super().__init__(reason)
        self.accepted = accepted

    def www_authenticate(self) -> str:
        value = f'Bearer error="{self.error}", error_description="{self.description}"'
        if self.accepted:
            value += f', scope="{" ".join(self.accepted)}"'
        return value


class AuthorityUnavailable(ApiAuthError):
    """The authority's metadata or keys could not be fetched and none are cached yet."""

    status_code = 503
    error = "temporarily_unavailable"
    description = "The token issuer's signing keys are not available; try again later."

    def __init__(self, reason: str, metadata_url: str | None = None) -> None:
        super().__init__(reason)
        self.metadata_url = metadata_url
        if metadata_url:
            # The authority's discovery URL is public; naming it is what lets an operator see
            # a wrong instance or tenant from the client's side (a daemon prints it).
            self.description = (
                "The token issuer's signing keys are not available: could not load "
                f"{metadata_url}; check the API's authority (instance and tenant) "
                "or try again later."
            )
