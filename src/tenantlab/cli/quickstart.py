"""`tenantlab quickstart` and `tenantlab up`: the whole daemon quickstart in one process."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from tenantlab.cli._common import forwarded_allow_ips_option, load_settings
from tenantlab.cli._logging import log_options, start_logging
from tenantlab.config import DEFAULT_PORT, DEFAULT_TODO_PORT, MICROSOFT_LOGIN_ORIGIN

HTTPS_PORT = 443


def _port_options(func: click.decorators.FC) -> click.decorators.FC:
    func = log_options(func)
    func = forwarded_allow_ips_option(func)
    func = click.option(
        "--out",
        type=click.Path(file_okay=False, path_type=Path),
        help="Where to write the official samples' configs (default: DATA_FOLDER/quickstart).",
    )(func)
    func = click.option(
        "--todo-port",
        type=click.IntRange(0, 65535),
        default=DEFAULT_TODO_PORT,
        show_default=True,
        help="The ToDo API's port (the samples' 44351; 0 picks a free one).",
    )(func)
    func = click.option(
        "--port",
        type=click.IntRange(0, 65535),
        default=None,
        help=f"The cloud origin's port (default {DEFAULT_PORT}; 0 picks a free one).",
    )(func)
    return func


def _run(
    port: int | None,
    todo_port: int,
    out: Path | None,
    forwarded_allow_ips: str | None,
    logs: tuple[str, str],
    *,
    daemon: bool,
    once: bool,
    as_microsoft: bool = False,
    verbose: bool = False,
) -> None:
    from tenantlab.quickstart import QuickstartOptions, run

    start_logging(*logs)
    if as_microsoft:
        settings = load_settings(
            port=HTTPS_PORT if port is None else port, public_url=MICROSOFT_LOGIN_ORIGIN
        )
    else:
        settings = load_settings(port=port)
    options = QuickstartOptions(
        todo_port=todo_port,
        out=out,
        run_daemon=daemon,
        once=once,
        forwarded_allow_ips=forwarded_allow_ips,
        verbose=verbose,
    )
    try:
        code = run(settings, options, sys.stdout)
    except KeyboardInterrupt:
        click.echo("interrupted", err=True)
        sys.exit(130)
    sys.exit(code)


@click.command()
@_port_options
@click.option("--once", is_flag=True, help="Exit when the daemon is done (exit 0: every step ok).")
@click.option(
    "--verbose",
    is_flag=True,
    help="Also print getApp's whole application object (always in a file).",
)
def quickstart(
    port: int | None,
    todo_port: int,
    out: Path | None,
    once: bool,
    verbose: bool,
    forwarded_allow_ips: str | None,
    log_level: str,
    log_format: str,
) -> None:
    """Serve the cloud and the ToDo API, provision the quickstart's tenants, run the daemon.

    Idempotent: a second run reuses the tenants, apps and credentials. Without --once the servers
    stay up with a status panel until Ctrl+C.
    """
    logs = (log_level, log_format)
    _run(port, todo_port, out, forwarded_allow_ips, logs, daemon=True, once=once, verbose=verbose)


@click.command()
@_port_options
@click.option(
    "--as-microsoft",
    is_flag=True,
    help="Be https://login.microsoftonline.com and https://graph.microsoft.com: serve on 443 "
    "(--port to map it, e.g. in a container) with Entra's issuers; pair with "
    "`tenantlab hosts install`.",
)
def up(
    port: int | None,
    todo_port: int,
    out: Path | None,
    forwarded_allow_ips: str | None,
    as_microsoft: bool,
    log_level: str,
    log_format: str,
) -> None:
    """Serve the cloud and the ToDo API with the quickstart's tenants until Ctrl+C."""
    _run(
        port,
        todo_port,
        out,
        forwarded_allow_ips,
        (log_level, log_format),
        daemon=False,
        once=False,
        as_microsoft=as_microsoft,
    )
