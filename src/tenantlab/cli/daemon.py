"""`tenantlab daemon`: the daemon app's own command line, forwarded unchanged.

The daemon keeps its parser (argparse) so `python -m tenantlab.daemon` and `tenantlab daemon`
accept exactly the same arguments; click only hands them over.
"""

from __future__ import annotations

import click


@click.command(
    context_settings={"ignore_unknown_options": True, "allow_extra_args": True},
    add_help_option=False,
)
@click.argument("args", nargs=-1, type=click.UNPROCESSED)
def daemon(args: tuple[str, ...]) -> None:
    """Run the daemon app: --op getUsers|getApp|getToDos|scenario, or todo ACTION ..."""
    from tenantlab.daemon.console import main as daemon_main

    raise SystemExit(daemon_main(list(args)))
