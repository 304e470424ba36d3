"""In-memory snapshots of the directory for the token endpoint's hot path.

A token request must not query the directory: it reads a per-tenant snapshot (clients with their
secret digests and certificates, service principals, resources by every identifier, consented
role values) built once per directory revision. The revision comes from `storage.revisions`: a
one-row read on a kept connection on SQLite, memory kept current by LISTEN/NOTIFY on PostgreSQL —
so a change made by the CLI, Graph or another process shows up on the next request (on another
PostgreSQL node: once its notification arrives, milliseconds).

When a request is about to fail for something the snapshot lacks (unknown client, wrong secret,
unknown resource, unknown tenant), the caller asks for `refresh_*` once: it re-reads the revision
and, if the snapshot may be stale, rebuilds it before the error is answered. Rebuilds without a
revision change are rate-limited, so a stream of bad requests cannot turn into a stream of
directory reloads.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field

from tenantlab.directory import LockoutPolicy
from tenantlab.directory.validation import may_name_resource
from tenantlab.ids import MICROSOFT_GRAPH_APP_ID, MICROSOFT_GRAPH_RESOURCE, is_guid, normalize_guid
from tenantlab.storage.database import Database
from tenantlab.sts import loader

# How often a failing request may force a rebuild although the revision did not move.
FORCED_RELOAD_INTERVAL = 1.0


@dataclass(frozen=True)
class PasswordEntry:
    key_id: str
    digest: str
    start_at: float
    end_at: float


@dataclass(frozen=True)
class CertificateEntry:
    """A registered certificate (public part) for certificate client assertions (issue 3)."""

    key_id: str
    der: bytes
    thumbprint_sha1: str  # hex, upper-case
    thumbprint_sha256: str  # hex, upper-case
    start_at: float
    end_at: float


@dataclass(frozen=True)
class FederatedEntry:
    name: str
    issuer: str
    subject: str
    audiences: tuple[str, ...]


@dataclass(frozen=True)
class ClientEntry:
    """A client application as this tenant sees it: its registration + its service principal."""

    app_id: str
    application_object_id: str
    display_name: str
    home_tenant_id: str
    sign_in_audience: str
    service_principal_id: str
    enabled: bool
    passwords: tuple[PasswordEntry, ...] = ()
    certificates: tuple[CertificateEntry, ...] = ()
    federated: tuple[FederatedEntry, ...] = ()
    # A managed identity's Azure resource id (its tokens' `xms_mirid`); None for applications.
    managed_identity_resource_id: str | None = None


@dataclass(frozen=True)
class ResourceEntry:
    """A resource (API) service principal: what decides the token's shape and `roles`."""

    service_principal_id: str
    app_id: str
    display_name: str
    token_version: int  # 1 or 2
    first_party: bool
    idtyp: bool  # the resource asked for the `idtyp` optional access-token claim
    aud_use_guid: bool  # optional claim `aud` with `use_guid`
    assignment_required: bool
    identifiers: tuple[str, ...]  # as registered: identifierUris / servicePrincipalNames
    # Its application's groupMembershipClaims (None, SecurityGroup, All, ApplicationGroup, ...),
    # and whether its `groups` optional access-token claim says `emit_as_roles`.
    group_membership_claims: str | None = None
    groups_as_roles: bool = False


@dataclass(frozen=True)
class GroupFacts:
    """The tenant's groups as tokens need them: which group or service principal is directly in
    which groups (users' memberships are read at sign-in: a tenant of many users would reload
    them all on every directory change), which groups are security groups, which are assigned
    to which resource, with which role values."""

    parents: dict[str, tuple[str, ...]] = field(default_factory=dict)  # member id -> group ids
    security: frozenset[str] = frozenset()
    roles: dict[tuple[str, str], tuple[str, ...]] = field(default_factory=dict)  # (group, res)
    assigned: dict[str, frozenset[str]] = field(default_factory=dict)  # resource SP -> groups

    def transitive(self, object_id: str, direct: tuple[str, ...] | None = None) -> set[str]:
        """Every group `object_id` is in, through nested groups; cycle-safe. `direct`: its own
        groups when the snapshot does not hold them (a user's)."""
        found: set[str] = set(direct or ())
        frontier = list(found) if direct is not None else [object_id]
        while frontier:
            parents = [g for m in frontier for g in self.parents.get(m, ())]
            frontier = [g for g in dict.fromkeys(parents) if g not in found and g != object_id]
            found.update(frontier)
        return found


