"""`tenantlab app secret add|list|remove`: client secrets, shown once and stored only as digests."""

from __future__ import annotations

import datetime as dt

import click

from tenantlab.cli._common import (
    CommandGroup,
    json_option,
    json_option_saying,
    platform_from,
    print_json,
    print_table,
    resolve_tenant,
    tenant_option,
)
from tenantlab.clock import iso_z
from tenantlab.graph.shapes import password_credential_json


@click.group(cls=CommandGroup)
def secret() -> None:
    """Client secrets (password credentials) of an app."""


@secret.command("add")
@click.argument("application")
@click.option("--name", "display_name", help="A description, e.g. 'daemon'.")
@click.option(
    "--days", type=click.IntRange(min=1), help="Lifetime in days (default 730; at most 24 months)."
)
@click.option(
    "--end",
    type=click.DateTime(formats=["%Y-%m-%d", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%dT%H:%M:%SZ"]),
    metavar="DATE",
    help="End date (UTC) instead of --days: 2027-06-30 or 2027-06-30T12:00:00Z.",
)
@tenant_option
@json_option
@click.pass_context
def add(
    ctx: click.Context,
    application: str,
    display_name: str | None,
    days: int | None,
    end: dt.datetime | None,
    tenant: str | None,
    as_json: bool,
) -> None:
    """Add a client secret and print its value: it is shown this once and never again."""
    if days is not None and end is not None:
        raise click.UsageError("give --days or --end, not both")
    platform = platform_from(ctx)
    t = resolve_tenant(platform, tenant)
    created = platform.directory.add_password(
        tenant=t.id,
        app=application,
        display_name=display_name,
        days=days,
        end=end.replace(tzinfo=dt.UTC).timestamp() if end else None,
    )
    if as_json:
        print_json(password_credential_json(created.credential, secret_text=created.secret_text))
        return
    click.echo(created.secret_text)
    click.echo(
        f"(keyId {created.credential.key_id}, valid until {iso_z(created.credential.end_at)}; "
        "the value above is shown only now)",
        err=True,
    )


@secret.command("list")
@click.argument("application")
@tenant_option
@json_option
@click.pass_context
def list_(ctx: click.Context, application: str, tenant: str | None, as_json: bool) -> None:
    """The client secrets of an app: keyId, name, hint and expiry (never the value)."""
    platform = platform_from(ctx)
    t = resolve_tenant(platform, tenant)
    found = platform.directory.get_application(tenant=t.id, app=application)
    rows = platform.directory.password_credentials(found.id)
    if as_json:
        print_json({"value": [password_credential_json(r) for r in rows]})
        return
    print_table(
        f"Client secrets of {found.display_name} ({found.app_id})",
        ["keyId", "name", "hint", "expires"],
        [[r.key_id, r.display_name or "", f"{r.hint}***", iso_z(r.end_at)] for r in rows],
    )


@secret.command("remove")
@click.argument("application")
@click.argument("key_id")
@tenant_option
@json_option_saying("{keyId, removed}")
@click.pass_context
def remove(
    ctx: click.Context, application: str, key_id: str, tenant: str | None, as_json: bool
) -> None:
    """Remove a client secret by its keyId (tokens already issued stay valid until they expire)."""
    platform = platform_from(ctx)
    t = resolve_tenant(platform, tenant)
    platform.directory.remove_password(tenant=t.id, app=application, key_id=key_id)
    if as_json:
        print_json({"keyId": key_id.lower(), "removed": True})
        return
    click.echo(f"Removed secret {key_id}.")
