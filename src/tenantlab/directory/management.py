"""Writes Graph's management API needs beyond the CLI's verbs, under the same rules.

PATCH semantics for `keyCredentials` (the whole set is replaced in one transaction: entries that
name an existing keyId keep it, entries with a `key` add a certificate, the rest are removed) and
updates of federated identity credentials (everything but the immutable `name`).
"""

from __future__ import annotations

import base64
import binascii
from typing import Any

from sqlalchemy import delete, select

from tenantlab.directory import audits, validation
from tenantlab.directory.audits import audited
from tenantlab.directory.credentials import (
    CredentialsMixin,
    certificate_description,
    federated_description,
)
from tenantlab.directory.errors import Conflict, CredentialNotFound, ValidationFailed
from tenantlab.storage.database import bump_revision
from tenantlab.storage.schema import FederatedIdentityCredential, KeyCredential


def _certificate_bytes(value: Any) -> bytes:
    """Graph sends `key` as base64 of the certificate file (DER, or PEM text)."""
    if not isinstance(value, str) or not value:
        raise ValidationFailed("keyCredentials.key must be a base64-encoded certificate")
    try:
        return base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError):
        raise ValidationFailed("keyCredentials.key is not valid base64") from None


class ManagementMixin(CredentialsMixin):
    @audited(audits.CREDENTIALS)
    def replace_key_credentials(
        self, *, tenant: str, app: str, entries: list[dict[str, Any]]
    ) -> list[KeyCredential]:
        """Make the application's certificates exactly `entries` (Graph PATCH keyCredentials).

        New certificates are added first (and taken back if one is refused), then the ones not
        named are removed, so a rejected PATCH leaves the app's certificates as they were.
        """
        if not isinstance(entries, list) or not all(isinstance(e, dict) for e in entries):
            raise ValidationFailed("keyCredentials must be a list of objects")
        with self.db.session() as session:
            t = self._tenant(session, tenant)
            found = self._application(session, t.id, app)
            app_id = found.id
            current = set(
                session.scalars(
                    select(KeyCredential.key_id).where(KeyCredential.application_id == app_id)
                )
            )
        keep: set[str] = set()
        additions: list[tuple[bytes, Any]] = []
        for entry in entries:
            key_id = str(entry.get("keyId") or "").lower()
            if entry.get("key") is None and key_id:
                if key_id not in current:
                    raise CredentialNotFound(f"no keyCredential with keyId {key_id} on this app")
                keep.add(key_id)
                continue
            if entry.get("type", "AsymmetricX509Cert") != "AsymmetricX509Cert":
                raise ValidationFailed("keyCredentials.type must be 'AsymmetricX509Cert'")
            if entry.get("usage", "Verify") != "Verify":
                raise ValidationFailed(
                    "keyCredentials.usage must be 'Verify' (a certificate for client sign-in)"
                )
            additions.append((_certificate_bytes(entry.get("key")), entry.get("displayName")))
        added: list[KeyCredential] = []
        try:
            for certificate, display_name in additions:
                added.append(
                    self.add_certificate(
                        tenant=tenant,
                        app=app_id,
                        certificate_pem_or_der=certificate,
                        display_name=display_name,
                    )
                )
        except Exception:
            with self.db.session() as session:
                application = self._application(session, self._tenant(session, tenant).id, app_id)
                for row in added:  # taken back: the log says so, as it said they were added
                    self._audit_credential(
                        session, application, "KeyDescription", removed=certificate_description(row)
                    )
                session.execute(
                    delete(KeyCredential).where(KeyCredential.key_id.in_([r.key_id for r in added]))
                )
            raise
        with self.db.session() as session:
            application = self._application(session, self._tenant(session, tenant).id, app_id)
            for row in session.scalars(
                select(KeyCredential).where(KeyCredential.key_id.in_(current - keep))
            ):
                self._audit_credential(
                    session, application, "KeyDescription", removed=certificate_description(row)
                )
            session.execute(delete(KeyCredential).where(KeyCredential.key_id.in_(current - keep)))
            bump_revision(session)
            return list(
                session.scalars(select(KeyCredential).where(KeyCredential.application_id == app_id))
            )

    @audited(audits.CREDENTIALS)
    def update_federated_credential(
        self, *, tenant: str, app: str, name_or_id: str, changes: dict[str, Any]
    ) -> FederatedIdentityCredential:
        """Change issuer, subject, audiences or description; `name` is immutable, as in Entra."""
        unknown = set(changes) - {"issuer", "subject", "audiences", "description", "name"}
        if unknown:
            raise ValidationFailed(
                f"Property '{sorted(unknown)[0]}' does not exist as a declared property or "
                "extension property."
            )
        with self.db.session() as session:
            t = self._tenant(session, tenant)
            found = self._application(session, t.id, app)
            rows = list(
                session.scalars(
                    select(FederatedIdentityCredential).where(
                        FederatedIdentityCredential.application_id == found.id
                    )
                )
            )
            row = next(
                (r for r in rows if r.id == name_or_id or r.name.lower() == name_or_id.lower()),
                None,
            )
            if row is None:
                raise CredentialNotFound(f"no federated credential '{name_or_id}' on this app")
            if "name" in changes and changes["name"] != row.name:
                raise ValidationFailed("the name of a federated identity credential cannot change")
            _, issuer, subject, audiences = validation.federated_credential(
                name=row.name,
                issuer=changes.get("issuer", row.issuer),
                subject=changes.get("subject", row.subject),
                audiences=changes.get("audiences", row.audiences),
            )
            for other in rows:
                if other.id != row.id and other.issuer == issuer and other.subject == subject:
                    raise Conflict(
                        f"federated credential '{other.name}' already has this issuer and subject"
                    )
            old = federated_description(row)
            row.issuer, row.subject, row.audiences = issuer, subject, list(audiences)
            if "description" in changes:
                row.description = changes["description"]
            self._audit_credential(
                session,
                found,
                "FederatedIdentityCredentials",
                added=federated_description(row),
                removed=old,
            )
            bump_revision(session)
            return row
