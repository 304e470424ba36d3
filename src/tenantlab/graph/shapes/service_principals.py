"""`microsoft.graph.servicePrincipal`: an app's identity in a tenant, with its application's roles.

The source, `ServicePrincipalFacts`, reads the roles and scopes (its application's, or its own for
Microsoft's first-party apps) and its application's audience and description on first use, so a
page that selects `id,displayName` never looks them up.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import cached_property
from operator import attrgetter
from typing import TYPE_CHECKING, Any

from tenantlab.graph.shapes._shape import Selection, Shape, empty, null
from tenantlab.graph.shapes.applications import info, verified_publisher
from tenantlab.storage.schema import Application, ServicePrincipal

if TYPE_CHECKING:
    from tenantlab.directory.service import Directory

# Microsoft's first-party apps (Graph) are multi-tenant and have no application in the tenant.
FIRST_PARTY_AUDIENCE = "AzureADMultipleOrgs"
# Managed identities have no application in the tenant either, and belong to it alone.
MANAGED_IDENTITY = "ManagedIdentity"


@dataclass
class ServicePrincipalFacts:
    sp: ServicePrincipal
    read_app_roles: Callable[[], Sequence[dict[str, Any]]]
    read_scopes: Callable[[], Sequence[dict[str, Any]]]
    read_application: Callable[[], Application | None] = lambda: None

    @cached_property
    def application(self) -> Application | None:
        return self.read_application() if self.sp.application_id is not None else None

    @property
    def sign_in_audience(self) -> str:
        app = self.application
        if app is not None:
            return app.sign_in_audience
        if self.sp.service_principal_type == MANAGED_IDENTITY:
            return "AzureADMyOrg"
        return FIRST_PARTY_AUDIENCE

    @property
    def app_description(self) -> str | None:
        app = self.application
        return app.description if app is not None else None


def _sp(name: str) -> Callable[[ServicePrincipalFacts], Any]:
    read = attrgetter(name)
    return lambda facts: read(facts.sp)


SERVICE_PRINCIPAL: Shape[ServicePrincipalFacts] = Shape(
    "microsoft.graph.servicePrincipal",
    {
        "id": _sp("id"),
        "deletedDateTime": null,
        "accountEnabled": _sp("account_enabled"),
        "alternativeNames": lambda f: list(f.sp.alternative_names or ()),
        "appDisplayName": _sp("display_name"),
        "appDescription": attrgetter("app_description"),
        "appId": _sp("app_id"),
        "applicationTemplateId": null,
        "appOwnerOrganizationId": _sp("app_owner_organization_id"),
        "appRoleAssignmentRequired": _sp("app_role_assignment_required"),
        "description": null,
        "disabledByMicrosoftStatus": null,
        "displayName": _sp("display_name"),
        "homepage": null,
        "loginUrl": null,
        "logoutUrl": null,
        "notes": null,
        "notificationEmailAddresses": empty,
        "preferredSingleSignOnMode": null,
        "preferredTokenSigningKeyThumbprint": null,
        "replyUrls": empty,
        "servicePrincipalNames": lambda f: list(f.sp.service_principal_names),
        "servicePrincipalType": _sp("service_principal_type"),
        "signInAudience": attrgetter("sign_in_audience"),
        "tags": empty,
        "tokenEncryptionKeyId": null,
        "samlSingleSignOnSettings": null,
        "addIns": empty,
        "appRoles": lambda f: list(f.read_app_roles()),
        "info": info,
        "keyCredentials": empty,
        "oauth2PermissionScopes": lambda f: list(f.read_scopes()),
        "passwordCredentials": empty,
        "resourceSpecificApplicationPermissions": empty,
        "verifiedPublisher": verified_publisher,
    },
)


def service_principal_document(
    directory: Directory, sp: ServicePrincipal, selection: Selection = None
) -> dict[str, Any]:
    """The service principal with the roles, scopes and audience of its application."""
    facts = ServicePrincipalFacts(
        sp,
        read_app_roles=lambda: directory.effective_app_roles(sp),
        read_scopes=lambda: directory.effective_scopes(sp),
        read_application=lambda: directory.find_application_by_app_id(sp.app_id),
    )
    return SERVICE_PRINCIPAL.render(facts, selection)
