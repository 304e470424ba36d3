"""The directory: Entra's object model (tenants, applications, service principals, consent, users).

No HTTP here: the STS, Graph, the CLI and the portal all go through `Directory`.
"""

from tenantlab.directory.credentials import NewSecret, secret_matches
from tenantlab.directory.errors import (
    ApplicationNotFound,
    AppRoleNotFound,
    Conflict,
    CredentialNotFound,
    DirectoryError,
    HostNameNotOnVerifiedDomain,
    NotFound,
    ServicePrincipalNotFound,
    TenantNotFound,
    UserNotFound,
    ValidationFailed,
)
from tenantlab.directory.service import Directory
from tenantlab.directory.tenants import LockoutPolicy

__all__ = [
    "AppRoleNotFound",
    "ApplicationNotFound",
    "Conflict",
    "CredentialNotFound",
    "Directory",
    "DirectoryError",
    "HostNameNotOnVerifiedDomain",
    "LockoutPolicy",
    "NewSecret",
    "NotFound",
    "ServicePrincipalNotFound",
    "TenantNotFound",
    "UserNotFound",
    "ValidationFailed",
    "secret_matches",
]
