"""Groups in access tokens: the `groups` claim, its overage, and app roles assigned to groups.

Which groups a token names is the resource's choice (its application's `groupMembershipClaims`;
Microsoft's own APIs, Graph included, never get one), in v1 and v2 tokens alike, for users and
for service principals (app-only tokens):

- `None` (or unset): no claim. `SecurityGroup`: the security groups the subject is in.
  `All`: every group (Microsoft 365 groups too). `ApplicationGroup`: those of its groups that are
  assigned to the resource's service principal. Membership is transitive (nested groups count).
  `DirectoryRole` names directory roles (`wids`), which tenantlab does not model: no groups.
- More than 200 groups (Entra's limit for a JWT): no `groups` claim; instead `_claim_names`
  `{"groups": "src1"}` and `_claim_sources` `{"src1": {"endpoint": ...}}` pointing at Graph's
  `getMemberObjects` for the subject, which an API calls (with its own token) to read them all.
- The resource's `groups` optional access-token claim with `emit_as_roles` puts the group ids in
  `roles` instead of `groups`.

App roles assigned to a group reach its *direct* members' delegated tokens only: Entra does not
support nested groups for app role assignment ("group-based assignment ... nested group
memberships are not supported"), and tenantlab does as Entra does.
"""

from __future__ import annotations

from typing import Any

from tenantlab.sts.snapshot import ResourceEntry, TenantSnapshot
from tenantlab.sts.urls import Endpoints

MAX_JWT_GROUPS = 200
CLAIM_SOURCE = "src1"


def _wanted_groups(
    snapshot: TenantSnapshot,
    resource: ResourceEntry,
    subject_id: str,
    direct_groups: tuple[str, ...] | None,
) -> list[str]:
    setting = {
        part.strip().lower()
        for part in (resource.group_membership_claims or "").split(",")
        if part.strip()
    }
    if resource.first_party or not setting & {"securitygroup", "all", "applicationgroup"}:
        return []
    facts = snapshot.groups
    mine = facts.transitive(subject_id, direct_groups)
    if "all" in setting:
        chosen = set(mine)
    else:
        chosen = set()
        if "securitygroup" in setting:
            chosen |= mine & facts.security
        if "applicationgroup" in setting:
            chosen |= mine & facts.assigned.get(resource.service_principal_id, frozenset())
    return sorted(chosen)


def overage_endpoint(endpoints: Endpoints, subject_kind: str, subject_id: str) -> str:
    """Where the full list is read: Graph's getMemberObjects for the user or service principal."""
    return f"{endpoints.graph_origin}/v1.0/{subject_kind}/{subject_id}/getMemberObjects"


def add_group_claims(
    claims: dict[str, Any],
    *,
    endpoints: Endpoints,
    snapshot: TenantSnapshot,
    resource: ResourceEntry,
    subject_id: str,
    subject_kind: str,  # "users" or "servicePrincipals"
    direct_groups: tuple[str, ...] | None = None,
) -> None:
    """Add `groups` (or the overage claims, or group ids in `roles`) to a token's claims.

    `direct_groups`: a user's own groups (read at sign-in); None for a service principal,
    whose groups the snapshot holds."""
    groups = _wanted_groups(snapshot, resource, subject_id, direct_groups)
    if not groups:
        return
    if len(groups) > MAX_JWT_GROUPS:
        claims["_claim_names"] = {"groups": CLAIM_SOURCE}
        claims["_claim_sources"] = {
            CLAIM_SOURCE: {"endpoint": overage_endpoint(endpoints, subject_kind, subject_id)}
        }
    elif resource.groups_as_roles:
        claims["roles"] = sorted({*claims.get("roles", ()), *groups})
    else:
        claims["groups"] = groups


def roles_through_groups(
    snapshot: TenantSnapshot, direct_groups: tuple[str, ...], resource: ResourceEntry
) -> tuple[str, ...]:
    """Role values of `resource` assigned to the groups the user is a direct member of."""
    facts = snapshot.groups
    values: set[str] = set()
    for group_id in direct_groups:
        values.update(facts.roles.get((group_id, resource.service_principal_id), ()))
    return tuple(sorted(values))
