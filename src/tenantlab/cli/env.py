"""`tenantlab env`: the shell exports that make every client trust the local CA.

stdout holds only `export` lines, for `eval "$(tenantlab env)"`; what a person wants to know next
(the running server, the current tenant, how to sign in to the admin center) goes to stderr, so
it shows in the terminal and never ends up in the shell's environment.
"""

from __future__ import annotations

import shlex
from typing import Any

import click

from tenantlab.cli._common import load_settings, print_json
from tenantlab.cli.portal import sign_in_hint
from tenantlab.cli.selection import directory_exists, read_current_tenant
from tenantlab.config import PlatformSettings, ensure_private_dir
from tenantlab.served import read_server


@click.command()
@click.option(
    "--json",
    "as_json",
    is_flag=True,
    help="Print the exports, the server, the current tenant and the admin center as JSON.",
)
def env(as_json: bool) -> None:
    """Print `export ...` lines for the CA bundle (creates the local CA on first use).

    Use: eval "$(tenantlab env)". Also says (on stderr) where the server runs, which tenant is
    current and how to sign in to the admin center.
    """
    from tenantlab.keys import ensure_tls, env_exports

    settings = load_settings()
    ensure_private_dir(settings.home)
    files = ensure_tls(settings.home, settings.tls_names)
    exports = env_exports(files.ca_bundle)
    status = _status(settings)
    if as_json:
        print_json({"exports": exports, **status})
        return
    for name, value in exports.items():
        click.echo(f"export {name}={shlex.quote(value)}")
    for line in _status_lines(status):
        click.echo(f"# {line}", err=True)


def _status(settings: PlatformSettings) -> dict[str, Any]:
    server = read_server(settings.home)
    running = server is not None and server.running
    origin = server.origin if server is not None and running else settings.origin
    return {
        "server": {
            "origin": origin,
            "running": running,
            "todoOrigin": server.todo_origin if server is not None and running else None,
        },
        "currentTenant": _current_tenant(settings),
        "portal": {"url": f"{origin}/portal", "signIn": sign_in_hint(settings)},
    }


def _current_tenant(settings: PlatformSettings) -> dict[str, Any] | None:
    """The current tenant's id and name; reading the directory only when one is set."""
    current = read_current_tenant(settings)
    if current is None or not directory_exists(settings):
        return None
    from tenantlab.platform import Platform

    platform = Platform.open(settings)
    try:
        found = platform.directory.find_tenant(current)
        if found is None:
            return {"id": current, "displayName": "", "domain": "", "missing": True}
        domain = platform.directory.tenant_domains(found.id)[0]
        return {"id": found.id, "displayName": found.display_name, "domain": domain}
    finally:
        platform.close()


def _status_lines(status: dict[str, Any]) -> list[str]:
    server = status["server"]
    lines = [
        f"server: {server['origin']} (running)"
        if server["running"]
        else f"server: not running (default origin {server['origin']}; start: tenantlab serve)"
    ]
    if server["todoOrigin"]:
        lines.append(f"ToDo API: {server['todoOrigin']}/api/todolist")
    current = status["currentTenant"]
    if current is None:
        lines.append("current tenant: none (tenantlab tenant use NAME)")
    elif current.get("missing"):
        lines.append(
            f"current tenant: {current['id']} no longer exists (tenantlab tenant use NAME)"
        )
    else:
        lines.append(
            f"current tenant: {current['displayName']} ({current['domain']}); "
            "tenantlab tenant use NAME changes it"
        )
    portal = status["portal"]
    lines.append(f"admin center: {portal['url']}: {portal['signIn']}")
    return lines
