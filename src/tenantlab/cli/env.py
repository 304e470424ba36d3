"""`tenantlab env`: the shell exports that make every client trust the local CA."""

from __future__ import annotations

import shlex

import click

from tenantlab.cli._common import json_option, load_settings, print_json
from tenantlab.config import ensure_private_dir
from tenantlab.keys import ensure_tls, env_exports


@click.command()
@json_option
def env(as_json: bool) -> None:
    """Print `export ...` lines for the CA bundle (creates the local CA on first use).

    Use: eval "$(tenantlab env)"
    """
    settings = load_settings()
    ensure_private_dir(settings.home)
    files = ensure_tls(settings.home, settings.tls_names)
    exports = env_exports(files.ca_bundle)
    if as_json:
        print_json(exports)
        return
    for name, value in exports.items():
        click.echo(f"export {name}={shlex.quote(value)}")
