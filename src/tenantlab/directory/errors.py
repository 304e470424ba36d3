"""Directory errors: what Entra / Graph would refuse, with Graph's code and status.

DirectoryError                    400 Request_BadRequest
├── ValidationFailed              400 Request_BadRequest (a property value Entra rejects)
│   └── HostNameNotOnVerifiedDomain  400 HostNameNotOnVerifiedDomain (identifierUris)
├── Conflict                      400 Request_BadRequest (another object has that value)
└── NotFound                      404 Request_ResourceNotFound
    ├── TenantNotFound
    ├── ApplicationNotFound
    ├── ServicePrincipalNotFound
    ├── UserNotFound
    ├── CredentialNotFound
    └── AppRoleNotFound
"""

from __future__ import annotations

from tenantlab.errors import TenantlabError


class DirectoryError(TenantlabError):
    code = "Request_BadRequest"
    status = 400


class ValidationFailed(DirectoryError):
    """A value Entra would not accept; the message says which and why."""


class HostNameNotOnVerifiedDomain(ValidationFailed):
    """An identifier URI whose host is not one of the tenant's verified domains."""

    code = "HostNameNotOnVerifiedDomain"


class Conflict(DirectoryError):
    """Another object already holds a value that must be unique."""


class NotFound(DirectoryError):
    code = "Request_ResourceNotFound"
    status = 404


class TenantNotFound(NotFound):
    def __init__(self, tenant: str) -> None:
        super().__init__(f"tenant '{tenant}' not found (list tenants with `tenantlab tenant list`)")
        self.tenant = tenant


class ApplicationNotFound(NotFound):
    pass


class ServicePrincipalNotFound(NotFound):
    pass


class UserNotFound(NotFound):
    pass


class CredentialNotFound(NotFound):
    pass


class AppRoleNotFound(NotFound):
    pass
