"""Applying a tenant file: create what is missing, update what differs, never delete.

Objects are matched by natural keys (tenant domain, app displayName, role/scope value, secret
displayName, user UPN), so applying the same file twice changes nothing: not even the directory's
revision counter. Collections the file lists (roles, scopes, secrets, grants, users) are additive;
properties it sets (signInAudience, identifierUris, ...) are made to match.

A generated secret's value is returned once (for printing) and written to an owner-only file,
`{home}/secrets/{appId}.json`; the database keeps only its digest.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass, field
from functools import partial
from typing import Any

from tenantlab.clock import iso_z
from tenantlab.config import ensure_private_dir, write_private_file
from tenantlab.directory import Directory, GroupNotFound, UserNotFound, validation
from tenantlab.directory.errors import Conflict
from tenantlab.ids import new_guid
from tenantlab.platform import Platform
from tenantlab.seed.spec import (
    AppSpec,
    GroupSpec,
    ManagedIdentitySpec,
    RoleSpec,
    ScopeSpec,
    TenantSpec,
    UserSpec,
)
from tenantlab.storage.schema import Application, Group, Tenant


@dataclass(frozen=True)
class IssuedSecret:
    tenant_id: str
    app_display_name: str
    app_id: str
    key_id: str
    display_name: str
    end_date_time: str
    secret_text: str | None  # None when the value came from the file


@dataclass
class SeedReport:
    changes: list[str] = field(default_factory=list)
    secrets: list[IssuedSecret] = field(default_factory=list)
    tenants: list[Tenant] = field(default_factory=list)

    def summary_lines(self) -> list[str]:
        if not self.changes:
            return ["seed: nothing to change"]
        lines = [f"seed: {c}" for c in self.changes]
        for s in self.secrets:
            if s.secret_text is not None:
                lines.append(
                    f"secret '{s.display_name}' of {s.app_display_name} (appId {s.app_id}): "
                    f"{s.secret_text}  (shown once; also in secrets/{s.app_id}.json)"
                )
        return lines


class SeedApplier:
    def __init__(self, platform: Platform) -> None:
        self.platform = platform
        self.directory: Directory = platform.directory
        self.report = SeedReport()
        self.at = ""  # where in the file the applier is, for errors: tenants[0].apps[1].grants[0]

    def note(self, message: str) -> None:
        self.report.changes.append(message)

    def tenant(self, spec: TenantSpec, at: str = "tenants[0]") -> Tenant:
        d = self.directory
        self.at = at
        found = d.find_tenant(spec.initial_domain)
        if found is None and spec.id is not None and d.find_tenant(spec.id) is not None:
            raise Conflict(f"tenant id {spec.id} already belongs to a tenant with another domain")
        if found is not None and spec.id is not None and found.id != spec.id.lower():
            raise Conflict(
                f"the domain {spec.initial_domain} belongs to tenant {found.id}, not {spec.id}"
            )
        if found is None:
            found = d.create_tenant(
                display_name=spec.displayName,
                domain=spec.initial_domain,
                tenant_type=spec.type,
                tenant_id=spec.id,
                extra_domains=spec.domains,
            )
            self.note(f"created tenant {spec.displayName} ({found.id}, {spec.initial_domain})")
        else:
            have = set(d.tenant_domains(found.id))
            for extra in spec.domains:
                name = validation.domain_name(extra)
                if name not in have:
                    d.add_domain(tenant=found.id, domain=name)
                    self.note(f"added domain {name} to {spec.initial_domain}")
        self.report.tenants.append(found)
        apps = []
        for ai, app_spec in enumerate(spec.apps):
            self.at = f"{at}.apps[{ai}]"
            apps.append(self.application(found, app_spec))
        for ai, (app, app_spec) in enumerate(zip(apps, spec.apps, strict=True)):
            self.at = f"{at}.apps[{ai}]"
            self.secrets(found, app, app_spec)
            self.grants(found, app, app_spec, at=self.at)
        for ui, user in enumerate(spec.users):
            self.at = f"{at}.users[{ui}]"
            self.user(found, spec, user)
        for identity in spec.managedIdentities:
            self.managed_identity(found, identity)
        groups = []
        for gi, group_spec in enumerate(spec.groups):
            self.at = f"{at}.groups[{gi}]"
            groups.append(self.group(found, group_spec))
        for gi, (group, group_spec) in enumerate(zip(groups, spec.groups, strict=True)):
            self.at = f"{at}.groups[{gi}]"  # members once every group exists (nesting)
            self.group_links(found, group, group_spec)
        return found

    def managed_identity(self, tenant: Tenant, spec: ManagedIdentitySpec) -> None:
        d = self.directory
        current = {v.name: v for v in d.list_managed_identities(tenant=tenant.id)}
        view = current.get(spec.name)
        if view is None:
            view = d.create_managed_identity(
                tenant=tenant.id, name=spec.name, kind=spec.type, hosts=tuple(spec.hosts)
            )
            self.note(f"created managed identity {spec.name} (clientId {view.client_id})")
        elif view.kind != spec.type:
            raise Conflict(f"the managed identity '{spec.name}' exists as {view.kind}")
        for host in spec.hosts:
            if host not in view.hosts:
                view = d.attach_managed_identity(tenant=tenant.id, key=spec.name, host=host)
                self.note(f"attached managed identity {spec.name} to host {host}")
        held = len(d.app_role_assignments(view.principal_id))
        for grant in spec.grants:
            for role in grant.roles:
                d.grant_app_role(
                    tenant=tenant.id, client=view.principal_id, resource=grant.resource, role=role
                )
        added = len(d.app_role_assignments(view.principal_id)) - held
        if added:
            self.note(f"granted {added} app role(s) to managed identity {spec.name}")

    # -- applications ----------------------------------------------------------------------

    def application(self, tenant: Tenant, spec: AppSpec) -> Application:
        d = self.directory
        existing = [
            a
            for a in d.list_applications(tenant=tenant.id)
            if a.display_name.lower() == spec.displayName.strip().lower()
        ]
        if not existing:
            uris = spec.identifierUris
            if uris is None and spec.scopes:
                uris = ["api://{appId}"]
            app = d.create_application(
                tenant=tenant.id,
                display_name=spec.displayName,
                sign_in_audience=spec.signInAudience,
                identifier_uris=uris,
                requested_access_token_version=spec.requestedAccessTokenVersion,
                app_roles=_merge_roles([], spec.roles),
                oauth2_permission_scopes=_merge_scopes([], spec.scopes),
                optional_claims=spec.optionalClaims,
                description=spec.description,
                app_id=spec.appId.lower() if spec.appId else None,
            )
            if spec.groupMembershipClaims is not None:
                app = d.update_application(
                    tenant=tenant.id,
                    app=app.id,
                    changes={"groupMembershipClaims": spec.groupMembershipClaims},
                )
            self.note(f"registered {app.display_name} (appId {app.app_id})")
        else:
            app = existing[0]
            if spec.appId is not None and app.app_id != spec.appId.lower():
                raise Conflict(
                    f"the app '{app.display_name}' exists with appId {app.app_id}, not {spec.appId}"
                )
            changes = _app_changes(app, spec)
            if changes:
                app = d.update_application(tenant=tenant.id, app=app.id, changes=changes)
                self.note(f"updated {app.display_name}: {', '.join(sorted(changes))}")
        if spec.assignmentRequired is not None:
            sp = d.get_service_principal(tenant=tenant.id, key=app.app_id)
            if sp.app_role_assignment_required != spec.assignmentRequired:
                d.set_assignment_required(
                    tenant=tenant.id, key=app.app_id, required=spec.assignmentRequired
                )
                self.note(
                    f"{app.display_name}: appRoleAssignmentRequired={spec.assignmentRequired}"
                )
        return app

    def secrets(self, tenant: Tenant, app: Application, spec: AppSpec) -> None:
        d = self.directory
        current = {
            c.display_name.lower(): c for c in d.password_credentials(app.id) if c.display_name
        }
        for secret in spec.secrets:
            old = current.get(secret.displayName.lower())
            if old is not None and (
                secret.value is None or self.directory.secret_matches(old, secret.value)
            ):
                continue
            if old is not None:
                d.remove_password(tenant=tenant.id, app=app.id, key_id=old.key_id)
            created = d.add_password(
                tenant=tenant.id,
                app=app.id,
                display_name=secret.displayName,
                days=secret.days,
                end=_epoch(secret.endDateTime) if secret.endDateTime else None,
                secret_text=secret.value,
            )
            verb = "replaced" if old is not None else "added"
            self.note(f"{verb} secret '{secret.displayName}' of {app.display_name}")
            issued = IssuedSecret(
                tenant_id=tenant.id,
                app_display_name=app.display_name,
                app_id=app.app_id,
                key_id=created.credential.key_id,
                display_name=secret.displayName,
                end_date_time=iso_z(created.credential.end_at),
                secret_text=None if secret.value is not None else created.secret_text,
            )
            self.report.secrets.append(issued)
            if issued.secret_text is not None:
                # Written once the file's transaction commits: a failed apply keeps no value.
                self.platform.database.after_commit(partial(self._keep_secret, issued))

    def _keep_secret(self, issued: IssuedSecret) -> None:
        """Append the new value to `{home}/secrets/{appId}.json` (0600 in a 0700 folder)."""
        folder = ensure_private_dir(self.platform.settings.home / "secrets")
        path = folder / f"{issued.app_id}.json"
        entries: list[dict[str, Any]] = []
        if path.is_file():
            try:
                entries = list(json.loads(path.read_text(encoding="utf-8")))
            except (ValueError, TypeError):
                entries = []
        entries.append(
            {
                "tenantId": issued.tenant_id,
                "clientId": issued.app_id,
                "appDisplayName": issued.app_display_name,
                "keyId": issued.key_id,
                "displayName": issued.display_name,
                "endDateTime": issued.end_date_time,
                "secretText": issued.secret_text,
            }
        )
        write_private_file(path, (json.dumps(entries, indent=2) + "\n").encode("utf-8"))

    def grants(self, tenant: Tenant, app: Application, spec: AppSpec, at: str = "") -> None:
        d = self.directory
        for gi, grant in enumerate(spec.grants):
            self.at = f"{at}.grants[{gi}]"
            for role in grant.roles:
                before = d.revision()
                d.grant_app_role(
                    tenant=tenant.id, client=app.id, resource=grant.resource, role=role
                )
                if d.revision() != before:
                    self.note(f"granted {role} of {grant.resource} to {app.display_name}")
            if grant.scopes:
                before = d.revision()
                d.grant_delegated(
                    tenant=tenant.id, client=app.id, resource=grant.resource, scopes=grant.scopes
                )
                if d.revision() != before:
                    scopes = " ".join(grant.scopes)
                    self.note(f"consented {scopes} of {grant.resource} for {app.display_name}")

    # -- users -------------------------------------------------------------------------------

    def user(self, tenant: Tenant, tenant_spec: TenantSpec, spec: UserSpec) -> None:
        d = self.directory
        upn = tenant_spec.user_principal_name(spec)
        display_name = spec.displayName or upn.split("@", 1)[0]
        fields: dict[str, Any] = {
            "display_name": display_name,
            "given_name": spec.givenName,
            "surname": spec.surname,
            "mail": spec.mail,
            "job_title": spec.jobTitle,
            "mobile_phone": spec.mobilePhone,
            "office_location": spec.officeLocation,
            "preferred_language": spec.preferredLanguage,
            "business_phones": spec.businessPhones,
            "account_enabled": spec.accountEnabled,
            "department": spec.department,
            "company_name": spec.companyName,
            "employee_id": spec.employeeId,
            "employee_type": spec.employeeType,
            "usage_location": spec.usageLocation,
            "street_address": spec.streetAddress,
            "city": spec.city,
            "state": spec.state,
            "postal_code": spec.postalCode,
            "country": spec.country,
            "fax_number": spec.faxNumber,
            "other_mails": spec.otherMails,
            "proxy_addresses": spec.proxyAddresses,
            "identities": spec.identities,
            "on_premises_sync_enabled": spec.onPremisesSyncEnabled,
            "on_premises_immutable_id": spec.onPremisesImmutableId,
        }
        wanted = {k: v for k, v in fields.items() if v is not None}
        try:
            user = d.get_user(tenant=tenant.id, key=upn)
        except UserNotFound:
            wanted.pop("display_name")
            d.create_user(
                tenant=tenant.id,
                user_principal_name=upn,
                display_name=display_name,
                password=spec.password,
                **wanted,
            )
            self.note(f"created user {upn}")
            return
        changed = {k: v for k, v in wanted.items() if getattr(user, k) != v}
        if spec.password is not None and not d.verify_user_password(user, spec.password):
            changed["password"] = spec.password
        if changed:
            d.update_user(tenant=tenant.id, key=user.id, **changed)
            self.note(f"updated user {upn}: {', '.join(sorted(changed))}")

    # -- groups ------------------------------------------------------------------------------

    def group(self, tenant: Tenant, spec: GroupSpec) -> Group:
        d = self.directory
        try:
            group = d.get_group(tenant=tenant.id, key=spec.displayName)
        except GroupNotFound:
            group = d.create_group(
                tenant=tenant.id,
                display_name=spec.displayName,
                mail_nickname=spec.nickname,
                description=spec.description,
                group_types=spec.groupTypes,
                mail_enabled=spec.unified if spec.mailEnabled is None else spec.mailEnabled,
                security_enabled=(
                    not spec.unified if spec.securityEnabled is None else spec.securityEnabled
                ),
            )
            self.note(f"created group {group.display_name} ({group.id})")
            return group
        changes: dict[str, Any] = {}
        if spec.description is not None and spec.description != group.description:
            changes["description"] = spec.description
        if spec.mailNickname is not None and spec.mailNickname != group.mail_nickname:
            changes["mail_nickname"] = spec.mailNickname
        if spec.securityEnabled is not None and spec.securityEnabled != group.security_enabled:
            changes["security_enabled"] = spec.securityEnabled
        if changes:
            group = d.update_group(tenant=tenant.id, key=group.id, **changes)
            self.note(f"updated group {group.display_name}: {', '.join(sorted(changes))}")
        return group

    def group_links(self, tenant: Tenant, group: Group, spec: GroupSpec) -> None:
        """Members, owners and app roles the file lists and the group lacks (additive)."""
        d = self.directory
        members = {m.id for m in d.group_members(tenant=tenant.id, group=group.id)}
        for key in spec.members:
            obj = d.get_directory_object(tenant=tenant.id, key=key)
            if obj.id not in members:
                d.add_group_member(tenant=tenant.id, group=group.id, member=obj.id)
                members.add(obj.id)
                self.note(f"added {obj.display_name} to group {group.display_name}")
        owners = {o.id for o in d.group_owners(tenant=tenant.id, group=group.id)}
        for key in spec.owners:
            obj = d.get_directory_object(tenant=tenant.id, key=key)
            if obj.id not in owners:
                d.add_group_owner(tenant=tenant.id, group=group.id, owner=obj.id)
                owners.add(obj.id)
                self.note(f"made {obj.display_name} an owner of group {group.display_name}")
        for role in spec.appRoles:
            d.assign_app_role_to_group(
                tenant=tenant.id, group=group.id, resource=role.resource, role=role.role
            )


def _epoch(when: dt.datetime) -> float:
    """A date without a zone in the file means UTC, as Graph's dates do."""
    return (when if when.tzinfo else when.replace(tzinfo=dt.UTC)).timestamp()


