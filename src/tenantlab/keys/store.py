"""Per-tenant token-signing keys: creation, the active key, the published set, rotation.

The public certificate lives in the database (table `signing_keys`); the private key is a file
readable by its owner only, under `{home}/signing-keys/{tenant}/{kid}.pem` — never in the database.
Rotation makes a new key the signer; the previous one stays published until every token it
signed has expired (`max_token_lifetime` after its retirement), then it is dropped from the JWKS.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import select

from tenantlab.clock import SYSTEM_CLOCK, Clock
from tenantlab.config import ensure_private_dir, write_private_file
from tenantlab.storage.database import Database, bump_revision, current_revision
from tenantlab.storage.schema import SigningKey

if TYPE_CHECKING:  # loaded with the first key: cryptography is slow to import
    from tenantlab.keys.jose import SigningKeyMaterial

# Tokens live 3600 s after issuance; a retired key is kept 5 minutes longer for clock skew.
DEFAULT_MAX_TOKEN_LIFETIME = 3600 + 300


@dataclass(frozen=True)
class PublishedKey:
    material: SigningKeyMaterial
    active: bool
    retired_at: float | None
    remove_after: float | None


class KeyStore:
    """Signing keys of every tenant, cached in memory and reloaded when the directory changes."""

    def __init__(
        self,
        database: Database,
        keys_dir: Path,
        clock: Clock = SYSTEM_CLOCK,
        max_token_lifetime: float = DEFAULT_MAX_TOKEN_LIFETIME,
    ) -> None:
        self._db = database
        self._dir = keys_dir
        self._clock = clock
        self.max_token_lifetime = max_token_lifetime
        self._lock = threading.RLock()
        self._materials: dict[str, SigningKeyMaterial] = {}  # kid -> material (immutable)
        self._published: dict[str, tuple[int, list[PublishedKey]]] = {}  # tenant -> (rev, keys)

    def _load_material(self, row: SigningKey) -> SigningKeyMaterial:
        material = self._materials.get(row.kid)
        if material is None:
            from tenantlab.keys.jose import load_signing_key

            material = load_signing_key(Path(row.key_file).read_bytes(), row.cert_pem)
            self._materials[row.kid] = material
        return material

    def _create(self, tenant_id: str, *, retire_current: bool) -> SigningKeyMaterial:
        now = self._clock.now()
        from tenantlab.keys.jose import generate_signing_key

        material = generate_signing_key()
        ensure_private_dir(self._dir)  # mkdir(parents=True) would leave it world-readable
        folder = ensure_private_dir(self._dir / tenant_id)
        key_file = folder / f"{material.kid}.pem"
        write_private_file(key_file, material.private_pem())
        with self._db.session() as session:
            if retire_current:
                for row in session.scalars(
                    select(SigningKey).where(
                        SigningKey.tenant_id == tenant_id, SigningKey.retired_at.is_(None)
                    )
                ):
                    row.retired_at = now
                    row.remove_after = now + self.max_token_lifetime
            session.add(
                SigningKey(
                    kid=material.kid,
                    tenant_id=tenant_id,
                    cert_pem=material.cert_pem,
                    key_file=str(key_file),
                    created_at=now,
                    activated_at=now,
                )
            )
            bump_revision(session)
        self._materials[material.kid] = material
        self._published.pop(tenant_id, None)
        return material

    def published(self, tenant_id: str, revision: int | None = None) -> list[PublishedKey]:
        """Keys in the tenant's JWKS (active first). Creates the first key when there is none."""
        with self._lock:
            if revision is None:
                with self._db.session() as session:
                    revision = current_revision(session)
            cached = self._published.get(tenant_id)
            if cached is not None and cached[0] == revision and self._all_fresh(cached[1]):
                return cached[1]
            keys = self._read(tenant_id)
            if not any(k.active for k in keys):
                self._create(tenant_id, retire_current=True)
                keys = self._read(tenant_id)
                with self._db.session() as session:
                    revision = current_revision(session)
            self._published[tenant_id] = (revision, keys)
            return keys

    def _all_fresh(self, keys: list[PublishedKey]) -> bool:
        now = self._clock.now()
        return all(k.remove_after is None or k.remove_after > now for k in keys)

    def _read(self, tenant_id: str) -> list[PublishedKey]:
        now = self._clock.now()
        with self._db.session() as session:
            rows = list(
                session.scalars(
                    select(SigningKey)
                    .where(SigningKey.tenant_id == tenant_id)
                    .order_by(SigningKey.activated_at.desc())
                )
            )
            expired = [r for r in rows if r.remove_after is not None and r.remove_after <= now]
            for row in expired:
                session.delete(row)
                Path(row.key_file).unlink(missing_ok=True)
                self._materials.pop(row.kid, None)
        live = [r for r in rows if r not in expired]
        result = []
        for row in live:
            result.append(
                PublishedKey(
                    material=self._load_material(row),
                    active=row.retired_at is None,
                    retired_at=row.retired_at,
                    remove_after=row.remove_after,
                )
            )
        result.sort(key=lambda k: not k.active)
        return result

    def active(self, tenant_id: str, revision: int | None = None) -> SigningKeyMaterial:
        """The key that signs new tokens for the tenant."""
        for key in self.published(tenant_id, revision):
            if key.active:
                return key.material
        raise RuntimeError("no active signing key")  # pragma: no cover - published() creates one

    def rotate(self, tenant_id: str) -> SigningKeyMaterial:
        """Make a new key the signer; the old one stays published until its tokens expire."""
        with self._lock:
            return self._create(tenant_id, retire_current=True)

    def find(self, kid: str) -> SigningKeyMaterial | None:
        """A published key by kid, in any tenant (for the platform's own token checks)."""
        with self._lock:
            material = self._materials.get(kid)
            if material is not None:
                return material
            with self._db.session() as session:
                row = session.get(SigningKey, kid)
                if row is None:
                    return None
                return self._load_material(row)
