"""`tenantlab app role add|list`, `app scope add|list`, `app grant`: permissions and consent."""

from __future__ import annotations

from typing import Any

import click

from tenantlab.cli._common import (
    CommandGroup,
    json_option,
    json_option_saying,
    platform_from,
    print_fields,
    print_json,
    print_table,
    resolve_tenant,
    tenant_option,
)
from tenantlab.directory import Directory
from tenantlab.graph.shapes import (
    app_role_assignment_json,
    oauth2_permission_grant_json,
)
from tenantlab.storage.schema import AppRoleAssignment

MEMBER_TYPES = {"Application": ["Application"], "User": ["User"], "both": ["User", "Application"]}


@click.group(cls=CommandGroup)
def role() -> None:
    """App roles: application permissions (and user roles) that end up in the `roles` claim."""


@role.command("add")
@click.argument("application")
@click.argument("value")
@click.option("--name", "display_name", help="Display name (default: the value).")
@click.option("--description")
@click.option(
    "--member-types",
    type=click.Choice(sorted(MEMBER_TYPES)),
    default="Application",
    show_default=True,
    help="allowedMemberTypes: Application (an app permission), User, or both.",
)
@click.option("--id", "role_id", help="A fixed role id (GUID); default: a new one.")
@tenant_option
@json_option
@click.pass_context
def role_add(
    ctx: click.Context,
    application: str,
    value: str,
    display_name: str | None,
    description: str | None,
    member_types: str,
    role_id: str | None,
    tenant: str | None,
    as_json: bool,
) -> None:
    """Add an app role, e.g. `tenantlab app role add "ToDo API" ToDoList.Read.All`."""
    platform = platform_from(ctx)
    t = resolve_tenant(platform, tenant)
    added = platform.directory.add_app_role(
        tenant=t.id,
        app=application,
        value=value,
        display_name=display_name,
        description=description,
        allowed_member_types=MEMBER_TYPES[member_types],
        role_id=role_id,
    )
    if as_json:
        print_json(added)
        return
    print_fields(
        f"Added app role {added['value']}",
        [("id", added["id"]), ("allowedMemberTypes", ", ".join(added["allowedMemberTypes"]))],
    )


@role.command("list")
@click.argument("application")
@tenant_option
@json_option_saying("{value: [appRole]}")
@click.pass_context
def role_list(ctx: click.Context, application: str, tenant: str | None, as_json: bool) -> None:
    """The app roles an app defines: value, id, who may hold them, enabled."""
    platform = platform_from(ctx)
    t = resolve_tenant(platform, tenant)
    found = platform.directory.get_application(tenant=t.id, app=application)
    if as_json:
        print_json({"value": found.app_roles})
        return
    print_table(
        f"App roles of {found.display_name} ({found.app_id})",
        ["value", "id", "allowedMemberTypes", "enabled", "display name"],
        [
            [
                r["value"] or "",
                r["id"],
                ", ".join(r["allowedMemberTypes"]),
                "yes" if r.get("isEnabled", True) else "no",
                r.get("displayName") or "",
            ]
            for r in found.app_roles
        ],
    )


@click.group(cls=CommandGroup)
def scope() -> None:
    """Delegated permissions (scopes) an API exposes; they end up in the `scp` claim."""


@scope.command("add")
@click.argument("application")
@click.argument("value")
@click.option("--name", "display_name", help="Admin consent display name (default: the value).")
@click.option(
    "--type",
    "consent_type",
    type=click.Choice(["User", "Admin"]),
    default="User",
    show_default=True,
    help="Who may consent: users, or admins only.",
)
@click.option("--id", "scope_id", help="A fixed scope id (GUID); default: a new one.")
@tenant_option
@json_option
@click.pass_context
def scope_add(
    ctx: click.Context,
    application: str,
    value: str,
    display_name: str | None,
    consent_type: str,
    scope_id: str | None,
    tenant: str | None,
    as_json: bool,
) -> None:
    """Expose a scope (sets the identifierUri api://{appId} when the app has none)."""
    platform = platform_from(ctx)
    t = resolve_tenant(platform, tenant)
    added = platform.directory.add_permission_scope(
        tenant=t.id,
        app=application,
        value=value,
        display_name=display_name,
        consent_type=consent_type,
        scope_id=scope_id,
    )
    if as_json:
        print_json(added)
        return
    print_fields(f"Exposed scope {added['value']}", [("id", added["id"]), ("type", added["type"])])


