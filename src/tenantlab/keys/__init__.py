"""Keys: the local CA and TLS certificates; token-signing keys, JWKS and rotation."""

from tenantlab.keys.ca import TlsFiles, ensure_tls, env_exports
from tenantlab.keys.jose import SigningKeyMaterial, generate_signing_key
from tenantlab.keys.store import KeyStore, PublishedKey
from tenantlab.keys.trust import TrustStores, ensure_trust_stores

__all__ = [
    "KeyStore",
    "PublishedKey",
    "SigningKeyMaterial",
    "TlsFiles",
    "TrustStores",
    "ensure_tls",
    "ensure_trust_stores",
    "env_exports",
    "generate_signing_key",
]
