"""`tenantlab todo-api`: the protected ToDo list API of Microsoft's daemon samples, over HTTPS."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import click

from tenantlab.cli._common import forwarded_allow_ips_option
from tenantlab.cli._logging import log_options, start_logging
from tenantlab.cli.selection import directory_exists
from tenantlab.config import DEFAULT_TODO_PORT, PlatformSettings
from tenantlab.errors import TenantlabError
from tenantlab.served import public_origin

if TYPE_CHECKING:
    from tenantlab.todo import TodoApiSettings


@click.command("todo-api")
@click.option(
    "--appsettings",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="The sample's appsettings.json (its AzureAd section: Instance, TenantId, ClientId, "
    "Scopes, AppPermissions).",
)
@click.option(
    "--instance",
    help="Authority host (default: the running tenantlab server's origin, else "
    "https://localhost:5443).",
)
@click.option(
    "--tenant",
    "-t",
    "--tenant-id",
    "tenant_id",
    metavar="TENANT",
    help="The API's tenant: id or domain; for the local cloud also a short domain or display "
    "name (default: the current tenant). --tenant-id is the older name.",
)
@click.option("--client-id", help="The API's application (client) id.")
@click.option(
    "--audience",
    "audiences",
    multiple=True,
    help="Accepted `aud` (repeatable; default: the client id and api://<client id>).",
)
@click.option(
    "--allowed-client-id",
    "allowed_client_ids",
    multiple=True,
    help="Only accept tokens of these client apps (azp/appid; repeatable).",
)
@click.option("--host", default=None, help="Interface to listen on (default 127.0.0.1).")
@click.option(
    "--port",
    type=click.IntRange(0, 65535),
    default=None,
    help=f"Port (default {DEFAULT_TODO_PORT}, the sample's; 0 picks a free one).",
)
@click.option("--database-url", help="Default: sqlite:///{TENANTLAB_HOME}/todo.db.")
@click.option(
    "--ca-bundle",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="CA bundle to trust for the authority (default: tenantlab's bundle).",
)
@forwarded_allow_ips_option
@log_options
def todo_api(
    appsettings: Path | None,
    instance: str | None,
    tenant_id: str | None,
    client_id: str | None,
    audiences: tuple[str, ...],
    allowed_client_ids: tuple[str, ...],
    host: str | None,
    port: int | None,
    database_url: str | None,
    ca_bundle: Path | None,
    forwarded_allow_ips: str | None,
    log_level: str,
    log_format: str,
) -> None:
    """Serve the ToDo list API (/api/todolist) protected by tokens of the configured tenant."""
    import uvicorn

    from tenantlab.keys import ensure_tls
    from tenantlab.listening import bind, bound_port, forwarded_headers
    from tenantlab.logs import UVICORN_LOGGING, AccessLog
    from tenantlab.todo import TodoApi, load_settings

    start_logging(log_level, log_format)
    settings = load_settings(
        appsettings,
        instance=instance,
        tenant_id=tenant_id,
        client_id=client_id,
        audiences=list(audiences) or None,
        allowed_client_ids=list(allowed_client_ids) or None,
        host=host,
        port=port,
        database_url=database_url,
        ca_bundle=ca_bundle,
    )
    if "instance" not in settings.model_fields_set:
        settings = settings.model_copy(update={"instance": public_origin(PlatformSettings())})
    settings = _local_tenant(settings)
    settings.require_identity()
    proxies = forwarded_headers(forwarded_allow_ips)
    tls = ensure_tls(settings.home)
    if settings.ca_bundle is None:
        # tenantlab's bundle holds the system CAs too, so it also works against real Entra.
        settings = settings.model_copy(update={"ca_bundle": tls.ca_bundle})
    sock = bind(settings.host, settings.port, advice="choose another --port", inheritable=True)
    try:
        todo = TodoApi(settings)
    except BaseException:
        sock.close()
        raise
    click.echo(f"ToDo API on https://localhost:{bound_port(sock)}/api/todolist (docs: /docs)")
    click.echo(f"  trusts tokens of {settings.instance}/{settings.tenant_id} for")
    click.echo(f"  audiences {', '.join(settings.resolved_audiences)}")
    click.echo("press Ctrl+C to stop")
    config = uvicorn.Config(
        AccessLog(todo.app),
        ssl_certfile=str(tls.server_cert),
        ssl_keyfile=str(tls.server_key),
        loop="uvloop",
        http="httptools",
        lifespan="on",  # the app closes its validator's HTTPS client at shutdown
        timeout_graceful_shutdown=5,
        **proxies,
        **UVICORN_LOGGING,
    )
    with todo:
        try:
            uvicorn.Server(config).run(sockets=[sock])
        finally:
            sock.close()


def _local_tenant(settings: TodoApiSettings) -> TodoApiSettings:
    """For the local cloud, resolve -t as every other command does (or take the current tenant).

    Against another authority (real Entra) the value is passed on as it is.
    """
    platform_settings = PlatformSettings()
    if settings.instance.rstrip("/") != public_origin(platform_settings):
        return settings
    if not directory_exists(platform_settings):
        return settings
    from tenantlab.cli.selection import choose_tenant
    from tenantlab.platform import Platform

    platform = Platform.open(platform_settings)
    try:
        if settings.tenant_id and platform.directory.find_tenant(settings.tenant_id):
            return settings  # a GUID or a domain: the token service takes it as it is
        try:
            chosen = choose_tenant(platform, settings.tenant_id or None)
        except TenantlabError:
            if settings.tenant_id:
                raise
            return settings  # no tenant chosen: require_identity() says what is missing
        return settings.model_copy(update={"tenant_id": chosen.tenant.id})
    finally:
        platform.close()