@scope.command("list")
@click.argument("application")
@tenant_option
@json_option_saying("{value: [permissionScope]}")
@click.pass_context
def scope_list(ctx: click.Context, application: str, tenant: str | None, as_json: bool) -> None:
    """The delegated permissions (scopes) an app exposes: value, id, who may consent."""
    platform = platform_from(ctx)
    t = resolve_tenant(platform, tenant)
    found = platform.directory.get_application(tenant=t.id, app=application)
    scopes = found.oauth2_permission_scopes
    if as_json:
        print_json({"value": scopes})
        return
    print_table(
        f"Scopes of {found.display_name} ({found.app_id})",
        ["value", "id", "type", "enabled", "admin consent name"],
        [
            [
                s["value"],
                s["id"],
                s.get("type", ""),
                "yes" if s.get("isEnabled", True) else "no",
                s.get("adminConsentDisplayName") or "",
            ]
            for s in scopes
        ],
    )


def _role_value(directory: Directory, tenant_id: str, row: AppRoleAssignment) -> str:
    """The granted role's value (what the `roles` claim will carry), else its id."""
    resource = directory.get_service_principal(tenant=tenant_id, key=row.resource_id)
    roles = list(resource.app_roles or [])
    registration = directory.find_application_by_app_id(resource.app_id)
    if registration is not None:
        roles += registration.app_roles
    return next((r["value"] for r in roles if r["id"] == row.app_role_id), row.app_role_id)


def _assignment_json(directory: Directory, tenant_id: str, row: AppRoleAssignment) -> Any:
    principal = directory.get_service_principal(tenant=tenant_id, key=row.principal_id)
    resource = directory.get_service_principal(tenant=tenant_id, key=row.resource_id)
    return app_role_assignment_json(row, principal=principal, resource=resource)


@click.command()
@click.argument("client")
@click.argument("resource")
@click.option(
    "--role",
    "roles",
    multiple=True,
    help="An app role of RESOURCE (value or id) to grant; repeatable.",
)
@click.option(
    "--scope",
    "scopes",
    multiple=True,
    help="A delegated scope of RESOURCE to consent to for all users; repeatable.",
)
@tenant_option
@json_option_saying("{appRoleAssignments, oauth2PermissionGrants} in Graph's shapes")
@click.pass_context
def grant(
    ctx: click.Context,
    client: str,
    resource: str,
    roles: tuple[str, ...],
    scopes: tuple[str, ...],
    tenant: str | None,
    as_json: bool,
) -> None:
    """Admin consent: CLIENT gets app roles (--role) or delegated scopes (--scope) of RESOURCE.

    CLIENT: the client app's appId or display name. RESOURCE: the API's appId, identifierUri or
    display name; `graph` or https://graph.microsoft.com for Microsoft Graph. Granting twice
    changes nothing.
    """
    if not roles and not scopes:
        raise click.UsageError("say what to grant: --role VALUE and/or --scope VALUE")
    platform = platform_from(ctx)
    directory = platform.directory
    t = resolve_tenant(platform, tenant)
    assignments = [
        directory.grant_app_role(tenant=t.id, client=client, resource=resource, role=r)
        for r in roles
    ]
    delegated = (
        directory.grant_delegated(
            tenant=t.id, client=client, resource=resource, scopes=list(scopes)
        )
        if scopes
        else None
    )
    if as_json:
        print_json(
            {
                "appRoleAssignments": [_assignment_json(directory, t.id, a) for a in assignments],
                "oauth2PermissionGrants": (
                    [oauth2_permission_grant_json(delegated)] if delegated else []
                ),
            }
        )
        return
    for row in assignments:
        shown = _assignment_json(directory, t.id, row)
        value = _role_value(directory, t.id, row)
        click.echo(
            f"Granted app role {value} ({row.app_role_id}) of {shown['resourceDisplayName']} "
            f"to {shown['principalDisplayName']}."
        )
    if delegated is not None:
        click.echo(f"Consented for all users to: {delegated.scope}.")
