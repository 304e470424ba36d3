"""The declarative tenant file (YAML or JSON): `tenantlab seed FILE`, `tenantlab serve --seed FILE`.

See docs/directory.md for the format and examples/contoso.yaml for a complete file.
"""

from __future__ import annotations

from pathlib import Path

from tenantlab.platform import Platform
from tenantlab.seed.apply import IssuedSecret, SeedApplier, SeedReport
from tenantlab.seed.spec import SeedFileError, SeedSpec, load_seed_file, parse_seed


def apply_seed(platform: Platform, spec: SeedSpec) -> SeedReport:
    """Make the directory hold what the (validated) file describes; idempotent."""
    applier = SeedApplier(platform)
    for tenant in spec.tenants:
        applier.tenant(tenant)
    return applier.report


def apply_seed_file(platform: Platform, path: Path) -> SeedReport:
    return apply_seed(platform, load_seed_file(path))


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