def _entry_for(
    merged: list[dict[str, Any]],
    by_value: dict[str, dict[str, Any]],
    value: str,
    wanted_id: str | None,
    what: str,
) -> dict[str, Any]:
    """The current app role or scope with this value (any case), or a new one appended to merged.

    An id given in the file must be the current entry's id; another one is a Conflict.
    """
    entry = by_value.get(value.lower())
    if entry is None:
        entry = {"id": (wanted_id or new_guid()).lower(), "value": value}
        merged.append(entry)
    elif wanted_id is not None and entry["id"] != wanted_id.lower():
        raise Conflict(f"{what} '{value}' already exists with id {entry['id']}")
    return entry


def _merge_roles(current: list[dict[str, Any]], specs: list[RoleSpec]) -> list[dict[str, Any]]:
    """Current roles, with the file's roles updated in place (by value) or appended."""
    merged = [dict(r) for r in current]
    by_value = {r["value"].lower(): r for r in merged}
    for spec in specs:
        role = _entry_for(merged, by_value, spec.value, spec.id, "app role")
        role["displayName"] = spec.displayName or role.get("displayName") or spec.value
        role["description"] = spec.description or role.get("description") or role["displayName"]
        role["allowedMemberTypes"] = list(spec.allowedMemberTypes)
        role["isEnabled"] = spec.isEnabled
    return validation.app_roles(merged)


