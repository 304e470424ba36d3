"""Fixtures for apiauth unit tests: keys, the fake authority, a validator on a fixed clock."""

from __future__ import annotations

import pytest

from tenantlab.apiauth import TokenValidator
from tenantlab.clock import FixedClock
from tenantlab.keys import SigningKeyMaterial, generate_signing_key

from .fakes import NOW, FakeAuthority, make_validator


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture(scope="session")
def good_key() -> SigningKeyMaterial:
    return generate_signing_key()


@pytest.fixture(scope="session")
def evil_key() -> SigningKeyMaterial:
    return generate_signing_key()


@pytest.fixture
def authority(good_key: SigningKeyMaterial) -> FakeAuthority:
    return FakeAuthority(keys=[good_key.jwk("https://login.test/{tenantid}/v2.0")])


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(NOW)


@pytest.fixture
def validator(authority: FakeAuthority, clock: FixedClock) -> TokenValidator:
    return make_validator(authority, clock)
