"""`tenantlab serve`: the emulated cloud (token service, Graph, portal) on one HTTPS origin."""

from __future__ import annotations

import asyncio
import gc
import signal
import socket
import sys
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import click

from tenantlab.cli._common import forwarded_allow_ips_option, load_settings, platform_from
from tenantlab.cli._logging import log_options, start_logging
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
@click.option(
    "--managed-identity-port",
    type=click.IntRange(0, 65535),
    default=None,
    help="Also serve the managed identity endpoints (plain HTTP, as in Azure) on this port of "
    "--host; `tenantlab managed-identity env HOST` prints what points a client at them.",
)
@click.option(
    "--workers",
    type=click.IntRange(1, 64),
    default=None,
    envvar="TENANTLAB_WORKERS",
    help="Worker processes on the one port (default 1); each signs on its own core. Pools are "
    "sized per worker (docs/deployment.md); limits are shared only through TENANTLAB_REDIS_URL.",
)
@log_options
@click.pass_context
def serve(
    ctx: click.Context,
    host: str | None,
    port: int | None,
    public_url: str | None,
    plain_http: bool,
    seed_file: Path | None,
    forwarded_allow_ips: str | None,
    managed_identity_port: int | None,
    workers: int | None,
    log_level: str,
    log_format: str,
) -> None:
    """Serve the emulated cloud over HTTPS (the local CA signs its certificate)."""
    import uvicorn

    from tenantlab.logs import UVICORN_LOGGING, AccessLog
    from tenantlab.platform import require_public_url
    from tenantlab.seed import apply_seed_file
    from tenantlab.server import create_cloud_app

    if plain_http and not (public_url or "").startswith("https://"):
        raise click.UsageError(
            "--http needs --public-url https://... (the TLS-terminating proxy's origin): "
            "MSAL and azure-identity refuse plain http"
        )
    if workers and workers > 1 and managed_identity_port is not None:
        raise click.UsageError(
            "--managed-identity-port needs --workers 1: serve the managed identity endpoints "
            "from a separate `tenantlab serve --managed-identity-port PORT`"
        )
    proxies = forwarded_headers(forwarded_allow_ips)
    start_logging(log_level, log_format)
    base = load_settings(host=host, port=port, public_url=public_url)
    require_public_url(base)
    sock = bind(base.host, base.port, advice="choose another --port", inheritable=True)
    served_port = bound_port(sock)
    identity_sock = None
    try:
        if managed_identity_port is not None:
            identity_sock = bind(
                base.host, managed_identity_port, advice="choose another --managed-identity-port"
            )
        platform = platform_from(
            ctx, host=base.host, port=served_port, public_url=public_url, workers=workers
        )
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
        # Opened now, so a database whose secret digests need a pepper it lacks stops the start
        # with its one line, not the first token request with a 500.
        _ = platform.directory.secret_digests.pepper
        if settings.workers == 1:
            app = create_cloud_app(platform)
        else:  # the workers build their own apps; the first-run password is shown here, once
            from tenantlab.portal.app import ensure_administrator

            ensure_administrator(platform)
            app = None
    except BaseException:
        sock.close()
        if identity_sock is not None:
            identity_sock.close()
        raise

    scheme = "http" if plain_http else "https"
    click.echo(f"tenantlab is serving {settings.origin} ({scheme} on {base.host}:{served_port})")
    if not tenants:
        click.echo("no tenants yet: tenantlab tenant create --name Contoso --domain contoso")
    for t in tenants:
        domain = platform.directory.tenant_domains(t.id)[0]
        click.echo(f"  tenant {t.display_name}: {settings.origin}/{t.id} ({domain})")
    if identity_sock is not None:
        identity_url = f"http://{base.host}:{bound_port(identity_sock)}"
        click.echo(f"managed identity endpoints on {identity_url} (plain HTTP, as in Azure)")
        click.echo(
            f'  a client on host H: eval "$(tenantlab managed-identity env H '
            f'--endpoint {identity_url})"'
        )
    if settings.workers > 1:
        click.echo(f"{settings.workers} worker processes")
        if not settings.redis_url:
            click.echo(
                "  throttling and sign-in limits are counted per worker: set "
                "TENANTLAB_REDIS_URL to share them"
            )
    click.echo(f"admin center: {settings.origin}/portal")
    click.echo('trust the local CA in clients: eval "$(tenantlab env)"')
    click.echo("press Ctrl+C to stop")
    sys.stdout.flush()  # a pipe (tee, a test, a supervisor) sees the origin before requests do

    options: dict[str, Any] = {
        "ssl_certfile": None if plain_http else str(tls.server_cert),
        "ssl_keyfile": None if plain_http else str(tls.server_key),
        "loop": "uvloop",
        "http": "httptools",
        "lifespan": "off",
        **proxies,
        "timeout_graceful_shutdown": 5,
        **UVICORN_LOGGING,
    }
    if app is None:
        _serve_with_workers(platform, sock, log_level, log_format, options)
        return
    config = uvicorn.Config(AccessLog(app), **options)
    listeners = [(uvicorn.Server(config), sock)]
    if identity_sock is not None:
        from tenantlab.sts.managed_identity import create_app as create_identity_app

        identity_config = uvicorn.Config(
            AccessLog(create_identity_app(platform)),
            loop="uvloop",
            http="httptools",
            lifespan="off",
            timeout_graceful_shutdown=5,
            **UVICORN_LOGGING,
        )
        listeners.append((uvicorn.Server(identity_config), identity_sock))
    record_server(settings.home, settings.origin)  # other commands read the origin from here
    # Start-up leaves ~125k long-lived objects (modules, the app, caches); frozen, the collector
    # no longer walks them, and a gen-2 pass stops costing ~100 ms in someone's p99.
    gc.collect()
    gc.freeze()
    # uvicorn re-raises the signal that stopped it once its graceful shutdown is done: SIGTERM
    # then becomes SystemExit here (not the default handler's silent death), so both it and
    # Ctrl+C end with "stopped".
    previous = signal.signal(signal.SIGTERM, _exit_on_sigterm)
    try:
        if len(listeners) == 1:
            listeners[0][0].run(sockets=[sock])
        else:
            import uvloop

            with asyncio.Runner(loop_factory=uvloop.new_event_loop) as runner:
                runner.run(_serve_together(listeners))
    except KeyboardInterrupt:
        pass  # uvicorn re-raises Ctrl+C after its graceful shutdown: stopping is not an error
    finally:
        signal.signal(signal.SIGTERM, previous)
        forget_server(settings.home)
        for _, listening in listeners:
            listening.close()
        click.echo("stopped")


def _serve_with_workers(
    platform: Any, sock: socket.socket, log_level: str, log_format: str, options: dict[str, Any]
) -> None:
    from tenantlab.cli._workers import serve_workers

    settings = platform.settings
    record_server(settings.home, settings.origin)
    platform.database.dispose()  # the workers open their own; this process only supervises
    try:
        serve_workers(
            settings, sock, log_level=log_level, log_format=log_format, uvicorn_options=options
        )
    finally:
        forget_server(settings.home)
        sock.close()
        click.echo("stopped")


def _exit_on_sigterm(signum: int, frame: object) -> None:
    raise SystemExit(0)


async def _serve_together(listeners: list[tuple[Any, socket.socket]]) -> None:
    """Serve every listener until one stops (Ctrl+C reaches one of them); then stop them all."""
    tasks = [asyncio.ensure_future(server.serve(sockets=[s])) for server, s in listeners]
    await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
    for server, _ in listeners:
        server.should_exit = True
    await asyncio.gather(*tasks)
