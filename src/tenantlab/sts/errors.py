"""AADSTS errors: the token service's one wire format for failures, as Entra renders it.

Every failure the STS answers is an `StsError` carrying Entra's numeric code, the OAuth `error`
value and the HTTP status of the reference table (entra-behaviour-and-peers.md §4.4). Rendering
adds what Entra appends: trace id, correlation id and timestamp, inside the description and as
fields.

The factory functions below are the whole catalogue: every AADSTS code the token service answers
is built here and nowhere else, one factory per code, grouped under banners (requests, tenants,
clients, client assertions, federated credentials, scopes and resources, users, the service
itself). `tests/unit/sts/test_error_catalogue.py` lists the codes and fails on a duplicate or on
an AADSTS error built in another module. Keep descriptions free of secrets and of msal-node's
trigger words (interaction_required, consent_required, login_required ...).
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field

from tenantlab.clock import iso_z
from tenantlab.errors import TenantlabError
from tenantlab.ids import EMPTY_GUID, is_guid, normalize_guid

ERROR_URI = "https://login.microsoftonline.com/error?code={code}"


@dataclass(eq=False)  # exceptions stay hashable (compared by identity)
class StsError(TenantlabError):
    code: int
    error: str
    status: int
    text: str
    # Entra adds error_uri only where its lookup system has more to say (captures show which).
    with_uri: bool = True
    headers: dict[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        super().__init__(f"AADSTS{self.code}: {self.text}")

    def body(self, *, trace_id: str, correlation_id: str, now: float) -> dict[str, object]:
        stamp = time.strftime("%Y-%m-%d %H:%M:%SZ", time.gmtime(now))
        payload: dict[str, object] = {
            "error": self.error,
            "error_description": (
                f"AADSTS{self.code}: {self.text} Trace ID: {trace_id} "
                f"Correlation ID: {correlation_id} Timestamp: {stamp}"
            ),
            "error_codes": [self.code],
            "timestamp": stamp,
            "trace_id": trace_id,
            "correlation_id": correlation_id,
        }
        if self.with_uri:
            payload["error_uri"] = ERROR_URI.format(code=self.code)
        return payload

    def render(self, *, trace_id: str, correlation_id: str, now: float) -> bytes:
        body = self.body(trace_id=trace_id, correlation_id=correlation_id, now=now)
        return json.dumps(body, separators=(",", ":")).encode()


@dataclass(eq=False)
class ConsentRequired(StsError):
    """AADSTS65001 carries `suberror: consent_required` (MSAL surfaces it as `classification`)."""

    def body(self, *, trace_id: str, correlation_id: str, now: float) -> dict[str, object]:
        payload = super().body(trace_id=trace_id, correlation_id=correlation_id, now=now)
        payload["suberror"] = "consent_required"
        return payload


# -- requests that cannot be read ------------------------------------------------------------


def missing_parameter(name: str) -> StsError:
    return StsError(
        900144,
        "invalid_request",
        400,
        f"The request body must contain the following parameter: '{name}'.",
    )


def malformed_request(reason: str) -> StsError:
    """Duplicated parameters, bad encodings, oversized bodies: Entra's generic 'malformed'."""
    return StsError(9002313, "invalid_request", 400, f"Request is malformed or invalid. {reason}")


def post_only(method: str) -> StsError:
    return StsError(
        900561,
        "invalid_request",
        400,
        f"The endpoint only accepts POST requests. Received a {method} request.",
        with_uri=False,
    )


def unsupported_grant_type(grant_type: str) -> StsError:
    return StsError(
        70003,
        "unsupported_grant_type",
        400,
        f"The app requested an unsupported grant type '{grant_type}'.",
        with_uri=False,
    )


def resource_parameter_not_supported() -> StsError:
    return StsError(
        901002, "invalid_request", 400, "The 'resource' request parameter is not supported."
    )


# -- tenants ----------------------------------------------------------------------------------


