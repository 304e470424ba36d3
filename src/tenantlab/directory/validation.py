"""Entra's rules for property values, each failing with a message that says what to change."""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any
from urllib.parse import urlsplit

from tenantlab.directory.errors import HostNameNotOnVerifiedDomain, ValidationFailed
from tenantlab.ids import is_guid

SIGN_IN_AUDIENCES = (
    "AzureADMyOrg",
    "AzureADMultipleOrgs",
    "AzureADandPersonalMicrosoftAccount",
    "PersonalMicrosoftAccount",
)
MAX_FEDERATED_CREDENTIALS = 20
MAX_SECRET_MONTHS = 24
# Entra's allowed characters for appRole / scope values: printable ASCII without space or quote.
_CLAIM_VALUE = re.compile(r"^[A-Za-z0-9!#$%&'()*+,\-./:;<=>?@\[\]^_`{|}~]+$")
_DOMAIN_LABEL = re.compile(r"^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$")
_FIC_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{2,119}$")
# Domains Microsoft owns, with every subdomain (graph.microsoft.com, login.microsoftonline.com,
# vault.azure.net, ...): no tenant's identifier URI may use them.
MICROSOFT_DOMAINS = (
    "microsoft.com",
    "microsoftonline.com",
    "microsoftonline-p.com",
    "windows.net",
    "windows.com",
    "azure.com",
    "azure.net",
    "azure-api.net",
    "azurewebsites.net",
    "office.com",
    "office365.com",
    "office.net",
    "sharepoint.com",
    "live.com",
    "outlook.com",
    "dynamics.com",
    "visualstudio.com",
    "ciamlogin.com",
    "b2clogin.com",
    "msidentity.com",
    "chinacloudapi.cn",
    "usgovcloudapi.net",
)


def display_name(value: Any, what: str = "displayName") -> str:
    if not isinstance(value, str) or not value.strip():
        raise ValidationFailed(f"{what} is required and must be a non-empty string")
    if len(value) > 256:
        raise ValidationFailed(f"{what} must be at most 256 characters")
    return value.strip()


def sign_in_audience(value: str) -> str:
    if value not in SIGN_IN_AUDIENCES:
        raise ValidationFailed(
            f"signInAudience '{value}' is not valid; use one of {', '.join(SIGN_IN_AUDIENCES)}"
        )
    return value


def domain_name(value: str) -> str:
    name = value.strip().lower().rstrip(".")
    labels = name.split(".")
    if len(name) > 253 or len(labels) < 2 or not all(_DOMAIN_LABEL.match(x) for x in labels):
        raise ValidationFailed(
            f"'{value}' is not a valid domain name (for example contoso.onmicrosoft.com)"
        )
    if is_guid(name):
        raise ValidationFailed("a domain name cannot be a GUID")
    return name


def claim_value(value: Any, what: str) -> str:
    """appRole and scope values end up in `roles` / `scp`: no spaces, restricted characters."""
    if not isinstance(value, str) or not value:
        raise ValidationFailed(f"{what} value is required")
    if len(value) > 120:
        raise ValidationFailed(f"{what} value '{value[:40]}...' is longer than 120 characters")
    if " " in value or not _CLAIM_VALUE.match(value):
        raise ValidationFailed(
            f"{what} value '{value}' is not valid: it cannot contain spaces, and may use only "
            "letters, digits and the symbols "
            "! # $ % & ' ( ) * + , - . / : ; < = > ? @ [ ] ^ _ ` { | } ~"
        )
    if value.startswith("."):
        raise ValidationFailed(f"{what} value '{value}' cannot start with '.'")
    return value


def token_version(value: Any) -> int | None:
    if value is None or value in (1, 2):
        return value  # type: ignore[no-any-return]
    raise ValidationFailed("api.requestedAccessTokenVersion must be null, 1 or 2")


def identifier_uri(value: Any) -> str:
    """The shape Entra accepts for an Application ID URI (ownership is `owned_identifier_uri`)."""
    if not isinstance(value, str) or not value or len(value) > 255:
        raise ValidationFailed("an identifierUri must be a non-empty string of at most 255 chars")
    if any(c.isspace() for c in value) or "*" in value or "#" in value:
        raise ValidationFailed(
            f"identifierUri '{value}' is not valid: no spaces, wildcards or fragments"
        )
    scheme = value.split(":", 1)[0].lower()
    if scheme not in ("api", "https", "urn", "http"):
        raise ValidationFailed(
            f"identifierUri '{value}' must use the api://, https:// or urn: scheme "
            "(for example api://{appId})"
        )
    if scheme in ("api", "https", "http"):
        parts = urlsplit(value)
        if not parts.netloc:
            raise ValidationFailed(f"identifierUri '{value}' has no host part")
        if parts.query:
            raise ValidationFailed(f"identifierUri '{value}' cannot have a query string")
    if value.endswith("/"):
        raise ValidationFailed(f"identifierUri '{value}' must not end with a slash")
    return value


