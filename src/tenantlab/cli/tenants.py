"""`tenantlab tenant create|list|show`: directories (Entra tenants) and their domains."""

from __future__ import annotations

import shutil
import sys
from dataclasses import asdict, replace

import click

from tenantlab.bootstrap import credentials_path, read_management_credentials
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
from tenantlab.cli.selection import (
    clear_current_tenant,
    find_tenant,
    read_current_tenant,
    write_current_tenant,
)
from tenantlab.directory.tenants import TENANT_TYPES, LockoutPolicy
from tenantlab.errors import ConfigError
from tenantlab.graph.shapes import organization_json
from tenantlab.platform import Platform
from tenantlab.served import public_origin


@click.group(cls=CommandGroup)
def tenant() -> None:
    """Tenants (directories): create, list, show, use (the current tenant), delete."""


@tenant.command("create")
@click.option("--name", "display_name", required=True, help="Display name, e.g. Contoso.")
@click.option(
    "--domain",
    required=True,
    help="Initial domain; 'contoso' becomes contoso.onmicrosoft.com.",
)
@click.option(
    "--type", "tenant_type", type=click.Choice(TENANT_TYPES), default="workforce", show_default=True
)
@click.option("--id", "tenant_id", help="A fixed tenant id (GUID); default: a new one.")
@json_option
@click.pass_context
def create(
    ctx: click.Context,
    display_name: str,
    domain: str,
    tenant_type: str,
    tenant_id: str | None,
    as_json: bool,
) -> None:
    """Create a tenant (with the Microsoft Graph service principal in it)."""
    platform = platform_from(ctx)
    created = platform.directory.create_tenant(
        display_name=display_name, domain=domain, tenant_type=tenant_type, tenant_id=tenant_id
    )
    domains = platform.directory.tenant_domains(created.id)
    if as_json:
        print_json(organization_json(created, domains))
        return
    print_fields(
        f"Created tenant {created.display_name}",
        [("tenant id", created.id), ("domain", domains[0]), ("type", created.tenant_type)],
    )


@tenant.command("list")
@json_option
@click.pass_context
def list_(ctx: click.Context, as_json: bool) -> None:
    """List tenants."""
    platform = platform_from(ctx)
    directory = platform.directory
    tenants = [(t, directory.tenant_domains(t.id)) for t in directory.list_tenants()]
    if as_json:
        print_json({"value": [organization_json(t, domains) for t, domains in tenants]})
        return
    current = read_current_tenant(platform.settings)
    print_table(
        "Tenants (* current: `tenantlab tenant use NAME`)",
        ["", "tenant id", "display name", "type", "domains"],
        [
            ("*" if t.id == current else "", t.id, t.display_name, t.tenant_type, ", ".join(d))
            for t, d in tenants
        ],
    )


@tenant.command("show")
@click.argument("name", required=False, metavar="[TENANT]")
@tenant_option
@click.option(
    "--credentials",
    "with_credentials",
    is_flag=True,
    help="Also print the tenant's management app: client id and secret for Graph (docs/graph.md).",
)
@json_option
@click.pass_context
def show(
    ctx: click.Context,
    name: str | None,
    tenant: str | None,
    with_credentials: bool,
    as_json: bool,
) -> None:
    """Show a tenant (default: the current one), its authority and how many objects it holds.

    TENANT, the older form of -t, still works.
    """
    platform = platform_from(ctx)
    directory = platform.directory
    found = resolve_tenant(platform, tenant or name)
    domains = directory.tenant_domains(found.id)
    if with_credentials:
        _show_credentials(platform, found.id, as_json)
        return
    if as_json:
        print_json(organization_json(found, domains))
        return
    origin = public_origin(platform.settings)
    current = read_current_tenant(platform.settings) == found.id
    print_fields(
        found.display_name + ("  (current tenant)" if current else ""),
        [
            ("tenant id", found.id),
            ("type", found.tenant_type),
            ("domains", ", ".join(domains)),
            ("applications", str(len(directory.list_applications(tenant=found.id)))),
            ("users", str(len(directory.list_users(tenant=found.id)))),
            ("authority", f"{origin}/{found.id}"),
        ],
    )


@tenant.command("use")
@click.argument("name", required=False, metavar="[TENANT]")
@click.option("--clear", is_flag=True, help="Forget the current tenant.")
@json_option
@click.pass_context
def use(ctx: click.Context, name: str | None, clear: bool, as_json: bool) -> None:
    """Make TENANT the current tenant: the default of -t for every command.

    TENANT is an id, a domain, a short domain (contoso) or a display name. Without TENANT:
    print the current tenant. Kept in the data folder (current-tenant).
    """
    if clear and name:
        raise click.UsageError("give TENANT or --clear, not both")
    platform = platform_from(ctx)
    settings = platform.settings
    if clear:
        clear_current_tenant(settings)
        if as_json:
            print_json({"currentTenant": None})
            return
        click.echo("No current tenant: commands use -t NAME (or the only tenant).")
        return
    if name:
        found = find_tenant(platform, name)
        write_current_tenant(settings, found.id)
    else:
        current = read_current_tenant(settings)
        found_current = platform.directory.find_tenant(current) if current else None
        if found_current is None:
            if as_json:
                print_json({"currentTenant": None})
                return
            raise ConfigError(
                "there is no current tenant: make one current with `tenantlab tenant use NAME`"
            )
        found = found_current
    domains = platform.directory.tenant_domains(found.id)
    if as_json:
        print_json({"currentTenant": organization_json(found, domains)})
        return
    verb = "is now" if name else "is"
    click.echo(f"The current tenant {verb} {found.display_name} ({domains[0]}, {found.id}).")


