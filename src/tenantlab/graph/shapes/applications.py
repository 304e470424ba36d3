"""`microsoft.graph.application`: an app registration with Graph v1.0's full default property set.

Property names, nesting and defaults follow real Graph v1.0 responses: a property tenantlab does
not model is present with Graph's empty value. The source, `ApplicationFacts`, fetches the app's
credentials and its tenant's domain only when a selected property needs them.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from operator import attrgetter
from typing import TYPE_CHECKING, Any

from tenantlab.clock import iso_z
from tenantlab.graph.shapes._shape import Selection, Shape, empty, null
from tenantlab.graph.shapes.credentials import key_credential_json, password_credential_json
from tenantlab.storage.schema import Application, KeyCredential, PasswordCredential

if TYPE_CHECKING:
    from tenantlab.directory.service import Directory


@dataclass
class ApplicationFacts:
    """An application and, read on first use, what its JSON needs from related objects."""

    app: Application
    read_password_credentials: Callable[[], Iterable[PasswordCredential]] = tuple
    read_key_credentials: Callable[[], Iterable[KeyCredential]] = tuple
    read_publisher_domain: Callable[[], str | None] = lambda: None
    include_key: bool = False  # certificates' `key`: only when keyCredentials is $selected


def _optional_claims(value: dict[str, Any] | None) -> dict[str, Any] | None:
    """Graph shows null until optional claims are configured."""
    if not value or not any(value.get(k) for k in ("accessToken", "idToken", "saml2Token")):
        return None
    return {k: list(value.get(k) or []) for k in ("accessToken", "idToken", "saml2Token")}


def info(_: object) -> dict[str, Any]:
    return {
        "logoUrl": None,
        "marketingUrl": None,
        "privacyStatementUrl": None,
        "supportUrl": None,
        "termsOfServiceUrl": None,
    }


def verified_publisher(_: object) -> dict[str, Any]:
    return {"displayName": None, "verifiedPublisherId": None, "addedDateTime": None}


def _api(facts: ApplicationFacts) -> dict[str, Any]:
    return {
        "acceptMappedClaims": None,
        "knownClientApplications": [],
        "requestedAccessTokenVersion": facts.app.requested_access_token_version,
        "oauth2PermissionScopes": list(facts.app.oauth2_permission_scopes),
        "preAuthorizedApplications": [],
    }


def _web(_: object) -> dict[str, Any]:
    return {
        "homePageUrl": None,
        "logoutUrl": None,
        "redirectUris": [],
        "implicitGrantSettings": {
            "enableAccessTokenIssuance": False,
            "enableIdTokenIssuance": False,
        },
        "redirectUriSettings": [],
    }


def _app(name: str) -> Callable[[ApplicationFacts], Any]:
    read = attrgetter(name)
    return lambda facts: read(facts.app)


APPLICATION: Shape[ApplicationFacts] = Shape(
    "microsoft.graph.application",
    {
        "id": _app("id"),
        "deletedDateTime": null,
        "appId": _app("app_id"),
        "applicationTemplateId": null,
        "disabledByMicrosoftStatus": null,
        "createdDateTime": lambda f: iso_z(f.app.created_at),
        "displayName": _app("display_name"),
        "description": _app("description"),
        "groupMembershipClaims": _app("group_membership_claims"),
        "identifierUris": lambda f: list(f.app.identifier_uris),
        "isDeviceOnlyAuthSupported": null,
        "isFallbackPublicClient": null,
        "nativeAuthenticationApisEnabled": null,
        "notes": null,
        "publisherDomain": lambda f: f.read_publisher_domain(),
        "serviceManagementReference": null,
        "signInAudience": _app("sign_in_audience"),
        "tags": empty,
        "tokenEncryptionKeyId": null,
        "uniqueName": null,
        "samlMetadataUrl": null,
        "defaultRedirectUri": null,
        "certification": null,
        "optionalClaims": lambda f: _optional_claims(f.app.optional_claims),
        "servicePrincipalLockConfiguration": null,
        "requestSignatureVerification": null,
        "addIns": empty,
        "api": _api,
        "appRoles": lambda f: list(f.app.app_roles),
        "info": info,
        "keyCredentials": lambda f: [
            key_credential_json(k, include_key=f.include_key) for k in f.read_key_credentials()
        ],
        "parentalControlSettings": lambda _: {
            "countriesBlockedForMinors": [],
            "legalAgeGroupRule": "Allow",
        },
        "passwordCredentials": lambda f: [
            password_credential_json(p) for p in f.read_password_credentials()
        ],
        "publicClient": lambda _: {"redirectUris": []},
        "requiredResourceAccess": lambda f: list(f.app.required_resource_access),
        "verifiedPublisher": verified_publisher,
        "web": _web,
        "spa": lambda _: {"redirectUris": []},
    },
)


def application_json(
    app: Application,
    *,
    password_credentials: Iterable[PasswordCredential] = (),
    key_credentials: Iterable[KeyCredential] = (),
    publisher_domain: str | None = None,
) -> dict[str, Any]:
    """An application from rows already at hand (every property)."""
    facts = ApplicationFacts(
        app,
        read_password_credentials=lambda: password_credentials,
        read_key_credentials=lambda: key_credentials,
        read_publisher_domain=lambda: publisher_domain,
    )
    return APPLICATION.render(facts)


def application_document(
    directory: Directory, app: Application, selection: Selection = None
) -> dict[str, Any]:
    """The application with its credentials and its tenant's initial domain, read only if
    selected; certificates' `key` only when the selection names keyCredentials (as Graph)."""

    def publisher_domain() -> str | None:
        domains = directory.tenant_domains(app.tenant_id)
        return domains[0] if domains else None

    facts = ApplicationFacts(
        app,
        read_password_credentials=lambda: directory.password_credentials(app.id),
        read_key_credentials=lambda: directory.key_credentials(app.id),
        read_publisher_domain=publisher_domain,
        include_key=selection is not None and "keyCredentials" in selection,
    )
    return APPLICATION.render(facts, selection)
