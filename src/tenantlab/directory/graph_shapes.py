"""Directory objects rendered as Microsoft Graph v1.0 returns them: one place for Graph and the CLI.

Property names, nesting and defaults follow real Graph v1.0 responses (not the smaller sets some
emulators pick): a property tenantlab does not model is present with Graph's empty value (null,
[] or its default object), so clients that read it find what they would find in Entra.
Timestamps are ISO 8601 UTC with `Z`. No secret is rendered except a new secret's `secretText`,
which only `password_credential_json(..., secret_text=...)` emits, once, at creation.

These functions take rows plus what they need to know about related objects; they never query.
`application_document` / `service_principal_document` are the conveniences that gather those.
"""

from __future__ import annotations

import base64
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any

from tenantlab.clock import iso_z
from tenantlab.directory.errors import ValidationFailed
from tenantlab.storage.schema import (
    Application,
    AppRoleAssignment,
    FederatedIdentityCredential,
    KeyCredential,
    OAuth2PermissionGrant,
    PasswordCredential,
    ServicePrincipal,
    Tenant,
    User,
)

if TYPE_CHECKING:
    from tenantlab.directory.service import Directory

# `GET /users` without $select returns exactly these (Graph's default property set).
USER_DEFAULT_PROPERTIES = (
    "businessPhones",
    "displayName",
    "givenName",
    "jobTitle",
    "mail",
    "mobilePhone",
    "officeLocation",
    "preferredLanguage",
    "surname",
    "userPrincipalName",
    "id",
)


# -- credentials --------------------------------------------------------------------------------


def password_credential_json(
    credential: PasswordCredential, *, secret_text: str | None = None
) -> dict[str, Any]:
    """A passwordCredential; `secretText` is null except in the response that creates it."""
    return {
        "customKeyIdentifier": None,
        "displayName": credential.display_name,
        "endDateTime": iso_z(credential.end_at),
        "hint": credential.hint,
        "keyId": credential.key_id,
        "secretText": secret_text,
        "startDateTime": iso_z(credential.start_at),
    }


def key_credential_json(credential: KeyCredential, *, include_key: bool = False) -> dict[str, Any]:
    """A keyCredential; Graph returns `key` (base64 DER) only when `$select`ed, else null."""
    return {
        "customKeyIdentifier": credential.thumbprint_sha1,
        "displayName": credential.display_name,
        "endDateTime": iso_z(credential.end_at),
        "key": base64.b64encode(credential.key).decode("ascii") if include_key else None,
        "keyId": credential.key_id,
        "startDateTime": iso_z(credential.start_at),
        "type": credential.type,
        "usage": credential.usage,
    }


def federated_credential_json(credential: FederatedIdentityCredential) -> dict[str, Any]:
    return {
        "audiences": list(credential.audiences),
        "description": credential.description,
        "id": credential.id,
        "issuer": credential.issuer,
        "name": credential.name,
        "subject": credential.subject,
    }


# -- applications -------------------------------------------------------------------------------


def _optional_claims(value: dict[str, Any] | None) -> dict[str, Any] | None:
    """Graph shows null until optional claims are configured."""
    if not value or not any(value.get(k) for k in ("accessToken", "idToken", "saml2Token")):
        return None
    return {k: list(value.get(k) or []) for k in ("accessToken", "idToken", "saml2Token")}


def application_json(
    app: Application,
    *,
    password_credentials: Iterable[PasswordCredential] = (),
    key_credentials: Iterable[KeyCredential] = (),
    publisher_domain: str | None = None,
) -> dict[str, Any]:
    """An application (app registration) with Graph v1.0's full default property set."""
    return {
        "id": app.id,
        "deletedDateTime": None,
        "appId": app.app_id,
        "applicationTemplateId": None,
        "disabledByMicrosoftStatus": None,
        "createdDateTime": iso_z(app.created_at),
        "displayName": app.display_name,
        "description": app.description,
        "groupMembershipClaims": None,
        "identifierUris": list(app.identifier_uris),
        "isDeviceOnlyAuthSupported": None,
        "isFallbackPublicClient": None,
        "nativeAuthenticationApisEnabled": None,
        "notes": None,
        "publisherDomain": publisher_domain,
        "serviceManagementReference": None,
        "signInAudience": app.sign_in_audience,
        "tags": [],
        "tokenEncryptionKeyId": None,
        "uniqueName": None,
        "samlMetadataUrl": None,
        "defaultRedirectUri": None,
        "certification": None,
        "optionalClaims": _optional_claims(app.optional_claims),
        "servicePrincipalLockConfiguration": None,
        "requestSignatureVerification": None,
        "addIns": [],
        "api": {
            "acceptMappedClaims": None,
            "knownClientApplications": [],
            "requestedAccessTokenVersion": app.requested_access_token_version,
            "oauth2PermissionScopes": list(app.oauth2_permission_scopes),
            "preAuthorizedApplications": [],
        },
        "appRoles": list(app.app_roles),
        "info": {
            "logoUrl": None,
            "marketingUrl": None,
            "privacyStatementUrl": None,
            "supportUrl": None,
            "termsOfServiceUrl": None,
        },
        "keyCredentials": [key_credential_json(k) for k in key_credentials],
        "parentalControlSettings": {"countriesBlockedForMinors": [], "legalAgeGroupRule": "Allow"},
        "passwordCredentials": [password_credential_json(p) for p in password_credentials],
        "publicClient": {"redirectUris": []},
        "requiredResourceAccess": list(app.required_resource_access),
        "verifiedPublisher": {
            "displayName": None,
            "verifiedPublisherId": None,
            "addedDateTime": None,
        },
        "web": {
            "homePageUrl": None,
            "logoutUrl": None,
            "redirectUris": [],
            "implicitGrantSettings": {
                "enableAccessTokenIssuance": False,
                "enableIdTokenIssuance": False,
            },
            "redirectUriSettings": [],
        },
        "spa": {"redirectUris": []},
    }


