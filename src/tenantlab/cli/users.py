"""`tenantlab user create|list|delete`: member users, as Graph lists them."""

from __future__ import annotations

from collections.abc import Callable
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
from tenantlab.graph.shapes import user_json
from tenantlab.ids import is_guid


@click.group(cls=CommandGroup)
def user() -> None:
    """Users of a tenant."""


# Graph properties the CLI sets: option -> directory field (the same names Graph and seeds use).
_PROPERTY_OPTIONS = (
    ("--given-name", "given_name", "givenName"),
    ("--surname", "surname", "surname"),
    ("--mail", "mail", "mail"),
    ("--job-title", "job_title", "jobTitle"),
    ("--department", "department", "department"),
    ("--company-name", "company_name", "companyName"),
    ("--employee-id", "employee_id", "employeeId"),
    ("--employee-type", "employee_type", "employeeType"),
    ("--usage-location", "usage_location", "usageLocation (two letters, such as US)"),
    ("--on-premises-immutable-id", "on_premises_immutable_id", "onPremisesImmutableId"),
)


def _property_options(command: Callable[..., Any]) -> Callable[..., Any]:
    for option, field, graph in reversed(_PROPERTY_OPTIONS):
        command = click.option(option, field, help=f"Graph's {graph}.")(command)
    command = click.option(
        "--other-mail", "other_mails", multiple=True, help="Graph's otherMails (repeatable)."
    )(command)
    return click.option(
        "--on-premises-sync/--cloud-only",
        "on_premises_sync_enabled",
        default=None,
        help="Graph's onPremisesSyncEnabled (as if synced from Active Directory).",
    )(command)


def _set_properties(values: dict[str, Any]) -> dict[str, Any]:
    fields = {field: values[field] for _, field, _ in _PROPERTY_OPTIONS if values[field]}
    if values["other_mails"]:
        fields["other_mails"] = list(values["other_mails"])
    if values["on_premises_sync_enabled"] is not None:
        fields["on_premises_sync_enabled"] = values["on_premises_sync_enabled"]
    return fields


def _user_key(platform: Any, tenant_id: str, key: str) -> str:
    if "@" not in key and not is_guid(key):
        key = f"{key}@{platform.directory.tenant_domains(tenant_id)[0]}"
    return key


@user.command("create")
@click.argument("user_principal_name")
@click.option("--name", "display_name", help="Display name (default: the UPN's alias).")
@_property_options
@click.option(
    "--password",
    help="Optional sign-in password (8-256 characters, three of lower/upper/digit/symbol).",
)
@tenant_option
@json_option
@click.pass_context
def create(
    ctx: click.Context,
    /,
    user_principal_name: str,
    display_name: str | None,
    password: str | None,
    tenant: str | None,
    as_json: bool,
    **properties: Any,
) -> None:
    """Create a user; a UPN without @ gets the tenant's initial domain (adele -> adele@...)."""
    platform = platform_from(ctx)
    t = resolve_tenant(platform, tenant)
    upn = user_principal_name
    if "@" not in upn:
        upn = f"{upn}@{platform.directory.tenant_domains(t.id)[0]}"
    created = platform.directory.create_user(
        tenant=t.id,
        user_principal_name=upn,
        display_name=display_name or upn.split("@", 1)[0],
        password=password,
        **_set_properties(properties),
    )
    if as_json:
        print_json(user_json(created))
        return
    print_fields(
        f"Created user {created.display_name}",
        [
            ("userPrincipalName", created.user_principal_name),
            ("id", created.id),
            ("password", "set" if password else "none"),
        ],
    )


@user.command("list")
@tenant_option
@json_option
@click.pass_context
def list_(ctx: click.Context, tenant: str | None, as_json: bool) -> None:
    """List the tenant's users."""
    platform = platform_from(ctx)
    t = resolve_tenant(platform, tenant)
    users = platform.directory.list_users(tenant=t.id)
    if as_json:
        print_json({"value": [user_json(u) for u in users]})
        return
    print_table(
        f"Users of {t.display_name}",
        ["userPrincipalName", "display name", "id"],
        [(u.user_principal_name, u.display_name, u.id) for u in users],
    )


@user.command("update")
@click.argument("user_key", metavar="USER")
@click.option("--name", "display_name", help="New display name.")
@_property_options
@tenant_option
@json_option
@click.pass_context
def update(
    ctx: click.Context,
    /,
    user_key: str,
    display_name: str | None,
    tenant: str | None,
    as_json: bool,
    **properties: Any,
) -> None:
    """Change a user's properties (by userPrincipalName, its alias before @, or object id)."""
    platform = platform_from(ctx)
    t = resolve_tenant(platform, tenant)
    fields = _set_properties(properties)
    if display_name:
        fields["display_name"] = display_name
    if not fields:
        raise click.UsageError("nothing to change: give at least one option (see --help)")
    found = platform.directory.get_user(tenant=t.id, key=_user_key(platform, t.id, user_key))
    updated = platform.directory.update_user(tenant=t.id, key=found.id, **fields)
    if as_json:
        print_json(user_json(updated, ["id", "userPrincipalName", *_selected(fields)]))
        return
    click.echo(f"Updated user {updated.user_principal_name}: {', '.join(_selected(fields))}.")


def _selected(fields: dict[str, Any]) -> list[str]:
    from tenantlab.graph.shapes.users import USER_FIELDS

    by_column = {f.column: name for name, f in USER_FIELDS.items() if f.column}
    return [by_column[field] for field in fields]


@user.command("delete")
@click.argument("user_key", metavar="USER")
@tenant_option
@json_option_saying("{id, userPrincipalName, deleted}")
@click.pass_context
def delete(ctx: click.Context, user_key: str, tenant: str | None, as_json: bool) -> None:
    """Delete a user (by userPrincipalName, its alias before @, or object id)."""
    platform = platform_from(ctx)
    t = resolve_tenant(platform, tenant)
    found = platform.directory.get_user(tenant=t.id, key=_user_key(platform, t.id, user_key))
    platform.directory.delete_user(tenant=t.id, key=found.id)
    if as_json:
        print_json(
            {"id": found.id, "userPrincipalName": found.user_principal_name, "deleted": True}
        )
        return
    click.echo(f"Deleted user {found.user_principal_name} ({found.id}).")
