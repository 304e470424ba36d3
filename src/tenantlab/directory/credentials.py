"""Client secrets, certificates and federated identity credentials of an application.

Secrets: Entra's shape (40 characters, the first three are the `hint`), shown once, stored only as
a digest keyed with the installation's pepper (`secret_digests.py`), compared in constant time.
They are high-entropy random strings, so a slow password hash would add nothing but a
CPU-exhaustion vector.
"""

from __future__ import annotations

import calendar
import datetime as dt
import hashlib
import secrets
import string
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from tenantlab.directory import audits, validation
from tenantlab.directory._base import DirectoryBase
from tenantlab.directory.audits import audited
from tenantlab.directory.errors import Conflict, CredentialNotFound, ValidationFailed
from tenantlab.ids import FEDERATION_AUDIENCE, new_guid
from tenantlab.storage.database import bump_revision
from tenantlab.storage.schema import (
    Application,
    FederatedIdentityCredential,
    KeyCredential,
    PasswordCredential,
)

_SECRET_ALPHABET = string.ascii_letters + string.digits + "_-.~"
DEFAULT_SECRET_DAYS = 730


def generate_secret() -> str:
    """A client secret in Entra's current shape: 3 characters, `8Q~`, 34 characters."""
    head = "".join(secrets.choice(string.ascii_letters + string.digits) for _ in range(3))
    tail = "".join(secrets.choice(_SECRET_ALPHABET) for _ in range(34))
    return f"{head}8Q~{tail}"


def _add_months(when: dt.datetime, months: int) -> dt.datetime:
    month = when.month - 1 + months
    year = when.year + month // 12
    month = month % 12 + 1
    day = min(when.day, calendar.monthrange(year, month)[1])
    return when.replace(year=year, month=month, day=day)


@dataclass(frozen=True)
class NewSecret:
    credential: PasswordCredential
    secret_text: str  # shown once; never stored


def credential_change(
    app: Application, name: str, added: str | None, removed: str | None
) -> audits.Target:
    """The application whose credential `name` gained `added` or lost `removed` (descriptions
    that identify a credential, never its value)."""
    return audits.Target(
        app.id,
        app.display_name,
        modified=((name, [removed] if removed else [], [added] if added else []),),
    )


def password_description(row: PasswordCredential) -> str:
    return audits.key_description(row.key_id, "Password", row.display_name, row.hint or "")


def certificate_description(row: KeyCredential) -> str:
    return audits.key_description(row.key_id, "AsymmetricX509Cert", row.display_name)


def federated_description(row: FederatedIdentityCredential) -> str:
    return f"[Name={row.name}, Issuer={row.issuer}, Subject={row.subject}]"