def microsoft_host(host: str) -> bool:
    """Host names Microsoft owns (graph.microsoft.com, ...): never a tenant's to claim.

    A tenant's initial domain (contoso.onmicrosoft.com) is its own, not Microsoft's.
    """
    name = host.lower().rstrip(".")
    if name == "onmicrosoft.com":
        return True
    return any(name == d or name.endswith("." + d) for d in MICROSOFT_DOMAINS)


def _on_domains(host: str, domains: Sequence[str]) -> bool:
    return any(host == d or host.endswith("." + d) for d in domains)


def _api_guid_host(uri: str) -> str | None:
    """The GUID right after `api://` (api://{appId}, api://{tenantId}/...), if there is one."""
    parts = urlsplit(uri)
    if parts.scheme.lower() != "api":
        return None
    host = parts.netloc.lower()
    return host if is_guid(host) else None


def owned_identifier_uri(
    uri: str, *, app_id: str, tenant_id: str | None, domains: Sequence[str]
) -> str:
    """Entra's rules for who may claim an identifier URI (after `identifier_uri` accepted it).

    - a GUID after api:// must be the app's own appId or its tenant's id;
    - api:// names with a dotted host, and every http(s):// URI, must be on one of the tenant's
      verified domains or a subdomain of one (HostNameNotOnVerifiedDomain);
    - Microsoft's host names (graph.microsoft.com, ...) are never a tenant's.
    """
    parts = urlsplit(uri)
    scheme = parts.scheme.lower()
    if scheme == "urn":
        return uri
    host = (parts.hostname or "").lower()
    own = [d.lower() for d in domains]
    hint = f"use api://{app_id} or a host on one of this tenant's domains ({', '.join(own)})"
    if microsoft_host(host):
        raise HostNameNotOnVerifiedDomain(
            "Values of identifierUris property must use a verified domain of the organization "
            f"or its subdomain: '{uri}' ({host} belongs to Microsoft; {hint})"
        )
    guid = _api_guid_host(uri)
    if guid is not None:
        if guid not in (app_id.lower(), (tenant_id or "").lower()):
            raise ValidationFailed(
                f"identifierUri '{uri}' is not valid: a GUID after api:// must be this "
                f"application's appId or its tenant's id; use api://{app_id}"
            )
        return uri
    if scheme == "api" and "." not in host:
        return uri  # api://todo: an arbitrary name, unique per tenant (multi-tenant: everywhere)
    if not _on_domains(host, own):
        raise HostNameNotOnVerifiedDomain(
            "Values of identifierUris property must use a verified domain of the organization "
            f"or its subdomain: '{uri}' ({hint})"
        )
    return uri


def may_name_resource(uri: str, *, app_id: str, tenant_id: str) -> bool:
    """Whether a (possibly stored before these rules) identifier URI can name this app's API.

    The token service uses it so that a name squatted in an old database never resolves to the
    squatter: api://{another app's appId} and Microsoft's hosts belong to their owners.
    """
    parts = urlsplit(uri)
    if parts.scheme.lower() in ("api", "https", "http") and microsoft_host(parts.hostname or ""):
        return False
    guid = _api_guid_host(uri)
    return guid is None or guid in (app_id.lower(), tenant_id.lower())


def app_roles(roles: Any) -> list[dict[str, Any]]:
    if not isinstance(roles, list):
        raise ValidationFailed("appRoles must be a list")
    seen_values: set[str] = set()
    seen_ids: set[str] = set()
    result = []
    for role in roles:
        if not isinstance(role, dict):
            raise ValidationFailed("each appRole must be an object")
        value = claim_value(role.get("value"), "appRole")
        role_id = str(role.get("id", ""))
        if not is_guid(role_id):
            raise ValidationFailed(f"appRole '{value}' needs an id that is a GUID")
        members = role.get("allowedMemberTypes") or []
        if not members or not set(members) <= {"User", "Application"}:
            raise ValidationFailed(
                f"appRole '{value}': allowedMemberTypes must be ['Application'], ['User'] or both"
            )
        if value.lower() in seen_values:
            raise ValidationFailed(f"appRole value '{value}' is used twice; values must be unique")
        if role_id in seen_ids:
            raise ValidationFailed(f"appRole id '{role_id}' is used twice")
        seen_values.add(value.lower())
        seen_ids.add(role_id)
        result.append(
            {
                "allowedMemberTypes": list(members),
                "description": role.get("description") or role.get("displayName") or value,
                "displayName": role.get("displayName") or value,
                "id": role_id,
                "isEnabled": bool(role.get("isEnabled", True)),
                "origin": "Application",
                "value": value,
            }
        )
    return result


