"""`tenantlab serve`: the emulated cloud (token service, Graph, portal) on one HTTPS origin."""

from __future__ import annotations

import sys
from pathlib import Path
from urllib.parse import urlsplit

import click

from tenantlab.cli._common import forwarded_allow_ips_option, load_settings, platform_from
from tenantlab.config import DEFAULT_PORT, ensure_private_dir
from tenantlab.keys import ensure_tls
from tenantlab.listening import bind, bound_port, forwarded_headers
from tenantlab.served import forget_server, record_server


@click.command()
@click.option("--host", default=None, help="Interface to listen on (default 127.0.0.1).")
@click.option(
    "--port",
    type=click.IntRange(0, 65535),
    default=None,
    help=f"Port (default {DEFAULT_PORT}; 0 picks a free one).",
)
@click.option(
    "--public-url",
    help="The origin clients use, e.g. https://login.microsoftonline.com (default: "
    "https://localhost:PORT); issuers and endpoints derive from it.",
)
@click.option(
    "--http",
    "plain_http",
    is_flag=True,
    help="Serve plain HTTP: only behind a TLS-terminating proxy (needs --public-url https://...).",
)
@click.option(
    "--seed",
    "seed_file",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="Apply a tenant file (YAML or JSON) before serving; idempotent.",
)
@forwarded_allow_ips_option
@click.pass_context
def serve(
    ctx: click.Context,
    host: str | None,
    port: int | None,
    public_url: str | None,
    plain_http: bool,
    seed_file: Path | None,
    forwarded_allow_ips: str | None,
) -> None:
    """Serve the emulated cloud over HTTPS (the local CA signs its certificate)."""
    import uvicorn

    from tenantlab.seed import apply_seed_file
    from tenantlab.server import create_cloud_app

    if plain_http and not (public_url or "").startswith("https://"):
        raise click.UsageError(
            "--http needs --public-url https://... (the TLS-terminating proxy's origin): "
            "MSAL and azure-identity refuse plain http"
        )
    proxies = forwarded_headers(forwarded_allow_ips)
    base = load_settings(host=host, port=port)
    sock = bind(base.host, base.port, advice="choose another --port", inheritable=True)
    served_port = bound_port(sock)
    try:
        platform = platform_from(ctx, host=base.host, port=served_port, public_url=public_url)
        settings = platform.settings
        ensure_private_dir(settings.home)
        names = list(settings.tls_names)
        public_host = urlsplit(settings.origin).hostname
        if public_host:
            names.append(public_host)
        if base.host not in ("0.0.0.0", "::", "127.0.0.1", "localhost", "::1"):
            names.append(base.host)
        tls = ensure_tls(settings.home, names)
        if seed_file is not None:
            report = apply_seed_file(platform, seed_file)
            for line in report.summary_lines():
                click.echo(line)
        tenants = platform.directory.list_tenants()
        for t in tenants:
            platform.keys.active(t.id)
        app = create_cloud_app(platform)
    except BaseException:
        sock.close()
        raise

    scheme = "http" if plain_http else "https"
    click.echo(f"tenantlab is serving {settings.origin} ({scheme} on {base.host}:{served_port})")
    if not tenants:
        click.echo("no tenants yet: tenantlab tenant create --name Contoso --domain contoso")
    for t in tenants:
        domain = platform.directory.tenant_domains(t.id)[0]
        click.echo(f"  tenant {t.display_name}: {settings.origin}/{t.id} ({domain})")
    click.echo('trust the local CA in clients: eval "$(tenantlab env)"')
    click.echo("press Ctrl+C to stop")
    sys.stdout.flush()  # a pipe (tee, a test, a supervisor) sees the origin before requests do

    config = uvicorn.Config(
        app,
        ssl_certfile=None if plain_http else str(tls.server_cert),
        ssl_keyfile=None if plain_http else str(tls.server_key),
        loop="uvloop",
        http="httptools",
        access_log=False,
        log_level="warning",
        lifespan="off",
        **proxies,
        timeout_graceful_shutdown=5,
    )
    record_server(settings.home, settings.origin)  # other commands read the origin from here
    try:
        uvicorn.Server(config).run(sockets=[sock])
    except KeyboardInterrupt:
        pass  # uvicorn re-raises Ctrl+C after its graceful shutdown: stopping is not an error
    finally:
        forget_server(settings.home)
        sock.close()