def tenant_not_found(tenant: str) -> StsError:
    """90002, with Entra's other text when the segment is the empty GUID."""
    if is_guid(tenant) and normalize_guid(tenant) == EMPTY_GUID:
        return StsError(
            90002,
            "invalid_tenant",
            400,
            f"Requested tenant identifier '{tenant}' is not valid. Tenant identifiers may not be "
            "an empty GUID.",
        )
    return StsError(
        90002,
        "invalid_tenant",
        400,
        f"Tenant '{tenant}' not found. Check to make sure you have the correct tenant ID and are "
        "signing into the correct cloud. Check with your subscription administrator, this may "
        "happen if there are no active subscriptions for the tenant.",
    )


def invalid_tenant_identifier(tenant: str) -> StsError:
    return StsError(
        900023,
        "invalid_request",
        400,
        f"Specified tenant identifier '{tenant}' is neither a valid DNS name, nor a valid "
        "external domain.",
    )


def tenant_required_for_grant(segment: str) -> StsError:
    return StsError(
        9001023,
        "invalid_request",
        400,
        f"The grant type is not supported over the /{segment} endpoint. Please use a "
        "tenant-specific endpoint (the tenant ID or one of its domain names).",
    )


def unknown_instance() -> StsError:
    return StsError(
        50049,
        "invalid_instance",
        400,
        "Unknown or invalid instance.",
    )


# -- clients ----------------------------------------------------------------------------------


def client_not_found(client_id: str, tenant_label: str) -> StsError:
    return StsError(
        700016,
        "unauthorized_client",
        400,
        f"Application with identifier '{client_id}' was not found in the directory "
        f"'{tenant_label}'. This can happen if the application has not been installed by the "
        "administrator of the tenant or consented to by any user in the tenant. You may have "
        "sent your authentication request to the wrong tenant.",
    )


def invalid_application_identifier(client_id: str) -> StsError:
    return StsError(
        700038,
        "unauthorized_client",
        400,
        f"{client_id} is not a valid application identifier.",
        with_uri=False,
    )


def client_disabled(client_id: str, name: str) -> StsError:
    return StsError(
        7000112,
        "unauthorized_client",
        400,
        f"Application '{client_id}'({name}) is disabled.",
    )


def credentials_missing() -> StsError:
    return StsError(
        7000218,
        "invalid_client",
        401,
        "The request body must contain the following parameter: 'client_assertion' or "
        "'client_secret'.",
    )


def invalid_secret(client_id: str) -> StsError:
    return StsError(
        7000215,
        "invalid_client",
        401,
        "Invalid client secret provided. Ensure the secret being sent in the request is the "
        "client secret value, not the client secret ID, for a secret added to app "
        f"'{client_id}'.",
    )


def expired_secret(client_id: str) -> StsError:
    return StsError(
        7000222,
        "invalid_client",
        401,
        f"The provided client secret keys for app '{client_id}' are expired. Visit the Azure "
        "portal to create new keys for your app: https://aka.ms/NewClientSecret, or consider "
        "using certificate credentials for added security: https://aka.ms/certCreds.",
    )


# -- client assertions (certificates and federated credentials) ---------------------------------


def assertion_failed(reason: str) -> StsError:
    """700027: Entra's one code for a bad signature, claim or key of a client assertion."""
    return StsError(
        700027,
        "invalid_client",
        401,
        f"Client assertion failed signature validation. [Reason - {reason}]",
    )


def assertion_out_of_time(now: float, not_before: float | None, expires: float) -> StsError:
    """700024 with the times Entra prints (UTC, to the second)."""
    start = iso_z(not_before) if not_before is not None else "(not set)"
    return StsError(
        700024,
        "invalid_client",
        401,
        f"Client assertion is not within its valid time range. Current time: {iso_z(now)}, "
        f"assertion valid from {start}, expiry time of assertion {iso_z(expires)}.",
    )


_FEDERATION_GUIDANCE = (
    "Please check your federated identity credential Subject, Audience and Issuer against the "
    "presented assertion. https://learn.microsoft.com/entra/workload-id/workload-identity-federation"
)


def no_matching_issuer(issuer: str) -> StsError:
    return StsError(
        700211,
        "invalid_client",
        401,
        f"No matching federated identity record found for presented assertion issuer "
        f"'{issuer}'. {_FEDERATION_GUIDANCE}",
    )


def no_matching_audience(audience: str) -> StsError:
    return StsError(
        700212,
        "invalid_client",
        401,
        f"No matching federated identity record found for presented assertion audience "
        f"'{audience}'. {_FEDERATION_GUIDANCE}",
    )


