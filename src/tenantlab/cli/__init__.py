"""The `tenantlab` command. One module per command group, loaded only when it runs.

To add a command group: write `cli/<name>.py` defining a click command or group, then add one
line to `COMMANDS` below: its name, where it is (`module:attribute`) and its one-line summary
(what `tenantlab --help` lists, without importing the module). Keep imports of SQLAlchemy,
FastAPI, MSAL and cryptography inside the functions that need them: `tenantlab --help` and
`--version` load none of them (tests/unit/cli/test_startup.py). Raise TenantlabError subclasses
for mistakes a user can fix: `TenantlabGroup` prints them as one `error:` line (exit 1;
ConfigError exit 2).
"""

from __future__ import annotations

import gc
import importlib
import sys
from types import ModuleType

import click

from tenantlab.cli._common import TenantlabGroup

# name -> (module:attribute, summary for `tenantlab --help`)
COMMANDS: dict[str, tuple[str, str]] = {
    "serve": ("tenantlab.cli.serve:serve", "Serve the emulated cloud over HTTPS."),
    "up": ("tenantlab.cli.quickstart:up", "Serve the cloud and the ToDo API (quickstart tenants)."),
    "quickstart": ("tenantlab.cli.quickstart:quickstart", "Serve, provision, run the daemon."),
    "env": ("tenantlab.cli.env:env", "Print the exports that make clients trust the local CA."),
    "seed": ("tenantlab.cli.seed:seed", "Apply a tenant file (YAML or JSON), idempotently."),
    "tenant": ("tenantlab.cli.tenants:tenant", "Tenants: create, list, show, use, delete."),
    "app": ("tenantlab.cli.apps:app", "App registrations: credentials, roles, scopes, consent."),
    "user": ("tenantlab.cli.users:user", "Users of a tenant."),
    "group": ("tenantlab.cli.groups:group", "Groups of a tenant and their members."),
    "keys": ("tenantlab.cli.keys:keys", "Token-signing keys: list and rotate."),
    "portal": ("tenantlab.cli.portal:portal", "The admin center's local administrator."),
    "daemon": ("tenantlab.cli.daemon:daemon", "Run the daemon app (MSAL + Graph or ToDo API)."),
    "todo-api": ("tenantlab.cli.todo_api:todo_api", "Serve the samples' protected ToDo API."),
    "managed-identity": (
        "tenantlab.cli.managed_identities:managed_identity",
        "Managed identities: system-assigned and user-assigned.",
    ),
    "run": ("tenantlab.cli.run:run", "Run a command against tenantlab under Microsoft's names."),
    "hosts": ("tenantlab.cli.hosts:hosts", "Map Microsoft's host names to this machine."),
    "logs": ("tenantlab.cli.logs:logs", "Sign-in and audit logs of a tenant."),
    "token": ("tenantlab.cli.token:token", "Forge access tokens for negative tests of an API."),
    "fault": ("tenantlab.cli.faults:fault", "Break the running server's endpoints (tests)."),
    "clock": ("tenantlab.cli.clock:clock", "The running server's clock: show, move, freeze."),
    "probe-api": ("tenantlab.cli.probe:probe_api", "Fire token attacks at an Entra-protected API."),
    "db": ("tenantlab.cli.db:db", "The database's schema: upgrade it before nodes start."),
}


# True in a process that is the command's own (`main`): see load_module.
_OWN_PROCESS = False


def load_module(name: str) -> ModuleType:
    """Import a command's module; in the command's own process, with start-up objects frozen.

    Loading a directory command (SQLAlchemy, its ORM, the schema's mapped classes) allocates
    several hundred thousand long-lived objects. The cyclic garbage collector walked them again
    and again while they loaded, and once more in full at the command's first query (SQLAlchemy
    configuring its mappers): together about a fifth of the command's start (issue 12 item 7,
    bench/cli_startup.py). So the collector is paused while the module loads and what was
    loaded is frozen out of later collections (`gc.freeze`, as `serve` does with its start-up
    objects). Only in `main`'s own process: a test calling the CLI in process keeps its GC.
    """
    if not _OWN_PROCESS or not gc.isenabled():
        return importlib.import_module(name)
    gc.disable()
    try:
        return importlib.import_module(name)
    finally:
        gc.freeze()
        gc.enable()


class LazyGroup(TenantlabGroup):
    """Imports a command's module when that command runs (or shows its own help)."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*COMMANDS, *self.commands})

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name in self.commands or cmd_name not in COMMANDS:
            return super().get_command(ctx, cmd_name)
        where, summary = COMMANDS[cmd_name]
        module_name, attribute = where.split(":")
        command = getattr(load_module(module_name), attribute)
        if not isinstance(command, click.Command):  # pragma: no cover - a wrong COMMANDS line
            raise TypeError(f"{where} is not a click command")
        command.short_help = summary
        self.commands[cmd_name] = command
        return command

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        """The list from COMMANDS' summaries: `tenantlab --help` imports no command module."""
        rows = [
            (name, COMMANDS[name][1])
            if name in COMMANDS
            else (name, self.commands[name].get_short_help_str(formatter.width))
            for name in self.list_commands(ctx)
        ]
        with formatter.section("Commands"):
            formatter.write_dl(rows)


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="tenantlab", prog_name="tenantlab")
def cli() -> None:
    """A local Microsoft Entra ID + Microsoft Graph (data folder: TENANTLAB_HOME, ~/.tenantlab)."""


def main() -> None:
    global _OWN_PROCESS  # set once, by the process's entry point
    _OWN_PROCESS = True
    try:
        cli(prog_name="tenantlab")
    except KeyboardInterrupt:  # Ctrl+C while a module is still importing: no traceback
        click.echo("interrupted", err=True)
        sys.exit(130)
