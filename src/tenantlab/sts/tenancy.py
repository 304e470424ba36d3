"""The tenant path segment: `common`-style names, GUIDs and domain names, any case.

Every STS URL starts with `/{tenant}`; clients write it as the GUID, a domain name, or in
msal-node's case a lower-cased copy of whatever was configured. Resolution goes through the
in-memory alias index, with one forced refresh before an unknown tenant is refused.
"""

from __future__ import annotations

import re

from tenantlab.ids import EMPTY_GUID, is_guid, normalize_guid
from tenantlab.sts import errors
from tenantlab.sts.snapshot import DirectoryCache, TenantSnapshot

SPECIAL_TENANTS = frozenset({"common", "organizations", "consumers"})
_DOMAIN = re.compile(
    r"^(?=.{1,253}$)[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)+$",
    re.IGNORECASE,
)


def is_special(segment: str) -> bool:
    return segment.lower() in SPECIAL_TENANTS


def resolve_tenant(cache: DirectoryCache, segment: str, revision: int) -> TenantSnapshot:
    """The tenant a path segment names; 90002 / 900023 errors otherwise (not for `common`)."""
    if is_guid(segment):
        if normalize_guid(segment) == EMPTY_GUID:
            raise errors.tenant_not_found(segment)
    elif not _DOMAIN.match(segment):
        raise errors.invalid_tenant_identifier(_printable(segment))
    tenant_id = cache.resolve_tenant(segment, revision)
    if tenant_id is None:
        tenant_id = cache.refresh_tenant_alias(segment)
    if tenant_id is None:
        raise errors.tenant_not_found(segment)
    snapshot = cache.tenant(tenant_id, revision)
    if snapshot is None:
        raise errors.tenant_not_found(segment)
    return snapshot


def _printable(segment: str) -> str:
    return "".join(c if c.isprintable() else "?" for c in segment)[:128]
