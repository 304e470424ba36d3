"""`tenantlab hosts install|remove`: Microsoft's host names to loopback in a hosts file.

For `tenantlab up --as-microsoft` on a machine or in a container where `tenantlab run`'s private
namespaces are not available. The block is marked, so `remove` takes out exactly what `install`
added and no other line.
"""

from __future__ import annotations

from pathlib import Path

import click

from tenantlab.cli._common import CommandGroup, platform_from
from tenantlab.dropin.hosts import block_lines, microsoft_names, with_block, without_block
from tenantlab.errors import ConfigError

HOSTS_FILE = Path("/etc/hosts")


def _hosts_file_option(func: click.decorators.FC) -> click.decorators.FC:
    return click.option(
        "--hosts-file",
        type=click.Path(dir_okay=False, path_type=Path),
        default=HOSTS_FILE,
        show_default=True,
        help="The hosts file to change.",
    )(func)


def _read(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(f"{path} does not exist (choose the file with --hosts-file)") from None
    except OSError as exc:
        raise ConfigError(f"cannot read {path}: {exc.strerror}") from None


def _write(path: Path, text: str) -> None:
    """Rewrite in place: /etc/hosts is often a mount point (containers), never replace it."""
    try:
        with path.open("r+", encoding="utf-8") as handle:
            handle.write(text)
            handle.truncate()
    except PermissionError:
        raise ConfigError(
            f"cannot write {path}: permission denied (run it with sudo; nothing was changed)"
        ) from None
    except OSError as exc:
        raise ConfigError(f"cannot write {path}: {exc.strerror} (nothing was changed)") from None


@click.group(cls=CommandGroup)
def hosts() -> None:
    """Map Microsoft's host names to this machine in /etc/hosts (for `up --as-microsoft`)."""


@hosts.command()
@_hosts_file_option
@click.option("--yes", "-y", is_flag=True, help="Do not ask before changing the file.")
@click.pass_context
def install(ctx: click.Context, hosts_file: Path, yes: bool) -> None:
    """Add a marked block mapping Entra's, Graph's and every tenant's ciamlogin.com names to
    127.0.0.1 (needs root for /etc/hosts)."""
    platform = platform_from(ctx)
    directory = platform.directory
    names = microsoft_names(
        d for t in directory.list_tenants() for d in directory.tenant_domains(t.id)
    )
    text = _read(hosts_file)
    changed = with_block(text, names, str(hosts_file))
    click.echo(f"adding to {hosts_file}:")
    for line in block_lines(names):
        click.echo(f"  {line}")
    if not yes and not click.confirm("change the file?", default=False):
        raise ConfigError(f"not confirmed: {hosts_file} was not changed")
    _write(hosts_file, changed)
    click.echo("done: these names now reach this machine; `tenantlab hosts remove` takes them out")


@hosts.command()
@_hosts_file_option
def remove(hosts_file: Path) -> None:
    """Take out the block `tenantlab hosts install` added, and nothing else."""
    text = _read(hosts_file)
    changed = without_block(text, str(hosts_file))
    _write(hosts_file, changed)
    click.echo(f"removed tenantlab's block from {hosts_file}")
