"""`tenantlab seed FILE`: apply a declarative tenant file (YAML or JSON), idempotently."""

from __future__ import annotations

from pathlib import Path

import click

from tenantlab.cli._common import json_option, platform_from, print_json
from tenantlab.graph.shapes import organization_json


@click.command()
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--check", is_flag=True, help="Only validate the file; change nothing.")
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
        click.echo(f"{file}: valid ({len(spec.tenants)} tenant(s))")
        return
    platform = platform_from(ctx)
    report = apply_seed(platform, spec)
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