def _merge_scopes(current: list[dict[str, Any]], specs: list[ScopeSpec]) -> list[dict[str, Any]]:
    merged = [dict(s) for s in current]
    by_value = {s["value"].lower(): s for s in merged}
    for spec in specs:
        scope = _entry_for(merged, by_value, spec.value, spec.id, "scope")
        name = spec.displayName or scope.get("adminConsentDisplayName") or spec.value
        description = spec.description or scope.get("adminConsentDescription") or name
        scope.update(
            adminConsentDisplayName=name,
            adminConsentDescription=description,
            userConsentDisplayName=name,
            userConsentDescription=description,
            type=spec.type,
        )
    return validation.permission_scopes(merged)


def _app_changes(app: Application, spec: AppSpec) -> dict[str, Any]:
    """The Graph-style PATCH that makes `app` match the file (empty when it already does)."""
    changes: dict[str, Any] = {}
    given = spec.model_fields_set
    if app.sign_in_audience != spec.signInAudience and "signInAudience" in given:
        changes["signInAudience"] = spec.signInAudience
    if "description" in given and app.description != spec.description:
        changes["description"] = spec.description
    uris = spec.identifierUris
    if uris is None and spec.scopes and not app.identifier_uris:
        uris = ["api://{appId}"]
    if uris is not None:
        concrete = [u.replace("{appId}", app.app_id) for u in uris]
        if concrete != list(app.identifier_uris):
            changes["identifierUris"] = concrete
    if "optionalClaims" in given:
        claims = validation.optional_claims(spec.optionalClaims)
        if claims != app.optional_claims:
            changes["optionalClaims"] = spec.optionalClaims
    if "groupMembershipClaims" in given:
        setting = validation.group_membership_claims(spec.groupMembershipClaims)
        if setting != app.group_membership_claims:
            changes["groupMembershipClaims"] = setting
    roles = _merge_roles(list(app.app_roles), spec.roles)
    if roles != list(app.app_roles):
        changes["appRoles"] = roles
    api: dict[str, Any] = {}
    if "requestedAccessTokenVersion" in given and (
        app.requested_access_token_version != spec.requestedAccessTokenVersion
    ):
        api["requestedAccessTokenVersion"] = spec.requestedAccessTokenVersion
    scopes = _merge_scopes(list(app.oauth2_permission_scopes), spec.scopes)
    if scopes != list(app.oauth2_permission_scopes):
        api["oauth2PermissionScopes"] = scopes
    if api:
        changes["api"] = api
    return changes
