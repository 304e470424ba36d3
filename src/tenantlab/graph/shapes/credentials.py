"""Credentials as Graph shows them inside an application: complex types, never `$select`ed alone.

No secret is rendered except a new secret's `secretText`, which only
`password_credential_json(..., secret_text=...)` emits, once, in the response that creates it.
"""

from __future__ import annotations

import base64
from typing import Any

from tenantlab.clock import iso_z
from tenantlab.storage.schema import FederatedIdentityCredential, KeyCredential, PasswordCredential


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
