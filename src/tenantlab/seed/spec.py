"""The tenant file's schema, and its validation: every problem, each with its path in the file.

The whole file is checked before anything is written, so a typo in the last user does not leave
half a tenant behind. Paths read like `tenants[0].apps[1].roles[0].value`.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any, Literal, TypeVar

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from tenantlab.directory import validation
from tenantlab.directory.errors import ValidationFailed
from tenantlab.directory.managed_identities import check_name
from tenantlab.directory.wellknown import GRAPH_APP_ROLES, GRAPH_SCOPES
from tenantlab.errors import ConfigError
from tenantlab.ids import MICROSOFT_GRAPH_APP_ID, is_guid

T = TypeVar("T")
GRAPH_NAMES = ("graph", "microsoft graph", "https://graph.microsoft.com", MICROSOFT_GRAPH_APP_ID)
PLACEHOLDER_APP_ID = "00000000-0000-0000-0000-00000000a11d"


class SeedFileError(ConfigError):
    """The tenant file is not valid; `problems` are (path, message) pairs."""

    def __init__(self, source: str, problems: list[tuple[str, str]]) -> None:
        lines = [f"  {path}: {message}" if path else f"  {message}" for path, message in problems]
        count = f"{len(problems)} problem{'s' if len(problems) != 1 else ''}"
        super().__init__(f"{source} is not a valid tenant file ({count}):\n" + "\n".join(lines))
        self.problems = problems


class SeedSyntaxError(SeedFileError):
    """The file is not YAML (or JSON) at all: one line, `file:line:column: problem`."""

    def __init__(self, message: str) -> None:
        ConfigError.__init__(self, message)
        self.problems = [("", message)]


class _Spec(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class RoleSpec(_Spec):
    value: str
    displayName: str | None = None
    description: str | None = None
    allowedMemberTypes: list[Literal["Application", "User"]] = ["Application"]
    id: str | None = None
    isEnabled: bool = True


class ScopeSpec(_Spec):
    value: str
    displayName: str | None = None
    description: str | None = None
    type: Literal["User", "Admin"] = "User"
    id: str | None = None


class SecretSpec(_Spec):
    displayName: str
    days: int | None = Field(default=None, ge=1)
    endDateTime: dt.datetime | None = None
    # For reproducible test setups only: a fixed value (stored as a digest like any secret).
    value: str | None = None


class GrantSpec(_Spec):
    resource: str
    roles: list[str] = []
    scopes: list[str] = []


class AppSpec(_Spec):
    displayName: str
    appId: str | None = None
    description: str | None = None
    signInAudience: str = "AzureADMyOrg"
    identifierUris: list[str] | None = None
    requestedAccessTokenVersion: Literal[1, 2] | None = None
    optionalClaims: dict[str, Any] | None = None
    groupMembershipClaims: str | None = None
    assignmentRequired: bool | None = None
    roles: list[RoleSpec] = []
    scopes: list[ScopeSpec] = []
    secrets: list[SecretSpec] = []
    grants: list[GrantSpec] = []


class UserSpec(_Spec):
    userPrincipalName: str
    displayName: str | None = None
    givenName: str | None = None
    surname: str | None = None
    mail: str | None = None
    jobTitle: str | None = None
    mobilePhone: str | None = None
    officeLocation: str | None = None
    preferredLanguage: str | None = None
    businessPhones: list[str] | None = None
    accountEnabled: bool | None = None
    department: str | None = None
    companyName: str | None = None
    employeeId: str | None = None
    employeeType: str | None = None
    usageLocation: str | None = None
    streetAddress: str | None = None
    city: str | None = None
    state: str | None = None
    postalCode: str | None = None
    country: str | None = None
    faxNumber: str | None = None
    otherMails: list[str] | None = None
    proxyAddresses: list[str] | None = None
    identities: list[dict[str, str]] | None = None
    onPremisesSyncEnabled: bool | None = None
    onPremisesImmutableId: str | None = None
    password: str | None = None


class GroupRoleSpec(_Spec):
    resource: str  # appId or identifierUri of the API
    role: str  # the app role's value or id (allowed for users)


class GroupSpec(_Spec):
    """A group; `members` and `owners` name users (userPrincipalName, or the alias on the initial
    domain), groups (displayName) and apps (displayName or appId: their service principals)."""

    displayName: str
    mailNickname: str | None = None
    description: str | None = None
    groupTypes: list[str] = []
    securityEnabled: bool | None = None
    mailEnabled: bool | None = None
    members: list[str] = []
    owners: list[str] = []
    appRoles: list[GroupRoleSpec] = []

    @property
    def unified(self) -> bool:
        return "Unified" in self.groupTypes

    @property
    def nickname(self) -> str:
        return self.mailNickname or "".join(self.displayName.split())


class ManagedIdentitySpec(_Spec):
    name: str
    type: Literal["SystemAssigned", "UserAssigned"] = "UserAssigned"
    hosts: list[str] = []  # user-assigned: the hosts it is attached to
    grants: list[GrantSpec] = []  # app roles only: a managed identity has no delegated consent


class TenantSpec(_Spec):
    domain: str
    displayName: str
    id: str | None = None
    type: Literal["workforce", "external"] = "workforce"
    domains: list[str] = []
    apps: list[AppSpec] = []
    users: list[UserSpec] = []
    groups: list[GroupSpec] = []
    managedIdentities: list[ManagedIdentitySpec] = []

    @property
    def initial_domain(self) -> str:
        name = self.domain.strip().lower()
        return name if "." in name else f"{name}.onmicrosoft.com"

    def user_principal_name(self, user: UserSpec) -> str:
        """`adele` is short for adele@{initial domain}."""
        upn = user.userPrincipalName.strip()
        return upn if "@" in upn else f"{upn}@{self.initial_domain}"


class SeedSpec(_Spec):
    tenants: list[TenantSpec]


def _path(loc: tuple[int | str, ...]) -> str:
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


def load_seed_file(path: Path) -> SeedSpec:
    """Read and validate a tenant file (YAML, or JSON); SeedFileError lists every problem."""
    source = str(path)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"cannot read the tenant file {source}: {exc}") from None
    try:
        data = json.loads(text) if path.suffix.lower() == ".json" else yaml.safe_load(text)
    except json.JSONDecodeError as exc:
        where = f"{source}:{exc.lineno}:{exc.colno}"
        raise SeedSyntaxError(f"{where}: not valid JSON: {exc.msg}") from None
    except yaml.YAMLError as exc:
        raise SeedSyntaxError(_yaml_problem(source, exc)) from None
    return parse_seed(data, source)


def _yaml_problem(source: str, exc: yaml.YAMLError) -> str:
    """`file:line:column: problem`, the way compilers say it (PyYAML counts from 0)."""
    mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
    problem = getattr(exc, "problem", None) or getattr(exc, "context", None) or "not valid YAML"
    context = getattr(exc, "context", None)
    if context and context != problem:
        problem = f"{problem} ({context})"
    if mark is None:
        return f"{source}: not valid YAML: {problem}"
    return f"{source}:{mark.line + 1}:{mark.column + 1}: not valid YAML: {problem}"


def parse_seed(data: Any, source: str = "the tenant file") -> SeedSpec:
    if not isinstance(data, dict):
        raise SeedFileError(source, [("", "the file must hold a mapping with a 'tenants' list")])
    try:
        spec = SeedSpec.model_validate(data)
    except ValidationError as exc:
        problems = [(_path(e["loc"]), e["msg"]) for e in exc.errors()]
        raise SeedFileError(source, problems) from None
    problems = _Checker().check(spec)
    if problems:
        raise SeedFileError(source, problems)
    return spec


class _Checker:
    """Entra's rules (the directory's own validators) applied to the file, path by path."""

    def __init__(self) -> None:
        self.problems: list[tuple[str, str]] = []

    def run(self, path: str, rule: Callable[..., T], *args: Any, **kwargs: Any) -> T | None:
        try:
            return rule(*args, **kwargs)
        except ValidationFailed as exc:
            self.problems.append((path, exc.message))
            return None

    def fail(self, path: str, message: str) -> None:
        self.problems.append((path, message))

    def check(self, spec: SeedSpec) -> list[tuple[str, str]]:
        domains_seen: dict[str, str] = {}
        for ti, tenant in enumerate(spec.tenants):
            at = f"tenants[{ti}]"
            self.run(f"{at}.displayName", validation.display_name, tenant.displayName)
            if tenant.id is not None and not is_guid(tenant.id):
                self.fail(f"{at}.id", f"'{tenant.id}' is not a GUID")
            names = [(f"{at}.domain", tenant.initial_domain)]
            names += [(f"{at}.domains[{i}]", d) for i, d in enumerate(tenant.domains)]
            for where, name in names:
                ok = self.run(where, validation.domain_name, name)
                if ok and ok in domains_seen:
                    self.fail(where, f"the domain '{ok}' is also used at {domains_seen[ok]}")
                elif ok:
                    domains_seen[ok] = where
            self._apps(at, tenant)
            self._users(at, tenant)
            self._groups(at, tenant)
            self._managed_identities(at, tenant)
        return self.problems

    def _apps(self, at: str, tenant: TenantSpec) -> None:
        domains = [tenant.initial_domain, *(d.strip().lower() for d in tenant.domains)]
        names: dict[str, str] = {}
        uris: dict[str, str] = {}
        for ai, app in enumerate(tenant.apps):
            ap = f"{at}.apps[{ai}]"
            name = self.run(f"{ap}.displayName", validation.display_name, app.displayName)
            if name and name.lower() in names:
                self.fail(
                    f"{ap}.displayName", f"'{name}' is also the name of {names[name.lower()]}"
                )
            elif name:
                names[name.lower()] = ap
            if app.appId is not None and not is_guid(app.appId):
                self.fail(f"{ap}.appId", f"'{app.appId}' is not a GUID")
            self.run(f"{ap}.signInAudience", validation.sign_in_audience, app.signInAudience)
            if (
                app.signInAudience.endswith("MicrosoftAccount")
                and app.requestedAccessTokenVersion != 2
            ):
                self.fail(
                    f"{ap}.requestedAccessTokenVersion",
                    f"signInAudience {app.signInAudience} requires requestedAccessTokenVersion 2",
                )
            for ui, uri in enumerate(app.identifierUris or []):
                where = f"{ap}.identifierUris[{ui}]"
                app_id = (app.appId or PLACEHOLDER_APP_ID).lower()
                concrete = uri.replace("{appId}", app_id)
                if not self.run(where, validation.identifier_uri, concrete):
                    continue
                owned = self.run(
                    where,
                    validation.owned_identifier_uri,
                    concrete,
                    app_id=app_id,
                    tenant_id=tenant.id,
                    domains=domains,
                )
                if owned and "{appId}" not in uri:
                    if concrete.lower() in uris:
                        self.fail(
                            where, f"'{uri}' is also an identifierUri of {uris[concrete.lower()]}"
                        )
                    uris[concrete.lower()] = ap
            if app.optionalClaims is not None:
                self.run(f"{ap}.optionalClaims", validation.optional_claims, app.optionalClaims)
            if app.groupMembershipClaims is not None:
                self.run(
                    f"{ap}.groupMembershipClaims",
                    validation.group_membership_claims,
                    app.groupMembershipClaims,
                )
            self._claims(f"{ap}.roles", [(r.value, r.id) for r in app.roles], "appRole")
            self._claims(f"{ap}.scopes", [(s.value, s.id) for s in app.scopes], "scope")
            self._secrets(ap, app)
            for gi, grant in enumerate(app.grants):
                self._grant(f"{ap}.grants[{gi}]", grant, tenant)

    def _claims(self, at: str, items: list[tuple[str, str | None]], what: str) -> None:
        values: set[str] = set()
        for i, (value, item_id) in enumerate(items):
            if self.run(f"{at}[{i}].value", validation.claim_value, value, what):
                if value.lower() in values:
                    self.fail(f"{at}[{i}].value", f"'{value}' is listed twice")
                values.add(value.lower())
            if item_id is not None and not is_guid(item_id):
                self.fail(f"{at}[{i}].id", f"'{item_id}' is not a GUID")

    def _secrets(self, ap: str, app: AppSpec) -> None:
        seen: set[str] = set()
        for si, secret in enumerate(app.secrets):
            sp = f"{ap}.secrets[{si}]"
            if secret.displayName.lower() in seen:
                self.fail(f"{sp}.displayName", f"'{secret.displayName}' is listed twice")
            seen.add(secret.displayName.lower())
            if secret.days is not None and secret.endDateTime is not None:
                self.fail(sp, "give days or endDateTime, not both")
            if secret.days is not None and secret.days > 731:
                self.fail(f"{sp}.days", "a client secret can be valid for at most 24 months")
            if secret.value is not None:
                self.run(f"{sp}.value", validation.chosen_secret, secret.value)

    def _grant(self, at: str, grant: GrantSpec, tenant: TenantSpec) -> None:
        if not grant.roles and not grant.scopes:
            self.fail(at, "a grant needs roles and/or scopes")
        offered_roles: dict[str, bool] | None = None
        offered_scopes: set[str] | None = None
        key = grant.resource.strip().lower()
        if key in GRAPH_NAMES:
            offered_roles = {v.lower(): True for v, _, _ in GRAPH_APP_ROLES}
            offered_scopes = {v.lower() for v, _ in GRAPH_SCOPES}
        else:
            for app in tenant.apps:
                keys = {app.displayName.lower(), (app.appId or "").lower()}
                keys |= {u.lower() for u in app.identifierUris or [] if "{appId}" not in u}
                if key in keys:
                    offered_roles = {
                        r.value.lower(): "Application" in r.allowedMemberTypes for r in app.roles
                    }
                    offered_scopes = {s.value.lower() for s in app.scopes}
        # A resource not in the file may already exist in the directory: checked when applied.
        for ri, role in enumerate(grant.roles):
            if offered_roles is not None and role.lower() not in offered_roles:
                self.fail(f"{at}.roles[{ri}]", f"'{grant.resource}' has no app role '{role}'")
            elif offered_roles is not None and not offered_roles[role.lower()]:
                self.fail(f"{at}.roles[{ri}]", f"app role '{role}' is for users only")
        for si, scope in enumerate(grant.scopes):
            if offered_scopes is not None and scope.lower() not in offered_scopes:
                self.fail(f"{at}.scopes[{si}]", f"'{grant.resource}' exposes no scope '{scope}'")

    def _groups(self, at: str, tenant: TenantSpec) -> None:
        from tenantlab.directory.groups import mail_nickname

        names: dict[str, str] = {}
        for gi, group in enumerate(tenant.groups):
            gp = f"{at}.groups[{gi}]"
            name = self.run(f"{gp}.displayName", validation.display_name, group.displayName)
            if name and name.lower() in names:
                self.fail(
                    f"{gp}.displayName", f"'{name}' is also the name of {names[name.lower()]}"
                )
            elif name:
                names[name.lower()] = gp
            self.run(f"{gp}.mailNickname", mail_nickname, group.nickname)
            if any(t != "Unified" for t in group.groupTypes):
                self.fail(f"{gp}.groupTypes", "use [] (a security group) or ['Unified']")
            if group.unified and group.mailEnabled is False:
                self.fail(f"{gp}.mailEnabled", "a Microsoft 365 group is mail-enabled")
            if not group.unified and group.mailEnabled:
                self.fail(f"{gp}.mailEnabled", "only Microsoft 365 groups are mail-enabled")
            for mi, member in enumerate(group.members):
                if member.strip().lower() == (name or "").lower():
                    self.fail(f"{gp}.members[{mi}]", "a group cannot be a member of itself")

    def _users(self, at: str, tenant: TenantSpec) -> None:
        domains = {tenant.initial_domain, *(d.strip().lower() for d in tenant.domains)}
        seen: set[str] = set()
        for ui, user in enumerate(tenant.users):
            up = f"{at}.users[{ui}]"
            upn = tenant.user_principal_name(user)
            alias, _, domain = upn.rpartition("@")
            if not alias or any(c.isspace() for c in upn):
                self.fail(f"{up}.userPrincipalName", f"'{upn}' must look like alias@domain")
            elif domain.lower() not in domains:
                self.fail(
                    f"{up}.userPrincipalName",
                    f"the domain '{domain}' is not one of this tenant's domains "
                    f"({', '.join(sorted(domains))})",
                )
            if upn.lower() in seen:
                self.fail(f"{up}.userPrincipalName", f"'{upn}' is listed twice")
            seen.add(upn.lower())
            if user.displayName is not None:
                self.run(f"{up}.displayName", validation.display_name, user.displayName)
            if user.password is not None:
                self.run(f"{up}.password", validation.password, user.password)

    def _managed_identities(self, at: str, tenant: TenantSpec) -> None:
        seen: set[str] = set()
        for mi, identity in enumerate(tenant.managedIdentities):
            mp = f"{at}.managedIdentities[{mi}]"
            self.run(f"{mp}.name", check_name, identity.name)
            if identity.name in seen:
                self.fail(f"{mp}.name", f"'{identity.name}' is listed twice")
            seen.add(identity.name)
            if identity.type == "SystemAssigned" and identity.hosts:
                self.fail(f"{mp}.hosts", "a system-assigned identity belongs to its own host only")
            for hi, host in enumerate(identity.hosts):
                self.run(f"{mp}.hosts[{hi}]", check_name, host, "host")
            for gi, grant in enumerate(identity.grants):
                if grant.scopes:
                    self.fail(f"{mp}.grants[{gi}].scopes", "a managed identity gets app roles only")
                self._grant(f"{mp}.grants[{gi}]", grant, tenant)
