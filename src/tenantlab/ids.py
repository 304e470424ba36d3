"""GUIDs and well-known identifiers of the Microsoft identity platform."""

from __future__ import annotations

import base64
import hashlib
import re
import uuid

MICROSOFT_GRAPH_APP_ID = "00000003-0000-0000-c000-000000000000"
MICROSOFT_GRAPH_RESOURCE = "https://graph.microsoft.com"
# The tenant that owns Microsoft's first-party applications (appOwnerOrganizationId).
MICROSOFT_SERVICES_TENANT_ID = "f8cdef31-a31e-4b4a-93e4-5f571e91255a"
EMPTY_GUID = "00000000-0000-0000-0000-000000000000"
FEDERATION_AUDIENCE = "api://AzureADTokenExchange"


def new_guid() -> str:
    return str(uuid.uuid4())


_GUID = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")


def is_guid(value: str) -> bool:
    """True for the canonical 8-4-4-4-12 form (any case), as Entra accepts it.

    A pattern, not `uuid.UUID()`: the token endpoint asks several times per request, and UUID()
    also takes hyphens anywhere and non-ASCII digits.
    """
    return len(value) == 36 and _GUID.fullmatch(value) is not None


def normalize_guid(value: str) -> str:
    return str(uuid.UUID(value))


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def b64url_decode(text: str | bytes) -> bytes:
    """Decode base64url, tolerating '=' padding and missing padding."""
    raw = text.encode("ascii") if isinstance(text, str) else text
    raw = raw.rstrip(b"=")
    return base64.urlsafe_b64decode(raw + b"=" * (-len(raw) % 4))


def x5t(cert_der: bytes) -> str:
    """The base64url SHA-1 thumbprint Entra uses as `kid` and `x5t`."""
    return b64url(hashlib.sha1(cert_der, usedforsecurity=False).digest())


def x5t_s256(cert_der: bytes) -> str:
    return b64url(hashlib.sha256(cert_der).digest())


def sha1_hex(cert_der: bytes) -> str:
    """The thumbprint the portal shows (upper-case hex SHA-1)."""
    return hashlib.sha1(cert_der, usedforsecurity=False).hexdigest().upper()


def uti() -> str:
    """A per-token unique id shaped like Entra's `uti` (22 base64url characters)."""
    return b64url(uuid.uuid4().bytes)
