"""`microsoft.graph.organization`: a tenant as `/organization` shows it."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from tenantlab.clock import iso_z
from tenantlab.graph.shapes._shape import Shape, empty, null
from tenantlab.storage.schema import Tenant


@dataclass(frozen=True)
class OrganizationFacts:
    tenant: Tenant
    domains: Sequence[str]  # the initial domain first


def _verified_domains(facts: OrganizationFacts) -> list[dict[str, Any]]:
    return [
        {
            "capabilities": "Email, OfficeCommunicationsOnline",
            "isDefault": index == 0,
            "isInitial": index == 0,
            "name": name,
            "type": "Managed",
        }
        for index, name in enumerate(facts.domains)
    ]


ORGANIZATION: Shape[OrganizationFacts] = Shape(
    "microsoft.graph.organization",
    {
        "id": lambda f: f.tenant.id,
        "deletedDateTime": null,
        "businessPhones": empty,
        "city": null,
        "country": null,
        "countryLetterCode": null,
        "createdDateTime": lambda f: iso_z(f.tenant.created_at),
        "defaultUsageLocation": null,
        "displayName": lambda f: f.tenant.display_name,
        "isMultipleDataLocationsForServicesEnabled": null,
        "marketingNotificationEmails": empty,
        "onPremisesLastSyncDateTime": null,
        "onPremisesSyncEnabled": null,
        "partnerTenantType": null,
        "postalCode": null,
        "preferredLanguage": null,
        "securityComplianceNotificationMails": empty,
        "securityComplianceNotificationPhones": empty,
        "state": null,
        "street": null,
        "technicalNotificationMails": empty,
        "tenantType": lambda f: "CIAM" if f.tenant.tenant_type == "external" else "AAD",
        "directorySizeQuota": null,
        "privacyProfile": null,
        "assignedPlans": empty,
        "onPremisesProvisioningErrors": empty,
        "provisionedPlans": empty,
        "verifiedDomains": _verified_domains,
    },
)


def organization_json(tenant: Tenant, domains: Sequence[str]) -> dict[str, Any]:
    """The tenant as Graph's `organization`; domains: the initial one first."""
    return ORGANIZATION.render(OrganizationFacts(tenant, domains))
