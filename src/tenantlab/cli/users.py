"""`tenantlab user create|list|delete`: member users, as Graph lists them."""

from __future__ import annotations

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


@user.command("create")
@click.argument("user_principal_name")
@click.option("--name", "display_name", help="Display name (default: the UPN's alias).")
@click.option("--given-name")
@click.option("--surname")
@click.option("--mail")
@click.option("--job-title")
@click.option(
    "--password",
    help="Optional sign-in password (8-256 characters, three of lower/upper/digit/symbol).",
)
@tenant_option
@json_option
@click.pass_context
def create(
    ctx: click.Context,
    user_principal_name: str,
    display_name: str | None,
    given_name: str | None,
    surname: str | None,
    mail: str | None,
    job_title: str | None,
    password: str | None,
    tenant: str | None,
    as_json: bool,
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
        given_name=given_name,
        surname=surname,
        mail=mail,
        job_title=job_title,
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


@user.command("delete")
@click.argument("user_key", metavar="USER")
@tenant_option
@json_option_saying("{id, userPrincipalName, deleted}")
@click.pass_context
def delete(ctx: click.Context, user_key: str, tenant: str | None, as_json: bool) -> None:
    """Delete a user (by userPrincipalName, its alias before @, or object id)."""
    platform = platform_from(ctx)
    t = resolve_tenant(platform, tenant)
    key = user_key
    if "@" not in key and not is_guid(key):
        key = f"{key}@{platform.directory.tenant_domains(t.id)[0]}"
    found = platform.directory.get_user(tenant=t.id, key=key)
    platform.directory.delete_user(tenant=t.id, key=found.id)
    if as_json:
        print_json(
            {"id": found.id, "userPrincipalName": found.user_principal_name, "deleted": True}
        )
        return
    click.echo(f"Deleted user {found.user_principal_name} ({found.id}).")
