"""Keys: the local CA and TLS certificates; token-signing keys, JWKS and rotation.

The names are loaded on first use (PEP 562): `cryptography`'s x509 module alone costs a tenth of a
second, and most `tenantlab` commands open the platform without touching a key.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from tenantlab.keys.ca import TlsFiles, ensure_tls, env_exports
    from tenantlab.keys.jose import PublicSigningKey, SigningKeyMaterial, generate_signing_key
    from tenantlab.keys.store import KeyStore, PublishedKey
    from tenantlab.keys.trust import TrustStores, ensure_trust_stores

_WHERE = {
    "TlsFiles": "tenantlab.keys.ca",
    "ensure_tls": "tenantlab.keys.ca",
    "env_exports": "tenantlab.keys.ca",
    "PublicSigningKey": "tenantlab.keys.jose",
    "SigningKeyMaterial": "tenantlab.keys.jose",
    "generate_signing_key": "tenantlab.keys.jose",
    "KeyStore": "tenantlab.keys.store",
    "PublishedKey": "tenantlab.keys.store",
    "TrustStores": "tenantlab.keys.trust",
    "ensure_trust_stores": "tenantlab.keys.trust",
}

__all__ = [
    "KeyStore",
    "PublicSigningKey",
    "PublishedKey",
    "SigningKeyMaterial",
    "TlsFiles",
    "TrustStores",
    "ensure_tls",
    "ensure_trust_stores",
    "env_exports",
    "generate_signing_key",
]


def __getattr__(name: str) -> Any:
    module = _WHERE.get(name)
    if module is None:
        raise AttributeError(f"module 'tenantlab.keys' has no attribute {name!r}")
    return getattr(importlib.import_module(module), name)