class CredentialsMixin(DirectoryBase):
    def _audit_credential(
        self, session: Session, app: Application, name: str, *, added: str = "", removed: str = ""
    ) -> None:
        self._audit(
            session,
            audits.CREDENTIALS,
            app.tenant_id,
            credential_change(app, name, added or None, removed or None),
            details={"AppId": app.app_id},
        )

    def secret_matches(self, credential: PasswordCredential, secret: str) -> bool:
        """Whether `secret` is this password credential's value (constant time)."""
        return self.secret_digests.matches(credential.secret_digest, credential.key_id, secret)

    def upgrade_secret_digest(self, key_id: str, secret: str) -> bool:
        """Rewrite a digest made before the pepper, after `secret` was verified against it.

        Checked again here, so only the right secret ever rewrites a digest. True when rewritten.
        """
        with self.db.session() as session:
            row = session.get(PasswordCredential, key_id)
            if row is None or not self.secret_digests.outdated(row.secret_digest):
                return False
            if not self.secret_digests.matches(row.secret_digest, row.key_id, secret):
                return False
            row.secret_digest = self.secret_digests.digest(secret)
            bump_revision(session)  # every process's snapshot picks up the new digest
        return True

    @audited(audits.CREDENTIALS)
    def add_password(
        self,
        *,
        tenant: str,
        app: str,
        display_name: str | None = None,
        start: float | None = None,
        end: float | None = None,
        days: int | None = None,
        secret_text: str | None = None,
    ) -> NewSecret:
        """A new client secret; at most 24 months long, as the portal allows.

        `secret_text` chooses the value instead of generating one: for reproducible test setups
        only (a seed file's `value`). It is stored as a digest like any other.
        """
        now = self.clock.now()
        start_at = start if start is not None else now
        if end is None:
            end = start_at + 86400 * (days if days is not None else DEFAULT_SECRET_DAYS)
        if end <= start_at:
            raise ValidationFailed("the secret's end date must be after its start date")
        limit = _add_months(
            dt.datetime.fromtimestamp(start_at, dt.UTC), validation.MAX_SECRET_MONTHS
        )
        if end > limit.timestamp() + 1:
            raise ValidationFailed(
                "a client secret can be valid for at most 24 months; choose an earlier end date"
            )
        secret = generate_secret() if secret_text is None else validation.chosen_secret(secret_text)
        key_id = new_guid()
        with self.db.session() as session:
            t = self._tenant(session, tenant)
            found = self._application(session, t.id, app)
            credential = PasswordCredential(
                key_id=key_id,
                application_id=found.id,
                display_name=display_name,
                hint=secret[:3],
                secret_digest=self.secret_digests.digest(secret),
                start_at=start_at,
                end_at=end,
            )
            session.add(credential)
            self._audit_credential(
                session, found, "KeyDescription", added=password_description(credential)
            )
            bump_revision(session)
        return NewSecret(credential, secret)

    @audited(audits.CREDENTIALS)
    def remove_password(self, *, tenant: str, app: str, key_id: str) -> None:
        with self.db.session() as session:
            t = self._tenant(session, tenant)
            found = self._application(session, t.id, app)
            row = session.get(PasswordCredential, key_id.lower())
            if row is None or row.application_id != found.id:
                raise CredentialNotFound(f"no password credential with keyId {key_id} on this app")
            session.delete(row)
            self._audit_credential(
                session, found, "KeyDescription", removed=password_description(row)
            )
            bump_revision(session)

    def password_credentials(self, application_id: str) -> list[PasswordCredential]:
        with self.db.session() as session:
            return list(
                session.scalars(
                    select(PasswordCredential)
                    .where(PasswordCredential.application_id == application_id)
                    .order_by(PasswordCredential.start_at)
                )
            )

    @audited(audits.CREDENTIALS)
    def add_certificate(
        self,
        *,
        tenant: str,
        app: str,
        certificate_pem_or_der: bytes,
        display_name: str | None = None,
    ) -> KeyCredential:
        """Upload a certificate's public part (RSA >= 2048; .pem, .cer or .crt)."""
        # Imported here: every `tenantlab` command loads the directory, few upload certificates.
        from cryptography import x509
        from cryptography.hazmat.primitives import serialization
        from cryptography.hazmat.primitives.asymmetric import rsa

        try:
            if b"-----BEGIN" in certificate_pem_or_der:
                if (
                    b"PRIVATE KEY" in certificate_pem_or_der
                    and b"CERTIFICATE" not in certificate_pem_or_der
                ):
                    raise ValidationFailed("that file holds a private key; upload the certificate")
                cert = x509.load_pem_x509_certificate(certificate_pem_or_der)
            else:
                cert = x509.load_der_x509_certificate(certificate_pem_or_der)
        except ValueError:
            raise ValidationFailed(
                "not an X.509 certificate (expected PEM or DER: .pem, .cer or .crt)"
            ) from None
        public_key = cert.public_key()
        if not isinstance(public_key, rsa.RSAPublicKey) or public_key.key_size < 2048:
            raise ValidationFailed("the certificate's key must be RSA with at least 2048 bits")
        der = cert.public_bytes(serialization.Encoding.DER)
        sha1 = hashlib.sha1(der, usedforsecurity=False).hexdigest().upper()
        sha256 = hashlib.sha256(der).hexdigest().upper()
        with self.db.session() as session:
            t = self._tenant(session, tenant)
            found = self._application(session, t.id, app)
            clash = session.scalar(
                select(KeyCredential).where(
                    KeyCredential.application_id == found.id, KeyCredential.thumbprint_sha1 == sha1
                )
            )
            if clash is not None:
                raise Conflict(f"the certificate {sha1} is already registered on this app")
            row = KeyCredential(
                key_id=new_guid(),
                application_id=found.id,
                display_name=display_name or cert.subject.rfc4514_string(),
                key=der,
                thumbprint_sha1=sha1,
                thumbprint_sha256=sha256,
                start_at=cert.not_valid_before_utc.timestamp(),
                end_at=cert.not_valid_after_utc.timestamp(),
            )
            session.add(row)
            self._audit_credential(
                session, found, "KeyDescription", added=certificate_description(row)
            )
            bump_revision(session)
        return row

    @audited(audits.CREDENTIALS)
    def remove_certificate(self, *, tenant: str, app: str, key_id: str) -> None:
        with self.db.session() as session:
            t = self._tenant(session, tenant)
            found = self._application(session, t.id, app)
            row = session.get(KeyCredential, key_id.lower())
            if row is None or row.application_id != found.id:
                raise CredentialNotFound(f"no certificate with keyId {key_id} on this app")
            session.delete(row)
            self._audit_credential(
                session, found, "KeyDescription", removed=certificate_description(row)
            )
            bump_revision(session)

    def key_credentials(self, application_id: str) -> list[KeyCredential]:
        with self.db.session() as session:
            return list(
                session.scalars(
                    select(KeyCredential).where(KeyCredential.application_id == application_id)
                )
            )

    @audited(audits.CREDENTIALS)
    def add_federated_credential(
        self,
        *,
        tenant: str,
        app: str,
        name: str,
        issuer: str,
        subject: str,
        audiences: list[str] | None = None,
        description: str | None = None,
    ) -> FederatedIdentityCredential:
        """Trust tokens of an external issuer for this app (workload identity federation)."""
        name, issuer, subject, auds = validation.federated_credential(
            name=name, issuer=issuer, subject=subject, audiences=audiences or [FEDERATION_AUDIENCE]
        )
        with self.db.session() as session:
            t = self._tenant(session, tenant)
            found = self._application(session, t.id, app)
            existing = list(
                session.scalars(
                    select(FederatedIdentityCredential).where(
                        FederatedIdentityCredential.application_id == found.id
                    )
                )
            )
            if len(existing) >= validation.MAX_FEDERATED_CREDENTIALS:
                raise ValidationFailed(
                    f"an application can have at most {validation.MAX_FEDERATED_CREDENTIALS} "
                    "federated identity credentials; remove one first"
                )
            for other in existing:
                if other.name.lower() == name.lower():
                    raise Conflict(f"a federated credential named '{name}' already exists")
                if other.issuer == issuer and other.subject == subject:
                    raise Conflict(
                        f"federated credential '{other.name}' already has this issuer and subject"
                    )
            row = FederatedIdentityCredential(
                id=new_guid(),
                application_id=found.id,
                name=name,
                issuer=issuer,
                subject=subject,
                audiences=auds,
                description=description,
            )
            session.add(row)
            self._audit_credential(
                session, found, "FederatedIdentityCredentials", added=federated_description(row)
            )
            bump_revision(session)
        return row

    def federated_credentials(self, application_id: str) -> list[FederatedIdentityCredential]:
        with self.db.session() as session:
            return list(
                session.scalars(
                    select(FederatedIdentityCredential).where(
                        FederatedIdentityCredential.application_id == application_id
                    )
                )
            )

    @audited(audits.CREDENTIALS)
    def remove_federated_credential(self, *, tenant: str, app: str, name_or_id: str) -> None:
        with self.db.session() as session:
            t = self._tenant(session, tenant)
            found = self._application(session, t.id, app)
            row = session.scalar(
                select(FederatedIdentityCredential).where(
                    FederatedIdentityCredential.application_id == found.id,
                    (FederatedIdentityCredential.id == name_or_id)
                    | (func.lower(FederatedIdentityCredential.name) == name_or_id.lower()),
                )
            )
            if row is None:
                raise CredentialNotFound(f"no federated credential '{name_or_id}' on this app")
            session.delete(row)
            self._audit_credential(
                session, found, "FederatedIdentityCredentials", removed=federated_description(row)
            )
            bump_revision(session)
