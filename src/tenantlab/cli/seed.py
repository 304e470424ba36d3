"""`tenantlab seed FILE`: apply a declarative tenant file (YAML or JSON), idempotently."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path
from tempfile import TemporaryDirectory
from typing import TYPE_CHECKING

import click

from tenantlab.cli._common import json_option, load_settings, platform_from, print_json
from tenantlab.graph.shapes import organization_json

if TYPE_CHECKING:
    from tenantlab.platform import Platform


@click.command()
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option(
    "--check",
    is_flag=True,
    help="Only validate the file, every reference included (in the file or the database); "
    "change nothing.",
)
@json_option
@click.pass_context
def seed(ctx: click.Context, file: Path, check: bool, as_json: bool) -> None:
    """Create or update the tenants, apps, secrets, grants and users FILE describes.

    Applying the same file twice changes nothing. New generated secrets are printed once and
    kept in TENANTLAB_HOME/secrets/{appId}.json (owner-only).
    """
    from tenantlab.seed import apply_seed, load_seed_file

    spec = load_seed_file(file)
    if check:
        with _platform_to_check(ctx) as platform:
            apply_seed(platform, spec, source=str(file), dry_run=True)
        click.echo(f"{file}: valid ({len(spec.tenants)} tenant(s)); every reference resolves")
        return
    platform = platform_from(ctx)
    report = apply_seed(platform, spec, source=str(file))
    if as_json:
        directory = platform.directory
        print_json(
            {
                "changes": report.changes,
                "tenants": [
                    organization_json(t, directory.tenant_domains(t.id)) for t in report.tenants
                ],
                "secrets": [
                    {
                        "tenantId": s.tenant_id,
                        "appId": s.app_id,
                        "appDisplayName": s.app_display_name,
                        "keyId": s.key_id,
                        "displayName": s.display_name,
                        "endDateTime": s.end_date_time,
                        "secretText": s.secret_text,
                    }
                    for s in report.secrets
                ],
            }
        )
        return
    for line in report.summary_lines():
        click.echo(line)


@contextmanager
def _platform_to_check(ctx: click.Context) -> Iterator[Platform]:
    """The directory a file is checked against (in a transaction that is rolled back): the data
    folder's, or, when it has no database yet, an empty one in memory (a check creates nothing)."""
    settings = load_settings()
    own_file = settings.home / "tenantlab.db"
    if settings.database_url is None and not own_file.exists():
        from tenantlab.platform import Platform

        with TemporaryDirectory(prefix="tenantlab-check-") as scratch:
            empty = replace(settings, home=Path(scratch), database_url="sqlite://")
            platform = Platform.open(empty)
            try:
                yield platform
            finally:
                platform.close()
        return
    yield platform_from(ctx)
