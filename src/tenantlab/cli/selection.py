"""Which tenant a command works on: `-t/--tenant`, else the current tenant, else the only one.

`-t` takes what a person calls a tenant: its GUID, any of its domain names, the short form of an
onmicrosoft.com domain (`contoso`), or its display name when no other tenant has that name. The
current tenant (`tenantlab tenant use NAME`) is a tenant id in the data folder's `current-tenant`
file; it is the default for every command that works on one tenant.

These names are a convenience of the command line only: the token service and Graph accept a
tenant's GUID and domain names, as Entra does.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from tenantlab.config import PlatformSettings, ensure_private_dir, write_private_file
from tenantlab.errors import ConfigError, TenantlabError

if TYPE_CHECKING:
    from tenantlab.platform import Platform
    from tenantlab.storage.schema import Tenant

CURRENT_TENANT_FILE = "current-tenant"
INITIAL_DOMAIN_SUFFIX = ".onmicrosoft.com"
USE_HINT = "`tenantlab tenant use NAME`"


@dataclass(frozen=True)
class Chosen:
    """The tenant a command works on, and why (shown when a look-up in it fails)."""

    tenant: Tenant
    domain: str
    source: str  # "option", "current" or "only"

    def describe(self) -> str:
        label = f"{self.tenant.display_name} ({self.domain})"
        if self.source == "current":
            return f"{label}, the current tenant; -t NAME chooses another"
        return label


def directory_exists(settings: PlatformSettings) -> bool:
    """Whether there is a directory to read (a database URL, or the SQLite file), cheaply."""
    return bool(settings.database_url) or (settings.home / "tenantlab.db").exists()


def current_tenant_path(settings: PlatformSettings) -> Path:
    return settings.home / CURRENT_TENANT_FILE


def read_current_tenant(settings: PlatformSettings) -> str | None:
    try:
        value = current_tenant_path(settings).read_text("utf-8").strip()
    except OSError:
        return None
    return value or None


def write_current_tenant(settings: PlatformSettings, tenant_id: str) -> None:
    ensure_private_dir(settings.home)
    write_private_file(current_tenant_path(settings), f"{tenant_id}\n".encode())


def clear_current_tenant(settings: PlatformSettings) -> bool:
    path = current_tenant_path(settings)
    existed = path.exists()
    path.unlink(missing_ok=True)
    return existed


def _label(platform: Platform, tenant: Tenant) -> str:
    return f"{tenant.display_name} ({platform.directory.tenant_domains(tenant.id)[0]})"


def _labels(platform: Platform, tenants: list[Tenant]) -> str:
    return ", ".join(_label(platform, t) for t in tenants)


def find_tenant(platform: Platform, name: str) -> Tenant:
    """GUID or domain name, then the short onmicrosoft.com domain, then a unique display name."""
    directory = platform.directory
    wanted = name.strip()
    exact = directory.find_tenant(wanted) if wanted else None
    if exact is not None:
        return exact
    if wanted and "." not in wanted:
        short = directory.find_tenant(wanted + INITIAL_DOMAIN_SUFFIX)
        if short is not None:
            return short
    tenants = directory.list_tenants()
    named = [t for t in tenants if t.display_name.casefold() == wanted.casefold()]
    if len(named) == 1:
        return named[0]
    if named:
        ids = ", ".join(f"{t.id} ({directory.tenant_domains(t.id)[0]})" for t in named)
        raise ConfigError(
            f"{len(named)} tenants are named '{wanted}': {ids}; choose one by domain or id"
        )
    known = _labels(platform, tenants) or "none yet (`tenantlab tenant create`)"
    raise TenantlabError(f"tenant '{wanted}' not found (tenants: {known})")


def choose_tenant(platform: Platform, name: str | None) -> Chosen:
    """`-t NAME`; without it, the current tenant; without one, the only tenant there is."""
    directory = platform.directory
    if name:
        found = find_tenant(platform, name)
        return Chosen(found, directory.tenant_domains(found.id)[0], "option")
    current = read_current_tenant(platform.settings)
    if current is not None:
        found_current = directory.find_tenant(current)
        if found_current is None:
            raise ConfigError(
                f"the current tenant {current} no longer exists: choose another with {USE_HINT} "
                "or -t NAME"
            )
        return Chosen(found_current, directory.tenant_domains(found_current.id)[0], "current")
    tenants = directory.list_tenants()
    if len(tenants) == 1:
        return Chosen(tenants[0], directory.tenant_domains(tenants[0].id)[0], "only")
    if not tenants:
        raise ConfigError(
            "there is no tenant yet: create one with `tenantlab tenant create` "
            "or `tenantlab seed FILE`"
        )
    raise ConfigError(
        f"there are {len(tenants)} tenants and no current one: choose one with -t NAME or make "
        f"one current with {USE_HINT}: {_labels(platform, tenants)}"
    )
