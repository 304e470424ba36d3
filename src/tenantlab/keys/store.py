"""Per-tenant token-signing keys: creation, the active key, the published set, rotation.

Everything lives in the database (table `signing_keys`), so every node sharing it signs with the
same key and publishes the same JWKS: the certificate in clear, the private key sealed under the
installation's key-encryption key (`keys.envelope`). The JWKS is built from the certificates alone;
only the active key is ever opened, once per process. The published set is cached per tenant by
the directory's revision, which every key change bumps, so `keys rotate` on one node is seen by
the others at their next look.

A tenant's first key is made with the tenant (`Platform` hooks `create_first` into its creation);
a tenant without an active key gets one on first use. The database allows one active key per
tenant (a partial unique index), so two nodes doing either at once leave exactly one signer.
Rotation makes a new key the signer; the previous one stays published until every token it
signed has expired (`max_token_lifetime` after its retirement), then it is dropped from the JWKS.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import delete, select, update
from sqlalchemy.exc import IntegrityError

from tenantlab.clock import SYSTEM_CLOCK, Clock, utc_datetime
from tenantlab.errors import TenantlabError
from tenantlab.keys.envelope import KeyEncryptionKey, SealedSecretError
from tenantlab.storage.database import Database, bump_revision, current_revision
from tenantlab.storage.schema import SigningKey

if TYPE_CHECKING:  # loaded with the first key: cryptography is slow to import
    from tenantlab.keys.jose import PublicSigningKey, SigningKeyMaterial

# Tokens live 3600 s after issuance; a retired key is kept 5 minutes longer for clock skew.
DEFAULT_MAX_TOKEN_LIFETIME = 3600 + 300


class SigningKeyUnavailable(TenantlabError):
    """The active key's private half is not in the database (a data folder not yet upgraded)."""


@dataclass(frozen=True)
class PublishedKey:
    public: PublicSigningKey
    active: bool
    retired_at: float | None
    remove_after: float | None


def sealing_context(kid: str) -> str:
    """What a sealed private key is bound to: its own row, never another key's."""
    return f"signing-key:{kid}"


