"""Keys: the local CA and TLS certificates; token-signing keys, JWKS and rotation."""

from tenantlab.keys.ca import TlsFiles, ensure_tls, env_exports
from tenantlab.keys.jose import SigningKeyMaterial, generate_signing_key
from tenantlab.keys.store import KeyStore, PublishedKey

__all__ = [
    "KeyStore",
    "PublishedKey",
    "SigningKeyMaterial",
    "TlsFiles",
    "ensure_tls",
    "env_exports",
    "generate_signing_key",
]
