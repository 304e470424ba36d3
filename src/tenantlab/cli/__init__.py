"""The `tenantlab` command. One module per command group; each is added here with one line.

To add a command group: write `cli/<name>.py` defining a click command or group, then add
`cli.add_command(<name>)` below. Raise TenantlabError subclasses for mistakes a user can fix:
`TenantlabGroup` prints them as one `error:` line (exit 1; ConfigError exit 2).
"""

from __future__ import annotations

import click

from tenantlab.cli._common import TenantlabGroup
from tenantlab.cli.apps import app
from tenantlab.cli.daemon import daemon
from tenantlab.cli.env import env
from tenantlab.cli.hosts import hosts
from tenantlab.cli.keys import keys
from tenantlab.cli.logs import logs
from tenantlab.cli.managed_identities import managed_identity
from tenantlab.cli.portal import portal
from tenantlab.cli.quickstart import quickstart, up
from tenantlab.cli.run import run
from tenantlab.cli.seed import seed
from tenantlab.cli.serve import serve
from tenantlab.cli.tenants import tenant
from tenantlab.cli.todo_api import todo_api
from tenantlab.cli.users import user


@click.group(cls=TenantlabGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="tenantlab", prog_name="tenantlab")
def cli() -> None:
    """A local Microsoft Entra ID + Microsoft Graph (data folder: TENANTLAB_HOME, ~/.tenantlab)."""


cli.add_command(serve)
cli.add_command(env)
cli.add_command(seed)
cli.add_command(tenant)
cli.add_command(app)
cli.add_command(user)
cli.add_command(managed_identity)
cli.add_command(keys)
cli.add_command(daemon)
cli.add_command(todo_api)
cli.add_command(quickstart)
cli.add_command(up)
cli.add_command(portal)
cli.add_command(run)
cli.add_command(hosts)
cli.add_command(logs)


def main() -> None:
    cli(prog_name="tenantlab")