@dataclass(frozen=True)
class TenantSnapshot:
    revision: int
    tenant_id: str
    display_name: str
    domains: tuple[str, ...]
    created_at: float
    clients: dict[str, ClientEntry]  # appId (lower-case) -> client
    # any identifier (lower-case) -> the resource and that identifier as registered
    resources: dict[str, tuple[ResourceEntry, str]]
    roles: dict[tuple[str, str], tuple[str, ...]]  # (client SP, resource SP) -> role values
    lockout: LockoutPolicy = field(default_factory=LockoutPolicy)  # of the password grant
    groups: GroupFacts = field(default_factory=GroupFacts)
    built_at: float = field(default_factory=time.monotonic)

    @property
    def aliases(self) -> tuple[str, ...]:
        return (self.tenant_id, *self.domains)

    def client(self, client_id: str) -> ClientEntry | None:
        return self.clients.get(client_id.lower())

    def resource(self, identifier: str) -> tuple[ResourceEntry, str] | None:
        """The resource an identifier names, and the identifier as registered (for v1 `aud`)."""
        return self.resources.get(identifier.lower())

    def role_values(self, client_sp_id: str, resource_sp_id: str) -> tuple[str, ...]:
        return self.roles.get((client_sp_id, resource_sp_id), ())

    def has_assignment(self, client_sp_id: str, resource_sp_id: str) -> bool:
        """Any app role assignment of the resource held by the client (enabled role or not)."""
        return (client_sp_id, resource_sp_id) in self.roles


@dataclass(frozen=True)
class TenantIndex:
    """Every alias of every tenant (GUID, domain names), lower-case, to the tenant id."""

    revision: int
    aliases: dict[str, str]
    built_at: float = field(default_factory=time.monotonic)

    def resolve(self, alias: str) -> str | None:
        key = alias.lower()
        if is_guid(key):
            key = normalize_guid(key)
        return self.aliases.get(key)


class DirectoryCache:
    """Snapshots of every tenant the STS has served, rebuilt when the revision moves."""

    def __init__(self, database: Database) -> None:
        self._db = database
        self.revisions = database.revisions
        self._lock = threading.Lock()
        self._index: TenantIndex | None = None
        self._tenants: dict[str, TenantSnapshot] = {}

    def revision(self) -> int:
        return self.revisions.current()

    # -- tenants by alias ------------------------------------------------------------------------

    def resolve_tenant(self, alias: str, revision: int) -> str | None:
        index = self._index
        if index is None or index.revision != revision:
            index = self._rebuild_index(revision)
        return index.resolve(alias)

    def refresh_tenant_alias(self, alias: str) -> str | None:
        """Second chance for an unknown alias: re-read the revision, rebuild if it may be stale."""
        revision = self.revisions.fresh()
        index = self._index
        if index is None or index.revision != revision or _may_force(index.built_at):
            index = self._rebuild_index(revision)
        return index.resolve(alias)

    def _rebuild_index(self, revision: int) -> TenantIndex:
        with self._lock:
            with self._db.session() as session:
                aliases = loader.tenant_aliases(session)
            index = TenantIndex(revision, aliases)
            self._index = index
            return index

    # -- per-tenant snapshots --------------------------------------------------------------------

    def tenant(self, tenant_id: str, revision: int) -> TenantSnapshot | None:
        snapshot = self._tenants.get(tenant_id)
        if snapshot is not None and snapshot.revision == revision:
            return snapshot
        return self._rebuild_tenant(tenant_id, revision)

    def refresh_tenant(self, snapshot: TenantSnapshot) -> TenantSnapshot:
        """Second chance before answering an error that a fresher snapshot might avoid."""
        revision = self.revisions.fresh()
        if revision == snapshot.revision and not _may_force(snapshot.built_at):
            return snapshot
        return self._rebuild_tenant(snapshot.tenant_id, revision) or snapshot

    def _rebuild_tenant(self, tenant_id: str, revision: int) -> TenantSnapshot | None:
        with self._lock:
            with self._db.session() as session:
                parts = loader.tenant_parts(session, tenant_id)
            if parts is None:
                self._tenants.pop(tenant_id, None)
                return None
            snapshot = _assemble(revision, parts)
            self._tenants[tenant_id] = snapshot
            return snapshot


def _may_force(built_at: float) -> bool:
    return time.monotonic() - built_at >= FORCED_RELOAD_INTERVAL


