"""`tenantlab run -- COMMAND`: COMMAND against tenantlab under Microsoft's own host names."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from tenantlab.cli._common import CommandFailed, load_settings
from tenantlab.config import DEFAULT_TODO_PORT


class NotFoundFailed(CommandFailed):
    """COMMAND is not a program: exit 127, as a shell."""

    exit_code = 127


class NotExecutableFailed(CommandFailed):
    """COMMAND cannot be run: exit 126, as a shell."""

    exit_code = 126


@click.command(context_settings={"ignore_unknown_options": True, "allow_interspersed_args": False})
@click.option(
    "--seed",
    "seed_file",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="Apply a tenant file (YAML or JSON) first; idempotent.",
)
@click.option(
    "--quickstart",
    is_flag=True,
    help="Provision the quickstart's tenants (idempotent), serve its ToDo API and write the "
    "samples' configs (DATA_FOLDER/quickstart-as-microsoft).",
)
@click.option(
    "--todo-port",
    type=click.IntRange(1, 65535),
    default=DEFAULT_TODO_PORT,
    show_default=True,
    help="The ToDo API's port inside the namespace (with --quickstart).",
)
@click.option(
    "--managed-identity",
    "identity_host",
    metavar="HOST",
    help="COMMAND runs on HOST: the instance metadata service at 169.254.169.254 answers with "
    "HOST's managed identities, and IDENTITY_ENDPOINT/IDENTITY_HEADER are set (App Service).",
)
@click.option(
    "--identity-endpoint",
    type=click.Choice(["app-service", "imds"]),
    default="app-service",
    show_default=True,
    help="With --managed-identity: imds sets no variable (the SDKs find 169.254.169.254 "
    "themselves, as on a VM).",
)
@click.option(
    "--managed-identity-tenant",
    "identity_tenant",
    metavar="TENANT",
    help="The tenant of HOST, when hosts of that name have identities in several tenants.",
)
@click.argument("command", nargs=-1, type=click.UNPROCESSED)
def run(
    seed_file: Path | None,
    quickstart: bool,
    todo_port: int,
    identity_host: str | None,
    identity_endpoint: str,
    identity_tenant: str | None,
    command: tuple[str, ...],
) -> None:
    """Run COMMAND with login.microsoftonline.com, graph.microsoft.com (and the other Entra
    names) served by tenantlab, in private namespaces with only loopback: offline by design.

    The local CA is trusted through the environment (Python, Node, .NET, Java, Go, curl).
    COMMAND's exit code, stdout and stderr are tenantlab run's. Example:

        tenantlab run --quickstart -- python confidential_client_secret_sample.py parameters.json
    """
    from tenantlab.dropin.session import (
        CommandNotExecutable,
        CommandNotFound,
        RunOptions,
        run_command,
    )

    settings = load_settings()
    extensions = []
    if identity_host is not None:
        from tenantlab.dropin.managed_identity import ManagedIdentityHost

        extensions.append(ManagedIdentityHost(identity_host, identity_endpoint, identity_tenant))
    options = RunOptions(
        command=command,
        seed_file=seed_file,
        quickstart=quickstart,
        todo_port=todo_port,
        extensions=extensions,
    )
    try:
        code = run_command(settings, options)
    except CommandNotFound as exc:
        raise NotFoundFailed(exc.message) from None
    except CommandNotExecutable as exc:
        raise NotExecutableFailed(exc.message) from None
    sys.exit(code)
