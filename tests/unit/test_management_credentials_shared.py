"""A tenant's management-app credentials: sealed in the database, shown by any node."""

from __future__ import annotations

from pathlib import Path

from pgcluster import TEST_KEY_ENCRYPTION_KEY
from tenantlab.bootstrap import credentials_path, read_management_credentials
from tenantlab.clock import FixedClock
from tenantlab.config import PlatformSettings
from tenantlab.platform import Platform


def test_another_node_reads_the_credentials_from_the_database(
    tmp_path: Path, clock: FixedClock
) -> None:
    url = f"sqlite:///{tmp_path / 'shared.db'}"  # one database, two data folders
    nodes = [
        Platform.open(
            PlatformSettings(
                home=tmp_path / name, database_url=url, key_encryption_key=TEST_KEY_ENCRYPTION_KEY
            ),
            clock,
        )
        for name in ("a", "b")
    ]
    a, b = nodes
    try:
        tenant = a.directory.create_tenant(display_name="Contoso", domain="contoso")
        made = read_management_credentials(a.settings, tenant.id)
        assert made is not None
        assert not credentials_path(b.settings, tenant.id).exists()
        assert read_management_credentials(b.settings, tenant.id) is None  # no file on b
        seen = read_management_credentials(
            b.settings, tenant.id, database=b.database, sealer=b.secrets
        )
        assert seen == made
        [credential] = b.directory.password_credentials(made.objectId)
        assert b.directory.secret_matches(credential, made.clientSecret)  # the shared pepper
    finally:
        for node in nodes:
            node.close()
    assert made.clientSecret.encode() not in (tmp_path / "shared.db").read_bytes()
