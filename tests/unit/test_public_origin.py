"""The public origin is https: every issuer, endpoint and Graph's own authority derive from it.

An http origin used to be accepted and then stopped the cloud app at start with apiauth's
"the authority instance must be an https URL" (Graph builds its validator from the origin), a
message that names nothing the user set. It is now refused where it is set, saying the fix.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tenantlab.cli._common import load_settings
from tenantlab.clock import FixedClock
from tenantlab.config import PlatformSettings
from tenantlab.errors import ConfigError
from tenantlab.graph.auth import GraphAuthenticator
from tenantlab.platform import Platform


@pytest.mark.parametrize(
    "url", ["http://127.0.0.1:18090", "HTTP://localhost:5443/", "localhost:5443", "https://"]
)
def test_a_public_url_that_is_not_an_https_origin_is_one_clear_setting_error(
    tmp_path: Path, url: str
) -> None:
    with pytest.raises(ConfigError) as refused:
        load_settings(home=tmp_path, public_url=url)
    message = refused.value.message
    assert message.startswith("invalid setting public_url (TENANTLAB_PUBLIC_URL)")
    assert "must be an https:// origin" in message
    assert "--http" in message  # the fix behind a TLS-terminating proxy
    assert "\n" not in message


def test_an_http_public_url_from_the_environment_is_refused_too(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TENANTLAB_PUBLIC_URL", "http://localhost:5443")
    with pytest.raises(ConfigError, match="https:// origin"):
        load_settings(home=tmp_path)


@pytest.mark.parametrize(
    "url",
    ["https://127.0.0.1:18090", "https://login.microsoftonline.com/", "HTTPS://Proxy.example"],
)
def test_graph_builds_its_validator_on_any_https_origin(
    tmp_path: Path, clock: FixedClock, url: str
) -> None:
    platform = Platform.open(PlatformSettings(home=tmp_path, public_url=url), clock=clock)
    try:
        authenticator = GraphAuthenticator(platform)
        assert authenticator.bearer.validator.settings.instance == platform.settings.origin
    finally:
        platform.close()
