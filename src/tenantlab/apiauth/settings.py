"""How an API trusts tokens: which authority, which audiences, which tenants and client apps."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from tenantlab.errors import ConfigError
from tenantlab.ids import is_guid

# Authorities that stand for "any Entra tenant" (multi-tenant metadata with a {tenantid} issuer).
MULTI_TENANT_ALIASES = frozenset({"common", "organizations"})


@dataclass(frozen=True)
class TokenValidationSettings:
    """Configuration of a TokenValidator.

    `instance` + `tenant` make the authority (`https://login.microsoftonline.com/<tenant>`).
    `audiences`: the API's client id (v2 tokens) and/or App ID URI (v1 tokens, e.g. api://<id>).
    A multi-tenant API (`tenant` "organizations" or "common") must list `allowed_tenants`, or set
    `any_tenant_with_keys` when its KeySource keeps each tenant's keys apart (tenantlab's Graph:
    every tenant of the platform, each with its own signing keys; the API applies its own tenant
    rules after validation). An HTTPS authority's one JWKS cannot do that, so TokenValidator
    refuses the option without an explicit key source.
    """

    instance: str
    tenant: str
    audiences: tuple[str, ...]
    allowed_tenants: tuple[str, ...] = ()
    allowed_client_ids: tuple[str, ...] = ()
    # Guests (B2B users from another tenant: `acct` 1, or `idp` other than `iss`) are allowed, as
    # Microsoft.Identity.Web allows them; False refuses them with 403 (attack catalogue #29).
    allow_guest_users: bool = True
    # MIW IDW10201: a token with neither `scp` nor `roles` is refused (401). False lets it through
    # with no permissions, so routes answer 403 (what Graph does for a role-less app token).
    require_scp_or_roles: bool = True
    any_tenant_with_keys: bool = False
    accept_v1: bool = True
    leeway: float = 60.0
    max_token_length: int = 16 * 1024
    cache_size: int = 10_000
    refresh_interval: float = 12 * 3600.0
    refresh_cooldown: float = 60.0
    ca_bundle: Path | None = None

    def __post_init__(self) -> None:
        if not self.instance.startswith("https://"):
            raise ConfigError(f"the authority instance must be an https URL, not {self.instance!r}")
        if not self.tenant or "/" in self.tenant:
            raise ConfigError(f"tenant must be a tenant id or domain, not {self.tenant!r}")
        if not self.audiences or not all(self.audiences):
            raise ConfigError("at least one audience (the API's client id or App ID URI) is needed")
        if self.any_tenant_with_keys and not self.multi_tenant:
            raise ConfigError("any_tenant_with_keys needs tenant 'organizations' or 'common'")
        if self.multi_tenant and not self.allowed_tenants and not self.any_tenant_with_keys:
            raise ConfigError(
                f"a '{self.tenant}' (multi-tenant) API must list the tenant ids it accepts"
            )
        for tenant_id in self.allowed_tenants:
            if not is_guid(tenant_id):
                raise ConfigError(f"allowed tenant {tenant_id!r} is not a tenant id (GUID)")
        if not 0 <= self.leeway <= 300:
            raise ConfigError("leeway must be between 0 and 300 seconds")
        if self.max_token_length < 1024:
            raise ConfigError("max_token_length below 1024 would refuse ordinary Entra tokens")

    @property
    def authority(self) -> str:
        return f"{self.instance.rstrip('/')}/{self.tenant}"

    @property
    def multi_tenant(self) -> bool:
        return self.tenant.lower() in MULTI_TENANT_ALIASES
