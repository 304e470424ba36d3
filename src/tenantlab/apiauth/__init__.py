"""Token validation for APIs protected by Microsoft Entra ID (or tenantlab's emulation of it).

Public: put `ApiGuard` in front of your own FastAPI routes. Keys are learnt over HTTPS from the
authority's OpenID metadata, never from the directory: the same code protects an API in a real
tenant. Details and the checks performed: docs/apiauth.md.
"""

from tenantlab.apiauth.errors import (
    ApiAuthError,
    AuthorityUnavailable,
    InsufficientScope,
    InvalidToken,
    MissingToken,
)
from tenantlab.apiauth.groups import GraphGroups
from tenantlab.apiauth.guard import (
    ApiGuard,
    Authenticator,
    BearerAuthenticator,
    Permission,
    document_bearer_security,
    error_response,
    principal_of,
    requires,
)
from tenantlab.apiauth.keys import VerificationKey
from tenantlab.apiauth.metadata import AuthorityMetadata, KeySource, Metadata
from tenantlab.apiauth.principal import Principal
from tenantlab.apiauth.settings import TokenValidationSettings
from tenantlab.apiauth.validator import TokenValidator

__all__ = [
    "ApiAuthError",
    "ApiGuard",
    "Authenticator",
    "AuthorityMetadata",
    "AuthorityUnavailable",
    "BearerAuthenticator",
    "GraphGroups",
    "InsufficientScope",
    "InvalidToken",
    "KeySource",
    "Metadata",
    "MissingToken",
    "Permission",
    "Principal",
    "TokenValidationSettings",
    "TokenValidator",
    "VerificationKey",
    "document_bearer_security",
    "error_response",
    "principal_of",
    "requires",
]