@tenant.command("delete")
@click.argument("name", metavar="TENANT")
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
@json_option
@click.pass_context
def delete(ctx: click.Context, name: str, yes: bool, as_json: bool) -> None:
    """Delete a tenant with its apps, users, grants and signing keys (asks first)."""
    platform = platform_from(ctx)
    directory = platform.directory
    found = find_tenant(platform, name)
    domain = directory.tenant_domains(found.id)[0]
    if not yes:
        if not sys.stdin.isatty():
            raise ConfigError(
                f"deleting {found.display_name} ({domain}) cannot be undone: add --yes to confirm"
            )
        click.confirm(
            f"Delete {found.display_name} ({domain}, {found.id}) and everything in it?",
            abort=True,
        )
    removed = directory.delete_tenant(found.id)
    settings = platform.settings
    shutil.rmtree(settings.signing_keys_dir / removed.id, ignore_errors=True)
    shutil.rmtree(credentials_path(settings, removed.id).parent, ignore_errors=True)
    if read_current_tenant(settings) == removed.id:
        clear_current_tenant(settings)
    if as_json:
        print_json({"id": removed.id, "displayName": removed.display_name, "deleted": True})
        return
    click.echo(f"Deleted tenant {removed.display_name} ({domain}, {removed.id}).")


@tenant.command("graph-throttling")
@click.argument("args", nargs=-1, metavar="on|off")
@tenant_option
@json_option
@click.pass_context
def graph_throttling(
    ctx: click.Context, args: tuple[str, ...], tenant: str | None, as_json: bool
) -> None:
    """Switch Graph throttling (429 + Retry-After past Graph's budget) on or off for a tenant.

    The older form `graph-throttling TENANT on|off` still works.
    """
    name: str | None = tenant
    if len(args) == 2 and tenant is None:
        name, state = args
    elif len(args) == 1:
        state = args[0]
    else:
        raise click.UsageError(
            "say on or off: tenantlab tenant graph-throttling on|off [-t TENANT]"
        )
    if state not in ("on", "off"):
        raise click.UsageError(f"'{state}' is not on or off")
    platform = platform_from(ctx)
    found = resolve_tenant(platform, name)
    platform.directory.set_graph_throttling(tenant=found.id, enabled=state == "on")
    if as_json:
        print_json({"id": found.id, "graphThrottling": state == "on"})
        return
    click.echo(f"Graph throttling is {state} for {found.display_name} ({found.id})")


@tenant.command("lockout")
@tenant_option
@click.option("--threshold", type=int, help="Failed sign-ins that lock an account (default 10).")
@click.option(
    "--duration",
    "duration_seconds",
    type=int,
    help="Seconds the first lockout lasts; each repeat doubles it (default 60).",
)
@json_option_saying("{id, threshold, durationSeconds}")
@click.pass_context
def lockout(
    ctx: click.Context,
    tenant: str | None,
    threshold: int | None,
    duration_seconds: int | None,
    as_json: bool,
) -> None:
    """Show or change the tenant's smart lockout of password sign-ins (AADSTS50053)."""
    platform = platform_from(ctx)
    found = resolve_tenant(platform, tenant)
    if threshold is None and duration_seconds is None:
        policy = LockoutPolicy.of(found)
    else:
        policy = platform.directory.set_lockout_policy(
            tenant=found.id, threshold=threshold, duration_seconds=duration_seconds
        )
    if as_json:
        print_json(
            {
                "id": found.id,
                "threshold": policy.threshold,
                "durationSeconds": policy.duration_seconds,
            }
        )
        return
    click.echo(
        f"Smart lockout for {found.display_name} ({found.id}): {policy.threshold} failed sign-ins "
        f"lock an account for {policy.duration_seconds} s, doubling on each repeat"
    )


def _credentials_file(platform: Platform, tenant_id: str) -> str:
    path = credentials_path(platform.settings, tenant_id)
    return str(path) if path.exists() else "none on this node (read from the database)"


def _show_credentials(platform: Platform, tenant_id: str, as_json: bool) -> None:
    """The management app's credentials: the data folder's owner-only file, or the database's
    sealed copy (a tenant another node made)."""
    credentials = read_management_credentials(
        platform.settings, tenant_id, database=platform.database, sealer=platform.secrets
    )
    if credentials is None:
        raise ConfigError(
            f"tenant {tenant_id} has no management app credentials in "
            f"{credentials_path(platform.settings, tenant_id).parent} (it was created without "
            "a data folder); create an app with `tenantlab app create` instead"
        )
    origin = public_origin(platform.settings)  # the running server's, not the one at creation
    credentials = replace(
        credentials, authority=f"{origin}/{tenant_id}", graphEndpoint=f"{origin}/v1.0"
    )
    if as_json:
        print_json(asdict(credentials))
        return
    print_fields(
        "Management app (Graph: " + ", ".join(credentials.permissions) + ")",
        [
            ("tenant id", credentials.tenantId),
            ("client id", credentials.clientId),
            ("client secret", credentials.clientSecret),
            ("secret expires", credentials.secretExpiresDateTime),
            ("authority", credentials.authority),
            ("graph endpoint", credentials.graphEndpoint),
            ("file", _credentials_file(platform, tenant_id)),
        ],
    )
