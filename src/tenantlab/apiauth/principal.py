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

    @property
    def token_id(self) -> str | None:
        """`uti`: Entra's per-token id, safe to log."""
        value = self.claims.get("uti")
        return value if isinstance(value, str) else None
