"""The directory under test, on SQLite and (marked `postgres`) on PostgreSQL."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator

import pytest

from pgcluster import TEST_KEY_ENCRYPTION_KEY
from tenantlab.clock import FixedClock
from tenantlab.config import PlatformSettings
from tenantlab.directory import Directory
from tenantlab.platform import Platform
from tenantlab.storage.schema import Tenant


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def platform(
    request: pytest.FixtureRequest, settings: PlatformSettings, clock: FixedClock
) -> Iterator[Platform]:
    if request.param == "postgres":
        url = request.getfixturevalue("postgres_url")
        settings = dataclasses.replace(
            settings, database_url=url, key_encryption_key=TEST_KEY_ENCRYPTION_KEY
        )
    p = Platform.open(settings, clock)
    yield p
    p.close()


@pytest.fixture
def directory(platform: Platform) -> Directory:
    return platform.directory


@pytest.fixture
def contoso(directory: Directory) -> Tenant:
    return directory.create_tenant(display_name="Contoso", domain="contoso")
