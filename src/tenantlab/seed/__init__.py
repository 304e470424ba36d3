"""The declarative tenant file (YAML or JSON): `tenantlab seed FILE`, `tenantlab serve --seed FILE`.

See docs/directory.md for the format and examples/contoso.yaml for a complete file.
"""

from __future__ import annotations

from pathlib import Path

from tenantlab.directory.audits import SEED_FILE, acting_as
from tenantlab.errors import TenantlabError
from tenantlab.platform import Platform
from tenantlab.seed.apply import IssuedSecret, SeedApplier, SeedReport
from tenantlab.seed.spec import SeedFileError, SeedSpec, load_seed_file, parse_seed


def apply_seed(
    platform: Platform, spec: SeedSpec, *, source: str = "the tenant file", dry_run: bool = False
) -> SeedReport:
    """Make the directory hold what the (validated) file describes; idempotent.

    One transaction: all of the file or, when any part fails, none of it (no tenant, app or
    secret file half made). A directory refusal becomes a SeedFileError naming the place in the
    file. `dry_run`: do everything, then roll back (`seed --check`: every reference is resolved
    exactly as applying would resolve it, in the file or in the database).
    """
    applier = SeedApplier(platform)
    try:
        with acting_as(SEED_FILE), platform.database.transaction(commit=not dry_run):
            for ti, tenant in enumerate(spec.tenants):
                applier.tenant(tenant, f"tenants[{ti}]")
    except SeedFileError:
        raise
    except TenantlabError as exc:
        raise SeedFileError(source, [(applier.at, exc.message)]) from None
    return applier.report


def apply_seed_file(platform: Platform, path: Path) -> SeedReport:
    return apply_seed(platform, load_seed_file(path), source=str(path))


__all__ = [
    "IssuedSecret",
    "SeedFileError",
    "SeedReport",
    "SeedSpec",
    "apply_seed",
    "apply_seed_file",
    "load_seed_file",
    "parse_seed",
]