class KeyStore:
    """Signing keys of every tenant, cached in memory and reloaded when the directory changes."""

    def __init__(
        self,
        database: Database,
        kek: KeyEncryptionKey,
        clock: Clock = SYSTEM_CLOCK,
        max_token_lifetime: float = DEFAULT_MAX_TOKEN_LIFETIME,
    ) -> None:
        self._db = database
        self._kek = kek
        self._clock = clock
        self.max_token_lifetime = max_token_lifetime
        self._lock = threading.RLock()
        self._public: dict[str, PublicSigningKey] = {}  # kid -> certificate (immutable)
        self._signers: dict[str, SigningKeyMaterial] = {}  # kid -> opened private key
        self._published: dict[str, tuple[int, list[PublishedKey]]] = {}  # tenant -> (rev, keys)

    def create_first(self, tenant_id: str) -> None:
        """The new tenant's first key; nothing when it has one (another node made it)."""
        with self._lock:
            self._create(tenant_id, retire_current=False)

    def rotate(self, tenant_id: str) -> SigningKeyMaterial:
        """Make a new key the signer; the old one stays published until its tokens expire."""
        with self._lock:
            material = self._create(tenant_id, retire_current=True)
            assert material is not None  # a rotation's clash raises: None is for first keys
            return material

    def _create(self, tenant_id: str, *, retire_current: bool) -> SigningKeyMaterial | None:
        from tenantlab.keys.jose import generate_signing_key

        now = self._clock.now()
        # The certificate in the JWKS (x5c) is dated by the cloud's clock, as the tokens are.
        material = generate_signing_key(utc_datetime(now))
        sealed = self._kek.seal(material.private_pem(), context=sealing_context(material.kid))
        try:
            with self._db.session() as session:
                if retire_current:
                    session.execute(
                        update(SigningKey)
                        .where(SigningKey.tenant_id == tenant_id, SigningKey.retired_at.is_(None))
                        .values(retired_at=now, remove_after=now + self.max_token_lifetime)
                    )
                session.add(
                    SigningKey(
                        kid=material.kid,
                        tenant_id=tenant_id,
                        cert_pem=material.cert_pem,
                        sealed_key=sealed,
                        created_at=now,
                        activated_at=now,
                    )
                )
                bump_revision(session)
        except IntegrityError:
            # Another node's key became active between our look and our insert (the partial
            # unique index refused ours). For a first key that is the goal; a rotation that
            # lost the race to another rotation is the caller's to repeat.
            if retire_current:
                raise
            return None
        self._signers[material.kid] = material
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
                self._create(tenant_id, retire_current=False)
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
            rows = session.execute(
                select(
                    SigningKey.kid,
                    SigningKey.cert_pem,
                    SigningKey.retired_at,
                    SigningKey.remove_after,
                    SigningKey.key_file,
                )
                .where(SigningKey.tenant_id == tenant_id)
                .order_by(SigningKey.activated_at.desc())
            ).all()
            expired = [r for r in rows if r.remove_after is not None and r.remove_after <= now]
            if expired:
                # One statement, not ORM deletes: two nodes pruning at once must not fail.
                session.execute(
                    delete(SigningKey).where(SigningKey.kid.in_([r.kid for r in expired]))
                )
        for row in expired:
            self._signers.pop(row.kid, None)
            if row.key_file:
                Path(row.key_file).unlink(missing_ok=True)
        result = [
            PublishedKey(
                public=self._certificate(row.kid, row.cert_pem),
                active=row.retired_at is None,
                retired_at=row.retired_at,
                remove_after=row.remove_after,
            )
            for row in rows
            if row not in expired
        ]
        result.sort(key=lambda k: not k.active)
        return result

    def _certificate(self, kid: str, cert_pem: str) -> PublicSigningKey:
        public = self._public.get(kid)
        if public is None:
            from tenantlab.keys.jose import PublicSigningKey

            public = self._public[kid] = PublicSigningKey.from_pem(cert_pem)
        return public

    def active(self, tenant_id: str, revision: int | None = None) -> SigningKeyMaterial:
        """The key that signs new tokens for the tenant (opened once per process)."""
        for key in self.published(tenant_id, revision):
            if key.active:
                return self._signer(key.public.kid)
        raise RuntimeError("no active signing key")  # pragma: no cover - published() creates one

    def _signer(self, kid: str) -> SigningKeyMaterial:
        material = self._signers.get(kid)
        if material is not None:
            return material
        from tenantlab.keys.jose import load_signing_key

        with self._db.session() as session:
            row = session.get(SigningKey, kid)
            if row is None:  # pragma: no cover - published a moment ago; rotated and pruned since
                raise SigningKeyUnavailable(f"signing key {kid} was removed meanwhile")
            if row.sealed_key is None:
                raise SigningKeyUnavailable(
                    f"signing key {kid} of tenant {row.tenant_id} is still a file of one node's "
                    f"data folder ({row.key_file}): start that node once with this version (it "
                    "moves the key into the database), or rotate the tenant's key"
                )
            try:
                pem = self._kek.open(row.sealed_key, context=sealing_context(kid))
            except SealedSecretError as exc:
                raise SigningKeyUnavailable(f"{exc}: rotate the tenant's key") from None
            material = load_signing_key(pem, row.cert_pem)
        with self._lock:
            return self._signers.setdefault(kid, material)

    def find(self, kid: str) -> PublicSigningKey | None:
        """A published key's certificate by kid, in any tenant (the platform's own checks)."""
        with self._lock:
            public = self._public.get(kid)
            if public is not None:
                return public
            with self._db.session() as session:
                cert_pem = session.scalar(select(SigningKey.cert_pem).where(SigningKey.kid == kid))
            return None if cert_pem is None else self._certificate(kid, cert_pem)

    def adopt_key_files(self) -> list[str]:
        """Seal into the database the private keys older versions kept as files of this node's
        data folder, then remove the files: once, at start. Keys of other nodes' folders are
        left for those nodes. Returns the kids moved."""
        with self._db.session() as session:
            rows = session.execute(
                select(SigningKey.kid, SigningKey.cert_pem, SigningKey.key_file).where(
                    SigningKey.sealed_key.is_(None), SigningKey.key_file.is_not(None)
                )
            ).all()
        moved: list[str] = []
        for kid, cert_pem, key_file in rows:
            path = Path(str(key_file))
            try:
                pem = path.read_bytes()
            except OSError:
                continue  # another node's folder (or gone): that node moves it
            from tenantlab.keys.jose import load_signing_key

            try:
                load_signing_key(pem, cert_pem)
            except (ValueError, TypeError):
                continue  # damaged, or not this certificate's key: rotating replaces it
            sealed = self._kek.seal(pem, context=sealing_context(kid))
            with self._db.session() as session:
                session.execute(
                    update(SigningKey)
                    .where(SigningKey.kid == kid, SigningKey.sealed_key.is_(None))
                    .values(sealed_key=sealed, key_file=None)
                )
            path.unlink(missing_ok=True)
            moved.append(kid)
        return moved