def permission_scopes(scopes: Any) -> list[dict[str, Any]]:
    if not isinstance(scopes, list):
        raise ValidationFailed("oauth2PermissionScopes must be a list")
    seen: set[str] = set()
    result = []
    for scope in scopes:
        if not isinstance(scope, dict):
            raise ValidationFailed("each oauth2PermissionScope must be an object")
        value = claim_value(scope.get("value"), "oauth2PermissionScope")
        scope_id = str(scope.get("id", ""))
        if not is_guid(scope_id):
            raise ValidationFailed(f"oauth2PermissionScope '{value}' needs an id that is a GUID")
        if value.lower() in seen:
            raise ValidationFailed(f"scope value '{value}' is used twice; values must be unique")
        seen.add(value.lower())
        kind = scope.get("type", "User")
        if kind not in ("User", "Admin"):
            raise ValidationFailed(f"scope '{value}': type must be 'User' or 'Admin'")
        name = scope.get("adminConsentDisplayName") or value
        result.append(
            {
                "adminConsentDescription": scope.get("adminConsentDescription") or name,
                "adminConsentDisplayName": name,
                "id": scope_id,
                "isEnabled": bool(scope.get("isEnabled", True)),
                "type": kind,
                "userConsentDescription": scope.get("userConsentDescription") or name,
                "userConsentDisplayName": scope.get("userConsentDisplayName") or name,
                "value": value,
            }
        )
    return result


def optional_claims(value: Any) -> dict[str, Any]:
    if value is None:
        return {"accessToken": [], "idToken": [], "saml2Token": []}
    if not isinstance(value, dict):
        raise ValidationFailed("optionalClaims must be an object")
    result: dict[str, Any] = {}
    for kind in ("accessToken", "idToken", "saml2Token"):
        claims = value.get(kind) or []
        if not isinstance(claims, list):
            raise ValidationFailed(f"optionalClaims.{kind} must be a list")
        normalized = []
        for claim in claims:
            if not isinstance(claim, dict) or not isinstance(claim.get("name"), str):
                raise ValidationFailed(f"each optionalClaims.{kind} entry needs a name")
            normalized.append(
                {
                    "additionalProperties": list(claim.get("additionalProperties") or []),
                    "essential": bool(claim.get("essential", False)),
                    "name": claim["name"],
                    "source": claim.get("source"),
                }
            )
        result[kind] = normalized
    return result


GROUP_MEMBERSHIP_CLAIMS = ("None", "SecurityGroup", "DirectoryRole", "ApplicationGroup", "All")


def group_membership_claims(value: Any) -> str | None:
    """An application's groupMembershipClaims: None, or values of the manifest's set joined by
    commas ("SecurityGroup, DirectoryRole"), in Entra's spelling whatever the case given."""
    if value is None:
        return None
    if not isinstance(value, str):
        raise ValidationFailed("groupMembershipClaims must be a string such as 'SecurityGroup'")
    known = {v.lower(): v for v in GROUP_MEMBERSHIP_CLAIMS}
    parts = [part.strip() for part in value.split(",") if part.strip()]
    for part in parts:
        if part.lower() not in known:
            raise ValidationFailed(
                f"groupMembershipClaims '{part}' is not one of "
                + ", ".join(GROUP_MEMBERSHIP_CLAIMS)
            )
    return ", ".join(dict.fromkeys(known[p.lower()] for p in parts)) or None


def federated_credential(
    *, name: str, issuer: str, subject: str, audiences: list[str]
) -> tuple[str, str, str, list[str]]:
    if not _FIC_NAME.match(name or ""):
        raise ValidationFailed(
            "federated credential name must be 3-120 characters: letters, digits, '-' and '_', "
            "starting with a letter or digit"
        )
    if not issuer or len(issuer) > 600 or any(c.isspace() for c in issuer):
        raise ValidationFailed("issuer must be a URL of at most 600 characters without spaces")
    if not issuer.startswith("https://"):
        raise ValidationFailed(f"issuer '{issuer}' must be an https:// URL")
    if not subject or len(subject) > 600 or "*" in subject:
        raise ValidationFailed("subject must be 1-600 characters and cannot contain wildcards")
    if len(audiences) != 1 or not audiences[0] or len(audiences[0]) > 600:
        raise ValidationFailed("audiences must hold exactly one value of at most 600 characters")
    return name, issuer, subject, audiences


def chosen_secret(value: Any) -> str:
    """A caller-chosen client secret (tests only): Entra's secretText is 16-64 characters."""
    if not isinstance(value, str) or not 16 <= len(value) <= 64:
        raise ValidationFailed("a client secret value must be 16 to 64 characters long")
    if not value.isascii() or not value.isprintable() or " " in value:
        raise ValidationFailed(
            "a client secret value may use only printable ASCII characters without spaces"
        )
    return value


def password(value: str) -> str:
    """Entra's password rules: 8-256 characters, three of lower, upper, digit, symbol."""
    if not 8 <= len(value) <= 256:
        raise ValidationFailed("the password must be 8 to 256 characters long")
    classes = sum(
        (
            any(c.islower() for c in value),
            any(c.isupper() for c in value),
            any(c.isdigit() for c in value),
            any(not c.isalnum() for c in value),
        )
    )
    if classes < 3:
        raise ValidationFailed(
            "the password must contain three of: lower-case letters, upper-case letters, "
            "digits, symbols"
        )
    return value