def service_principal_json(
    sp: ServicePrincipal,
    *,
    app_roles: Sequence[dict[str, Any]],
    oauth2_permission_scopes: Sequence[dict[str, Any]],
    sign_in_audience: str,
    app_description: str | None = None,
) -> dict[str, Any]:
    """A service principal; roles and scopes are its application's (or its own, first-party)."""
    first_party = sp.application_id is None
    return {
        "id": sp.id,
        "deletedDateTime": None,
        "accountEnabled": sp.account_enabled,
        "alternativeNames": [],
        "appDisplayName": sp.display_name,
        "appDescription": app_description,
        "appId": sp.app_id,
        "applicationTemplateId": None,
        "appOwnerOrganizationId": sp.app_owner_organization_id,
        "appRoleAssignmentRequired": sp.app_role_assignment_required,
        "createdDateTime": None if first_party else iso_z(sp.created_at),
        "description": None,
        "disabledByMicrosoftStatus": None,
        "displayName": sp.display_name,
        "homepage": None,
        "loginUrl": None,
        "logoutUrl": None,
        "notes": None,
        "notificationEmailAddresses": [],
        "preferredSingleSignOnMode": None,
        "preferredTokenSigningKeyThumbprint": None,
        "replyUrls": [],
        "servicePrincipalNames": list(sp.service_principal_names),
        "servicePrincipalType": sp.service_principal_type,
        "signInAudience": sign_in_audience,
        "tags": [],
        "tokenEncryptionKeyId": None,
        "samlSingleSignOnSettings": None,
        "addIns": [],
        "appRoles": list(app_roles),
        "info": {
            "logoUrl": None,
            "marketingUrl": None,
            "privacyStatementUrl": None,
            "supportUrl": None,
            "termsOfServiceUrl": None,
        },
        "keyCredentials": [],
        "oauth2PermissionScopes": list(oauth2_permission_scopes),
        "passwordCredentials": [],
        "resourceSpecificApplicationPermissions": [],
        "verifiedPublisher": {
            "displayName": None,
            "verifiedPublisherId": None,
            "addedDateTime": None,
        },
    }


def app_role_assignment_json(
    assignment: AppRoleAssignment, *, principal: ServicePrincipal, resource: ServicePrincipal
) -> dict[str, Any]:
    """Admin consent to an app permission (`/servicePrincipals/{id}/appRoleAssignments`)."""
    return {
        "id": assignment.id,
        "deletedDateTime": None,
        "appRoleId": assignment.app_role_id,
        "createdDateTime": iso_z(assignment.created_at),
        "principalDisplayName": principal.display_name,
        "principalId": assignment.principal_id,
        "principalType": assignment.principal_type,
        "resourceDisplayName": resource.display_name,
        "resourceId": assignment.resource_id,
    }


def oauth2_permission_grant_json(grant: OAuth2PermissionGrant) -> dict[str, Any]:
    """Delegated admin consent for all users (consentType AllPrincipals, principalId null)."""
    return {
        "clientId": grant.client_id,
        "consentType": grant.consent_type,
        "id": grant.id,
        "principalId": None,
        "resourceId": grant.resource_id,
        "scope": grant.scope,
    }


# -- users ----------------------------------------------------------------------------------------


