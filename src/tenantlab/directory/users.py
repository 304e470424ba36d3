"""Users of a tenant. A password (optional, for the delegated test path) gets argon2id."""

from __future__ import annotations

from typing import Any

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import delete, select

from tenantlab.directory import audits, changes, validation
from tenantlab.directory._base import DirectoryBase
from tenantlab.directory.audits import audited
from tenantlab.directory.errors import Conflict, UserNotFound, ValidationFailed
from tenantlab.ids import is_guid, new_guid, normalize_guid
from tenantlab.storage.database import bump_revision
from tenantlab.storage.schema import TenantDomain, User

_hasher = PasswordHasher()

USER_FIELDS = (
    "display_name",
    "given_name",
    "surname",
    "mail",
    "mail_nickname",
    "job_title",
    "mobile_phone",
    "office_location",
    "preferred_language",
    "business_phones",
    "account_enabled",
    "department",
    "company_name",
    "employee_id",
    "employee_type",
    "usage_location",
    "street_address",
    "city",
    "state",
    "postal_code",
    "country",
    "fax_number",
    "other_mails",
    "proxy_addresses",
    "identities",
    "on_premises_sync_enabled",
    "on_premises_immutable_id",
)
_IDENTITY_KEYS = frozenset({"signInType", "issuer", "issuerAssignedId"})


def _checked(fields: dict[str, Any]) -> dict[str, Any]:
    """Values the columns can hold, whoever sets them (Graph, the CLI, a seed file): strings
    within their column's length (PostgreSQL would refuse a longer one mid-write), a two-letter
    usageLocation, identities in objectIdentity's shape."""
    location = fields.get("usage_location")
    if location is not None:
        if not (isinstance(location, str) and len(location) == 2 and location.isalpha()):
            raise ValidationFailed(
                "usageLocation must be a two-letter country code (ISO 3166-1 alpha-2), such as US"
            )
        fields["usage_location"] = location.upper()
    columns = User.__table__.columns
    for name, value in fields.items():
        length = getattr(columns[name].type, "length", None) if name in columns else None
        if isinstance(value, str) and length is not None and len(value) > length:
            first, *rest = name.split("_")
            graph_name = first + "".join(part.capitalize() for part in rest)
            raise ValidationFailed(f"{graph_name} is longer than {length} characters")
    for identity in fields.get("identities") or ():
        if (
            not isinstance(identity, dict)
            or not set(identity) <= _IDENTITY_KEYS
            or not all(isinstance(identity.get(k), str) and identity[k] for k in _IDENTITY_KEYS)
        ):
            raise ValidationFailed(
                "each identity needs signInType, issuer and issuerAssignedId (strings)"
            )
    return fields


def _graph_name(column: str) -> str:
    head, *rest = column.split("_")
    return head + "".join(part.capitalize() for part in rest)


def user_target(user: User, before: dict[str, Any] | None = None) -> audits.Target:
    """A user as an audit target; with `before`, the properties that changed (never a password)."""
    after = {_graph_name(name): getattr(user, name) for name in USER_FIELDS}
    if before is not None:
        before = {_graph_name(name): value for name, value in before.items()}
    return audits.Target(
        user.id,
        user.display_name,
        user_principal_name=user.user_principal_name,
        modified=audits.modified(before, after) if before is not None else (),
    )


