"""`tenantlab managed-identity create|list|show|delete|attach|detach|env`: managed identities."""

from __future__ import annotations

from typing import Any

import click

from tenantlab.cli._common import (
    CommandGroup,
    fail,
    json_option,
    platform_from,
    print_fields,
    print_json,
    print_table,
    resolve_tenant,
    tenant_option,
)
from tenantlab.directory.managed_identities import (
    SYSTEM_ASSIGNED,
    USER_ASSIGNED,
    ManagedIdentityView,
)
from tenantlab.graph.shapes import service_principal_document
from tenantlab.platform import Platform


def _document(platform: Platform, view: ManagedIdentityView) -> dict[str, Any]:
    """The identity as Graph's servicePrincipal, plus what Azure's resource view adds."""
    sp = platform.directory.get_service_principal(tenant=view.tenant_id, key=view.principal_id)
    return {
        "name": view.name,
        "type": view.kind,
        "clientId": view.client_id,
        "principalId": view.principal_id,
        "tenantId": view.tenant_id,
        "resourceId": view.resource_id,
        "hosts": list(view.hosts),
        "servicePrincipal": service_principal_document(platform.directory, sp),
    }


def _fields(view: ManagedIdentityView) -> list[tuple[str, str]]:
    return [
        ("type", view.kind),
        ("clientId", view.client_id),
        ("principalId", view.principal_id),
        ("resourceId", view.resource_id),
        ("hosts", ", ".join(view.hosts) or "none (attach one with `managed-identity attach`)"),
    ]


@click.group("managed-identity", cls=CommandGroup)
def managed_identity() -> None:
    """Managed identities: system-assigned (one per host) and user-assigned (attached to hosts)."""


@managed_identity.command("create")
@click.argument("name")
@click.option(
    "--system-assigned",
    is_flag=True,
    help="The system-assigned identity of host NAME (default: a user-assigned identity NAME).",
)
@click.option(
    "--host",
    "hosts",
    multiple=True,
    metavar="HOST",
    help="A host the user-assigned identity is attached to; repeatable.",
)
@tenant_option
@json_option
@click.pass_context
def create(
    ctx: click.Context,
    name: str,
    system_assigned: bool,
    hosts: tuple[str, ...],
    tenant: str | None,
    as_json: bool,
) -> None:
    """Create a managed identity: its service principal gets a new client id and object id."""
    if system_assigned and hosts:
        raise click.UsageError("--host is for user-assigned identities; NAME is the host here")
    platform = platform_from(ctx)
    t = resolve_tenant(platform, tenant)
    view = platform.directory.create_managed_identity(
        tenant=t.id,
        name=name,
        kind=SYSTEM_ASSIGNED if system_assigned else USER_ASSIGNED,
        hosts=hosts,
    )
    if as_json:
        print_json(_document(platform, view))
        return
    print_fields(f"Created managed identity {view.name}", _fields(view))
    click.echo(
        f"grant it app roles: tenantlab app grant {view.name} graph --role User.Read.All -t {t.id}"
    )


@managed_identity.command("list")
@tenant_option
@json_option
@click.pass_context
def list_(ctx: click.Context, tenant: str | None, as_json: bool) -> None:
    """List the tenant's managed identities."""
    platform = platform_from(ctx)
    t = resolve_tenant(platform, tenant)
    views = platform.directory.list_managed_identities(tenant=t.id)
    if as_json:
        print_json({"value": [_document(platform, v) for v in views]})
        return
    print_table(
        f"Managed identities of {t.display_name}",
        ["name", "type", "clientId", "principalId", "hosts"],
        [(v.name, v.kind, v.client_id, v.principal_id, ", ".join(v.hosts)) for v in views],
    )


@managed_identity.command("show")
@click.argument("identity")
@tenant_option
@json_option
@click.pass_context
def show(ctx: click.Context, identity: str, tenant: str | None, as_json: bool) -> None:
    """Show one managed identity (by name, client id or principal id)."""
    platform = platform_from(ctx)
    t = resolve_tenant(platform, tenant)
    view = platform.directory.get_managed_identity(tenant=t.id, key=identity)
    if as_json:
        print_json(_document(platform, view))
        return
    print_fields(f"Managed identity {view.name}", _fields(view))


@managed_identity.command("delete")
@click.argument("identity")
@tenant_option
@click.pass_context
def delete(ctx: click.Context, identity: str, tenant: str | None) -> None:
    """Delete a managed identity, its service principal and its app role assignments."""
    platform = platform_from(ctx)
    t = resolve_tenant(platform, tenant)
    view = platform.directory.delete_managed_identity(tenant=t.id, key=identity)
    click.echo(f"Deleted managed identity {view.name} ({view.client_id}).")


@managed_identity.command("attach")
@click.argument("identity")
@click.option("--host", required=True, help="The host that may use the identity.")
@tenant_option
@click.pass_context
def attach(ctx: click.Context, identity: str, host: str, tenant: str | None) -> None:
    """Attach a user-assigned identity to a host."""
    platform = platform_from(ctx)
    t = resolve_tenant(platform, tenant)
    view = platform.directory.attach_managed_identity(tenant=t.id, key=identity, host=host)
    click.echo(f"{view.name} is attached to: {', '.join(view.hosts)}.")


@managed_identity.command("detach")
@click.argument("identity")
@click.option("--host", required=True, help="The host that may no longer use the identity.")
@tenant_option
@click.pass_context
def detach(ctx: click.Context, identity: str, host: str, tenant: str | None) -> None:
    """Detach a user-assigned identity from a host."""
    platform = platform_from(ctx)
    t = resolve_tenant(platform, tenant)
    view = platform.directory.attach_managed_identity(
        tenant=t.id, key=identity, host=host, attach=False
    )
    click.echo(f"{view.name} is attached to: {', '.join(view.hosts) or 'no host'}.")


@managed_identity.command("env")
@click.argument("host")
@click.option(
    "--endpoint",
    required=True,
    metavar="URL",
    help="The managed identity listener, e.g. http://127.0.0.1:50342 "
    "(`tenantlab serve --managed-identity-port`).",
)
@click.option(
    "--form",
    type=click.Choice(["app-service", "imds"]),
    default="app-service",
    show_default=True,
    help="app-service: IDENTITY_ENDPOINT + IDENTITY_HEADER (every Azure SDK); imds: "
    "AZURE_POD_IDENTITY_AUTHORITY_HOST (MSAL Python, azure-identity).",
)
@tenant_option
@click.pass_context
def env(ctx: click.Context, host: str, endpoint: str, form: str, tenant: str | None) -> None:
    """Print the environment that makes code on HOST use its managed identities.

    Use it as `eval "$(tenantlab managed-identity env HOST --endpoint URL)"`.
    """
    from tenantlab.keys.host_secrets import HostSecrets
    from tenantlab.sts.managed_identity import host_environment

    platform = platform_from(ctx)
    t = resolve_tenant(platform, tenant)
    if not platform.directory.host_identities(tenant=t.id, host=host):
        fail(
            f"no managed identity is on host '{host}': create one with "
            f"`tenantlab managed-identity create --system-assigned {host}` or attach one with "
            f"`tenantlab managed-identity attach NAME --host {host}`"
        )
    secret = HostSecrets(platform.settings.home).issue(t.id, host)
    for name, value in host_environment(endpoint, secret, form).items():
        click.echo(f"export {name}='{value}'")