def _assemble(revision: int, parts: loader.TenantParts) -> TenantSnapshot:
    passwords: dict[str, list[PasswordEntry]] = {}
    for row in parts.passwords:
        passwords.setdefault(row.application_id, []).append(
            PasswordEntry(row.key_id, row.secret_digest, row.start_at, row.end_at)
        )
    certificates: dict[str, list[CertificateEntry]] = {}
    for cert in parts.certificates:
        certificates.setdefault(cert.application_id, []).append(
            CertificateEntry(
                cert.key_id,
                cert.key,
                cert.thumbprint_sha1,
                cert.thumbprint_sha256,
                cert.start_at,
                cert.end_at,
            )
        )
    federated: dict[str, list[FederatedEntry]] = {}
    for fic in parts.federated:
        federated.setdefault(fic.application_id, []).append(
            FederatedEntry(fic.name, fic.issuer, fic.subject, tuple(fic.audiences or ()))
        )

    clients: dict[str, ClientEntry] = {}
    resources: dict[str, tuple[ResourceEntry, str]] = {}
    role_names: dict[str, dict[str, str]] = {}  # resource SP id -> role id -> value
    for sp, app in parts.principals:
        if app is None and sp.service_principal_type == "ManagedIdentity":
            continue  # a client only, served by the managed identity endpoints; never a resource
        if app is not None:
            clients[sp.app_id.lower()] = ClientEntry(
                app_id=sp.app_id,
                application_object_id=app.id,
                display_name=app.display_name,
                home_tenant_id=app.tenant_id,
                sign_in_audience=app.sign_in_audience,
                service_principal_id=sp.id,
                enabled=sp.account_enabled,
                passwords=tuple(passwords.get(app.id, ())),
                certificates=tuple(certificates.get(app.id, ())),
                federated=tuple(federated.get(app.id, ())),
            )
        roles = sp.app_roles if app is None else app.app_roles
        role_names[sp.id] = {
            r["id"]: r["value"] for r in roles or () if r.get("isEnabled", True) and r.get("value")
        }
        first_party = app is None
        optional = [] if app is None else (app.optional_claims or {}).get("accessToken") or []
        # A name squatted before the directory refused it (api://{another app's appId},
        # graph.microsoft.com) never names the squatter: it resolves to its owner or to nothing.
        identifiers = (
            tuple(sp.service_principal_names)
            if app is None
            else (
                sp.app_id,
                *(
                    name
                    for name in (*app.identifier_uris, *sp.service_principal_names)
                    if may_name_resource(str(name), app_id=app.app_id, tenant_id=app.tenant_id)
                ),
            )
        )
        entry = ResourceEntry(
            service_principal_id=sp.id,
            app_id=sp.app_id,
            display_name=sp.display_name,
            # Microsoft's own APIs (Graph) always get v1 tokens; others follow the registration.
            token_version=2 if app is not None and app.requested_access_token_version == 2 else 1,
            first_party=first_party,
            idtyp=any(c.get("name") == "idtyp" for c in optional),
            aud_use_guid=any(
                c.get("name") == "aud" and "use_guid" in (c.get("additionalProperties") or [])
                for c in optional
            ),
            assignment_required=sp.app_role_assignment_required,
            identifiers=tuple(dict.fromkeys(str(i) for i in identifiers)),
            group_membership_claims=None if app is None else app.group_membership_claims,
            groups_as_roles=any(
                c.get("name") == "groups"
                and "emit_as_roles" in (c.get("additionalProperties") or [])
                for c in optional
            ),
        )
        for identifier in entry.identifiers:
            resources.setdefault(identifier.lower(), (entry, identifier))
        if sp.app_id == MICROSOFT_GRAPH_APP_ID:
            resources.setdefault(MICROSOFT_GRAPH_RESOURCE, (entry, MICROSOFT_GRAPH_RESOURCE))

    granted: dict[tuple[str, str], set[str]] = {}
    for principal_id, resource_id, role_id in parts.assignments:
        value = role_names.get(resource_id, {}).get(role_id)
        key = (principal_id, resource_id)
        bucket = granted.setdefault(key, set())
        if value is not None:
            bucket.add(value)
    return TenantSnapshot(
        revision=revision,
        tenant_id=parts.tenant.id,
        display_name=parts.tenant.display_name,
        domains=tuple(parts.domains),
        created_at=parts.tenant.created_at,
        clients=clients,
        resources=resources,
        roles={key: tuple(sorted(values)) for key, values in granted.items()},
        lockout=LockoutPolicy.of(parts.tenant),
        groups=_group_facts(parts, role_names),
    )


def _group_facts(parts: loader.TenantParts, role_names: dict[str, dict[str, str]]) -> GroupFacts:
    parents: dict[str, list[str]] = {}
    for member_id, group_id in parts.memberships:
        parents.setdefault(member_id, []).append(group_id)
    roles: dict[tuple[str, str], set[str]] = {}
    assigned: dict[str, set[str]] = {}
    for group_id, resource_id, role_id in parts.group_assignments:
        assigned.setdefault(resource_id, set()).add(group_id)
        value = role_names.get(resource_id, {}).get(role_id)
        if value is not None:
            roles.setdefault((group_id, resource_id), set()).add(value)
    return GroupFacts(
        parents={member: tuple(groups) for member, groups in parents.items()},
        security=frozenset(g for g, security in parts.groups if security),
        roles={key: tuple(sorted(values)) for key, values in roles.items()},
        assigned={resource: frozenset(groups) for resource, groups in assigned.items()},
    )


__all__ = [
    "CertificateEntry",
    "ClientEntry",
    "DirectoryCache",
    "FederatedEntry",
    "GroupFacts",
    "PasswordEntry",
    "ResourceEntry",
    "TenantIndex",
    "TenantSnapshot",
]
