"""The directory: Entra's object model (tenants, applications, service principals, consent, users).

No HTTP here: the STS, Graph, the CLI and the portal all go through `Directory`.
"""

from tenantlab.directory.credentials import NewSecret
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
from tenantlab.directory.groups import GroupNotFound
from tenantlab.directory.memberships import DirectoryObject, DirectoryObjectNotFound
from tenantlab.directory.secret_digests import SecretDigests, holds_peppered_digests
from tenantlab.directory.service import Directory
from tenantlab.directory.tenants import LockoutPolicy

__all__ = [
    "AppRoleNotFound",
    "ApplicationNotFound",
    "Conflict",
    "CredentialNotFound",
    "Directory",
    "DirectoryError",
    "DirectoryObject",
    "DirectoryObjectNotFound",
    "GroupNotFound",
    "HostNameNotOnVerifiedDomain",
    "LockoutPolicy",
    "NewSecret",
    "NotFound",
    "SecretDigests",
    "ServicePrincipalNotFound",
    "TenantNotFound",
    "UserNotFound",
    "ValidationFailed",
    "holds_peppered_digests",
]
