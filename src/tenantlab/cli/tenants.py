"""`tenantlab tenant create|list|show`: directories (Entra tenants) and their domains."""

from __future__ import annotations

from dataclasses import asdict

import click

from tenantlab.bootstrap import credentials_path, read_management_credentials
from tenantlab.cli._common import (
    json_option,
    platform_from,
    print_fields,
    print_json,
    print_table,
)
from tenantlab.directory.tenants import TENANT_TYPES
from tenantlab.errors import ConfigError
from tenantlab.graph.shapes import organization_json
from tenantlab.platform import Platform


@click.group()
def tenant() -> None:
    """Tenants: a GUID, a display name, domains (contoso.onmicrosoft.com), workforce or external."""


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
    directory = platform_from(ctx).directory
    tenants = [(t, directory.tenant_domains(t.id)) for t in directory.list_tenants()]
    if as_json:
        print_json({"value": [organization_json(t, domains) for t, domains in tenants]})
        return
    print_table(
        "Tenants",
        ["tenant id", "display name", "type", "domains"],
        [(t.id, t.display_name, t.tenant_type, ", ".join(domains)) for t, domains in tenants],
    )


@tenant.command("show")
@click.argument("alias")
@click.option(
    "--credentials",
    "with_credentials",
    is_flag=True,
    help="Also print the tenant's management app: client id and secret for Graph (docs/graph.md).",
)
@json_option
@click.pass_context
def show(ctx: click.Context, alias: str, with_credentials: bool, as_json: bool) -> None:
    """Show one tenant (by id or domain name) and how many objects it holds."""
    platform = platform_from(ctx)
    directory = platform.directory
    found = directory.get_tenant(alias)
    domains = directory.tenant_domains(found.id)
    if with_credentials:
        _show_credentials(platform, found.id, as_json)
        return
    if as_json:
        print_json(organization_json(found, domains))
        return
    origin = platform.settings.origin
    print_fields(
        found.display_name,
        [
            ("tenant id", found.id),
            ("type", found.tenant_type),
            ("domains", ", ".join(domains)),
            ("applications", str(len(directory.list_applications(tenant=found.id)))),
            ("users", str(len(directory.list_users(tenant=found.id)))),
            ("authority", f"{origin}/{found.id}"),
        ],
    )


@tenant.command("graph-throttling")
@click.argument("alias")
@click.argument("state", type=click.Choice(["on", "off"]))
@click.pass_context
def graph_throttling(ctx: click.Context, alias: str, state: str) -> None:
    """Switch Graph throttling (429 + Retry-After past Graph's budget) on or off for a tenant."""
    platform = platform_from(ctx)
    found = platform.directory.get_tenant(alias)
    platform.directory.set_graph_throttling(tenant=found.id, enabled=state == "on")
    click.echo(f"Graph throttling is {state} for {found.display_name} ({found.id})")


def _show_credentials(platform: Platform, tenant_id: str, as_json: bool) -> None:
    """The management app's credentials, read from the owner-only file in the data folder."""
    credentials = read_management_credentials(platform.settings, tenant_id)
    if credentials is None:
        raise ConfigError(
            f"tenant {tenant_id} has no management app credentials in "
            f"{credentials_path(platform.settings, tenant_id).parent} (it was created without "
            "a data folder); create an app with `tenantlab app create` instead"
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
            ("file", str(credentials_path(platform.settings, tenant_id))),
        ],
    )
