"""Who is calling: the validated claims of an access token, reduced to what authorization needs."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True, slots=True)
class Principal:
    """A caller proven by a validated token.

    `is_app` follows Microsoft.Identity.Web's IsAppMakingRequest: `idtyp == "app"` when the token
    has `idtyp`, else "has `roles` and no `scp`". Apps hold application permissions (`roles`),
    users hold delegated ones (`scp`); key data by (`tenant_id`, `object_id`), never by names.

    `groups`: the ids of the `groups` claim. When the token carries the groups overage (over
    200 groups: `group_overage` is True) it is empty unless a `GraphGroups` resolved it
    (`apiauth/groups.py`): authorize on an overflowed token without resolving, and a member of
    201 groups looks like a member of none.
    """

    tenant_id: str
    object_id: str
    client_id: str | None
    is_app: bool
    scopes: frozenset[str]
    roles: frozenset[str]
    version: str
    kid: str
    expires_at: float
    claims: Mapping[str, Any]
    groups: frozenset[str] = frozenset()

    @property
    def group_overage(self) -> bool:
        """The token names its groups by reference (`_claim_names.groups`), not in `groups`."""
        names = self.claims.get("_claim_names")
        return isinstance(names, Mapping) and "groups" in names

    @property
    def token_id(self) -> str | None:
        """`uti`: Entra's per-token id, safe to log."""
        value = self.claims.get("uti")
        return value if isinstance(value, str) else None
