"""`tenantlab portal password`: a new password for the admin center's local administrator."""

from __future__ import annotations

import os

import click

from tenantlab.cli._common import CommandGroup, load_settings, print_json
from tenantlab.config import PlatformSettings, ensure_private_dir

PASSWORD_VARIABLE = "TENANTLAB_PORTAL_PASSWORD"
RESET_HINT = "`tenantlab portal password` sets a new one"


def _administrator_exists(settings: PlatformSettings) -> bool:
    """Whether the installation has its administrator yet (a hint: never creates a database)."""
    from tenantlab.errors import TenantlabError
    from tenantlab.portal.admin import LocalAdministrator

    if not settings.shared_database and not (settings.home / "tenantlab.db").exists():
        return False
    try:
        return LocalAdministrator(settings.home).exists()
    except TenantlabError:
        return False


def sign_in_hint(settings: PlatformSettings) -> str:
    """How to sign in to the admin center, never the password itself."""
    from tenantlab.portal.admin import DEFAULT_USERNAME

    if os.environ.get(PASSWORD_VARIABLE):
        return f"sign in as {DEFAULT_USERNAME} with the password in {PASSWORD_VARIABLE}"
    if _administrator_exists(settings):
        return (
            f"sign in as {DEFAULT_USERNAME} with the password printed at first start; "
            f"forgot it? {RESET_HINT}"
        )
    return (
        f"the first server start creates the user {DEFAULT_USERNAME} and prints its password once "
        f"(or set {PASSWORD_VARIABLE})"
    )


@click.group(cls=CommandGroup)
def portal() -> None:
    """The admin center (/portal of the cloud origin): its local administrator."""


@portal.command("password")
@click.option("--json", "as_json", is_flag=True, help="Print {userName, password} as JSON.")
def password(as_json: bool) -> None:
    """Give the administrator a new generated password and print it (shown this once).

    Every signed-in session ends; a running server accepts the new password at once.
    """
    from tenantlab.portal.admin import LocalAdministrator, generate_password

    settings = load_settings()
    ensure_private_dir(settings.home)
    admin = LocalAdministrator(settings.home)  # the database the settings name
    username = admin.username
    new_password = generate_password()
    admin.set_password(new_password, username=username)
    if as_json:
        print_json({"userName": username, "password": new_password})
    else:
        click.echo(new_password)
        click.echo(
            f"(the admin center's password for {username}; shown only now, "
            "and every session was signed out)",
            err=True,
        )
    if os.environ.get(PASSWORD_VARIABLE):
        click.echo(
            f"note: {PASSWORD_VARIABLE} is set: the next server start sets the password back to it",
            err=True,
        )