def no_matching_subject(subject: str) -> StsError:
    return StsError(
        700213,
        "invalid_client",
        401,
        f"No matching federated identity record found for presented assertion subject "
        f"'{subject}'. {_FEDERATION_GUIDANCE}",
    )


def external_endpoint_failed(reason: str) -> StsError:
    """50166, what Entra answers when an issuer's discovery or JWKS cannot be read."""
    return StsError(
        50166, "invalid_request", 400, f"Request to External OIDC endpoint failed. ({reason})"
    )


# -- scopes and resources ---------------------------------------------------------------------


def scope_needs_default(scope: str) -> StsError:
    return StsError(
        1002012,
        "invalid_scope",
        400,
        f"The provided value for scope {scope} is not valid. Client credential flows must have "
        "a scope value with /.default suffixed to the resource identifier (application ID URI).",
    )


def invalid_scope(scope: str) -> StsError:
    return StsError(
        70011,
        "invalid_scope",
        400,
        "The provided value for the input parameter 'scope' is not valid. "
        f"The scope {scope} is not valid.",
    )


def resource_not_found(resource: str, tenant_label: str) -> StsError:
    return StsError(
        500011,
        "invalid_resource",
        400,
        f"The resource principal named {resource} was not found in the tenant named "
        f"{tenant_label}. This can happen if the application has not been installed by the "
        "administrator of the tenant or consented to by any user in the tenant. You might have "
        "sent your authentication request to the wrong tenant.",
    )


def assignment_required(client_id: str, client_name: str, resource: str, name: str) -> StsError:
    return StsError(
        501051,
        "invalid_grant",
        400,
        f"Application '{client_id}'({client_name}) is not assigned to a role for the "
        f"application '{resource}'({name}).",
    )


def scope_not_exposed(client_name: str, scope: str, resource_app_id: str) -> StsError:
    return StsError(
        650053,
        "invalid_scope",
        400,
        f"The application '{client_name}' asked for scope '{scope}' that doesn't exist on the "
        f"resource '{resource_app_id}'. Contact the app vendor.",
    )


def consent_required(client_id: str, client_name: str) -> StsError:
    return ConsentRequired(
        65001,
        "invalid_grant",
        400,
        f"The user or administrator has not consented to use the application with ID "
        f"'{client_id}' named '{client_name}'. Send an interactive authorization request for "
        "this user and resource.",
    )


# -- users (the password grant) -----------------------------------------------------------------


def invalid_credentials() -> StsError:
    return StsError(
        50126,
        "invalid_grant",
        400,
        "Error validating credentials due to invalid username or password.",
    )


def account_locked() -> StsError:
    """50053: smart lockout; the same answer for known and unknown users, right password or not."""
    return StsError(
        50053,
        "invalid_grant",
        400,
        "The account is locked, you've tried to sign in too many times with an incorrect user ID "
        "or password.",
    )


def user_disabled() -> StsError:
    return StsError(50057, "invalid_grant", 400, "The user account is disabled.")


# -- the service itself -------------------------------------------------------------------------


def internal_error() -> StsError:
    """90033: what Entra answers for a transient failure on its side (never a stack trace)."""
    return StsError(
        90033,
        "temporarily_unavailable",
        500,
        "A transient error has occurred. Please try again.",
        with_uri=False,
    )


def too_many_requests(retry_after: int | None = None) -> StsError:
    """90055, 429: Entra's tenant throttling (injected by `tenantlab fault`; real Entra may also
    answer a plain-text `Too Many Requests`, which a fault's `body` reproduces)."""
    return StsError(
        90055,
        "temporarily_unavailable",
        429,
        "There are too many incoming requests. Please try again later.",
        with_uri=False,
        headers=_retry_after(retry_after),
    )


def request_budget_exceeded(retry_after: int | None = None) -> StsError:
    """90024, 503: the token service is too busy for this request (`tenantlab fault`)."""
    return StsError(
        90024,
        "temporarily_unavailable",
        503,
        "A transient error has occurred. Try again.",
        with_uri=False,
        headers=_retry_after(retry_after),
    )


def _retry_after(seconds: int | None) -> dict[str, str]:
    return {} if seconds is None else {"Retry-After": str(seconds)}