class UsersMixin(DirectoryBase):
    @audited(audits.ADD_USER)
    def create_user(
        self,
        /,
        *,
        tenant: str,
        user_principal_name: str,
        display_name: str,
        password: str | None = None,
        user_id: str | None = None,
        **fields: Any,
    ) -> User:
        """A member user; the UPN's domain must be one of the tenant's domains."""
        unknown = set(fields) - set(USER_FIELDS)
        if unknown:
            raise ValidationFailed(f"unknown user property '{sorted(unknown)[0]}'")
        upn = user_principal_name.strip()
        alias, _, domain = upn.rpartition("@")
        if not alias or not domain or any(c.isspace() for c in upn):
            raise ValidationFailed(
                f"userPrincipalName '{upn}' must look like alias@domain (for example "
                "adele@contoso.onmicrosoft.com)"
            )
        name = validation.display_name(display_name)
        fields = _checked(dict(fields))
        if not fields.get("identities"):
            # How Entra lists a member's own sign-in name among its identities.
            fields["identities"] = [
                {"signInType": "userPrincipalName", "issuer": domain, "issuerAssignedId": upn}
            ]
        password_hash = _hasher.hash(validation.password(password)) if password else None
        with self.db.session() as session:
            t = self._tenant(session, tenant)
            owner = session.get(TenantDomain, domain.lower())
            if owner is None or owner.tenant_id != t.id:
                raise ValidationFailed(
                    "The domain portion of the userPrincipalName property is invalid. You must "
                    "use one of the verified domain names in your organization."
                )
            if session.scalar(
                select(User).where(User.tenant_id == t.id, User.upn_key == upn.lower())
            ):
                raise Conflict(
                    "Another object with the same value for property userPrincipalName already "
                    "exists."
                )
            user = User(
                id=normalize_guid(user_id) if user_id else new_guid(),
                tenant_id=t.id,
                user_principal_name=upn,
                upn_key=upn.lower(),
                display_name=name,
                password_hash=password_hash,
                created_at=self.clock.now(),
                mail_nickname=fields.pop("mail_nickname", None) or alias,
                **fields,
            )
            session.add(user)
            self._audit(session, audits.ADD_USER, t.id, user_target(user))
            bump_revision(session)
            self._changed(session, "users", user, changes.CREATED)
        return user

    def get_user(self, *, tenant: str, key: str) -> User:
        """By object id or userPrincipalName (case-insensitive)."""
        with self.db.session() as session:
            t = self._tenant(session, tenant)
            if is_guid(key):
                user = session.get(User, normalize_guid(key))
            else:
                user = session.scalar(
                    select(User).where(User.tenant_id == t.id, User.upn_key == key.lower())
                )
            if user is None or user.tenant_id != t.id:
                raise UserNotFound(f"no user '{key}' in this tenant")
            return user

    def list_users(self, *, tenant: str) -> list[User]:
        with self.db.session() as session:
            t = self._tenant(session, tenant)
            return list(
                session.scalars(select(User).where(User.tenant_id == t.id).order_by(User.id))
            )

    @audited(audits.UPDATE_USER)
    def update_user(self, /, *, tenant: str, key: str, **fields: Any) -> User:
        unknown = set(fields) - set(USER_FIELDS) - {"password"}
        if unknown:
            raise ValidationFailed(f"unknown user property '{sorted(unknown)[0]}'")
        fields = _checked(dict(fields))
        found = self.get_user(tenant=tenant, key=key)
        with self.db.session() as session:
            user = session.get(User, found.id)
            assert user is not None
            before = {name: getattr(user, name) for name in USER_FIELDS}
            for name, value in fields.items():
                if name == "password":
                    user.password_hash = _hasher.hash(validation.password(value))
                elif name == "display_name":
                    user.display_name = validation.display_name(value)
                else:
                    setattr(user, name, value)
            if "password" in fields:  # that it changed, never what it is
                self._audit(session, audits.RESET_PASSWORD, user.tenant_id, user_target(user))
            if set(fields) - {"password"}:
                self._audit(session, audits.UPDATE_USER, user.tenant_id, user_target(user, before))
            bump_revision(session)
            changed = [
                _graph_name(name) for name in USER_FIELDS if getattr(user, name) != before[name]
            ]
            if changed:  # a password is no property anyone reads: no change to track
                self._changed(session, "users", user, changes.UPDATED, changed)
            return user

    @audited(audits.DELETE_USER)
    def delete_user(self, *, tenant: str, key: str) -> None:
        found = self.get_user(tenant=tenant, key=key)
        with self.db.session() as session:
            session.execute(delete(User).where(User.id == found.id))
            self._audit(session, audits.DELETE_USER, found.tenant_id, user_target(found))
            bump_revision(session)
            self._changed(session, "users", found, changes.DELETED)

    def verify_user_password(self, user: User, password: str) -> bool:
        """Constant-time check against the stored argon2id hash (False when none is set)."""
        if not user.password_hash:
            return False
        try:
            return _hasher.verify(user.password_hash, password)
        except (VerificationError, InvalidHashError):
            return False
