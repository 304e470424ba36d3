"""The directory service: one object that every front end (STS, Graph, CLI, portal) goes through."""

from __future__ import annotations

from tenantlab.directory.applications import ApplicationsMixin
from tenantlab.directory.changes import ChangesMixin
from tenantlab.directory.credentials import CredentialsMixin
from tenantlab.directory.managed_identities import ManagedIdentitiesMixin
from tenantlab.directory.management import ManagementMixin
from tenantlab.directory.memberships import MembershipsMixin
from tenantlab.directory.principals import PrincipalsMixin
from tenantlab.directory.queries import QueriesMixin
from tenantlab.directory.tenants import TenantsMixin
from tenantlab.directory.users import UsersMixin


class Directory(
    ManagementMixin,
    QueriesMixin,
    ChangesMixin,
    TenantsMixin,
    ApplicationsMixin,
    CredentialsMixin,
    PrincipalsMixin,
    ManagedIdentitiesMixin,
    UsersMixin,
    MembershipsMixin,
):
    """Entra's object model over the database: one set of rules for every caller."""