def _user_properties(user: User) -> dict[str, Any]:
    return {
        "id": user.id,
        "accountEnabled": user.account_enabled,
        "businessPhones": list(user.business_phones),
        "createdDateTime": iso_z(user.created_at),
        "creationType": None,
        "deletedDateTime": None,
        "displayName": user.display_name,
        "externalUserState": None,
        "givenName": user.given_name,
        "jobTitle": user.job_title,
        "mail": user.mail,
        "mailNickname": user.mail_nickname,
        "mobilePhone": user.mobile_phone,
        "officeLocation": user.office_location,
        "preferredLanguage": user.preferred_language,
        "surname": user.surname,
        "userPrincipalName": user.user_principal_name,
        "userType": user.user_type,
    }


USER_PROPERTIES = tuple(
    sorted(
        {
            "id",
            "accountEnabled",
            "businessPhones",
            "createdDateTime",
            "creationType",
            "deletedDateTime",
            "displayName",
            "externalUserState",
            "givenName",
            "jobTitle",
            "mail",
            "mailNickname",
            "mobilePhone",
            "officeLocation",
            "preferredLanguage",
            "surname",
            "userPrincipalName",
            "userType",
        }
    )
)


def user_json(user: User, select: Sequence[str] | None = None) -> dict[str, Any]:
    """A user with Graph's default property set, or the `$select`ed properties (`id` always).

    An unknown property name fails the way Graph's does (400, naming the property).
    """
    everything = _user_properties(user)
    if not select:
        return {name: everything[name] for name in USER_DEFAULT_PROPERTIES}
    by_lower = {name.lower(): name for name in everything}
    chosen: list[str] = []
    for wanted in select:
        name = by_lower.get(wanted.strip().lower())
        if name is None:
            raise ValidationFailed(
                f"Could not find a property named '{wanted.strip()}' on type "
                "'microsoft.graph.user'."
            )
        chosen.append(name)
    if "id" not in chosen:
        chosen.append("id")
    return {name: everything[name] for name in dict.fromkeys(chosen)}


# -- tenants --------------------------------------------------------------------------------------


def organization_json(tenant: Tenant, domains: Sequence[str]) -> dict[str, Any]:
    """The tenant as Graph's `organization` (`/organization`); domains: the initial one first."""
    return {
        "id": tenant.id,
        "deletedDateTime": None,
        "businessPhones": [],
        "city": None,
        "country": None,
        "countryLetterCode": None,
        "createdDateTime": iso_z(tenant.created_at),
        "defaultUsageLocation": None,
        "displayName": tenant.display_name,
        "isMultipleDataLocationsForServicesEnabled": None,
        "marketingNotificationEmails": [],
        "onPremisesLastSyncDateTime": None,
        "onPremisesSyncEnabled": None,
        "partnerTenantType": None,
        "postalCode": None,
        "preferredLanguage": None,
        "securityComplianceNotificationMails": [],
        "securityComplianceNotificationPhones": [],
        "state": None,
        "street": None,
        "technicalNotificationMails": [],
        "tenantType": "CIAM" if tenant.tenant_type == "external" else "AAD",
        "directorySizeQuota": None,
        "privacyProfile": None,
        "assignedPlans": [],
        "onPremisesProvisioningErrors": [],
        "provisionedPlans": [],
        "verifiedDomains": [
            {
                "capabilities": "Email, OfficeCommunicationsOnline",
                "isDefault": index == 0,
                "isInitial": index == 0,
                "name": name,
                "type": "Managed",
            }
            for index, name in enumerate(domains)
        ],
    }


# -- conveniences that gather related objects -----------------------------------------------------


def application_document(directory: Directory, app: Application) -> dict[str, Any]:
    """`application_json` with the app's credentials and its tenant's initial domain."""
    domains = directory.tenant_domains(app.tenant_id)
    return application_json(
        app,
        password_credentials=directory.password_credentials(app.id),
        key_credentials=directory.key_credentials(app.id),
        publisher_domain=domains[0] if domains else None,
    )


def service_principal_document(directory: Directory, sp: ServicePrincipal) -> dict[str, Any]:
    """`service_principal_json` with the roles, scopes and audience of its application."""
    audience = "AzureADMultipleOrgs"  # Microsoft's first-party apps (Graph) are multi-tenant
    description = None
    if sp.application_id is not None:
        app = directory.find_application_by_app_id(sp.app_id)
        if app is not None:
            audience = app.sign_in_audience
            description = app.description
    return service_principal_json(
        sp,
        app_roles=directory.effective_app_roles(sp),
        oauth2_permission_scopes=directory.effective_scopes(sp),
        sign_in_audience=audience,
        app_description=description,
    )


__all__ = [
    "USER_DEFAULT_PROPERTIES",
    "USER_PROPERTIES",
    "app_role_assignment_json",
    "application_document",
    "application_json",
    "federated_credential_json",
    "key_credential_json",
    "oauth2_permission_grant_json",
    "organization_json",
    "password_credential_json",
    "service_principal_document",
    "service_principal_json",
    "user_json",
]
