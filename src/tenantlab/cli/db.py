"""`tenantlab db upgrade`: the schema upgrade as its own step, before nodes start.

Every command upgrades the schema when it finds it behind (under the database's migration lock,
storage.migrating), so this is never required; a deployment runs it once, as a release step, so
that nodes start on a current schema and an upgrade that fails stops the release, not a node.
"""

from __future__ import annotations

import click

from tenantlab.cli._common import CommandGroup, json_option_saying, load_settings, print_json


@click.group(cls=CommandGroup)
def db() -> None:
    """The database's schema (upgrade it as a release step before nodes start)."""


@db.command("upgrade")
@click.option(
    "--todo",
    "with_todo",
    is_flag=True,
    help="Also the ToDo API's tables (TENANTLAB_TODO_DATABASE_URL; default: todo.db in the data "
    "folder).",
)
@json_option_saying("{value: [{database, revision}]}")
def upgrade(with_todo: bool, as_json: bool) -> None:
    """Upgrade the schema to this version's newest; nothing when it is there already."""
    from sqlalchemy import text

    from tenantlab.storage import Database, open_database, safe_url

    def revision(database: Database, table: str) -> str:
        with database.engine.connect() as connection:
            query = f"SELECT version_num FROM {table}"  # noqa: S608 - our constants
            return str(connection.execute(text(query)).scalar())

    settings = load_settings()
    rows = []
    database = open_database(settings.resolved_database_url)
    try:
        rows.append((settings.resolved_database_url, revision(database, "alembic_version")))
    finally:
        database.dispose()
    if with_todo:
        from tenantlab.todo.schema import VERSION_TABLE
        from tenantlab.todo.settings import TodoApiSettings
        from tenantlab.todo.store import open_todo_database

        url = TodoApiSettings().resolved_database_url
        database = open_todo_database(url)
        try:
            rows.append((url, revision(database, VERSION_TABLE)))
        finally:
            database.dispose()
    if as_json:
        print_json({"value": [{"database": safe_url(u), "revision": r} for u, r in rows]})
        return
    for url, rev in rows:
        click.echo(f"{safe_url(url)}: schema at revision {rev} (this version's newest)")


@db.command("public-url")
@click.argument("origin", required=False)
@json_option_saying("{publicUrl} (null when none is recorded yet)")
def public_url(origin: str | None, as_json: bool) -> None:
    """Show, or set, the one public origin every node of a shared database serves.

    Nodes refuse to start under another origin than the recorded one; to move them all (a new
    load balancer name), set it here, then restart every node with the new --public-url.
    """
    from tenantlab.platform import PUBLIC_ORIGIN_SETTING
    from tenantlab.storage import open_database
    from tenantlab.storage.installation import read_setting, replace_setting

    settings = load_settings(public_url=origin)
    database = open_database(settings.resolved_database_url)
    try:
        if origin is not None:
            replace_setting(database, PUBLIC_ORIGIN_SETTING, value=settings.origin)
        recorded = read_setting(database, PUBLIC_ORIGIN_SETTING)
    finally:
        database.dispose()
    value = recorded.value if recorded and recorded.value else None
    if as_json:
        print_json({"publicUrl": value})
        return
    click.echo(value or "(none recorded yet)")
