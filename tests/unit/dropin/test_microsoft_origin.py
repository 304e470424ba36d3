"""As login.microsoftonline.com, tenantlab's issuers and hosts are Entra's and Graph's exactly."""

from __future__ import annotations

from pathlib import Path

from tenantlab.config import PlatformSettings
from tenantlab.sts.discovery import openid_configuration_v1, openid_configuration_v2
from tenantlab.sts.urls import Endpoints

TID = "8eaef023-2b34-4da1-9baa-8bc8c9d6a490"
MICROSOFT = Endpoints("https://login.microsoftonline.com")


def test_v1_issuer_is_sts_windows_net_and_v2_is_login_microsoftonline_com() -> None:
    assert MICROSOFT.issuer_v1(TID) == f"https://sts.windows.net/{TID}/"
    assert MICROSOFT.issuer_v2(TID) == f"https://login.microsoftonline.com/{TID}/v2.0"
    assert openid_configuration_v1(MICROSOFT, TID)["issuer"] == f"https://sts.windows.net/{TID}/"


def test_discovery_names_graph_by_its_own_host() -> None:
    doc = openid_configuration_v2(MICROSOFT, TID)
    assert doc["msgraph_host"] == "graph.microsoft.com"
    assert doc["token_endpoint"] == f"https://login.microsoftonline.com/{TID}/oauth2/v2.0/token"


def test_only_a_local_origin_stands_for_graph() -> None:
    """As Microsoft, Graph has its own host: the login origin names no resource, as in Entra."""
    assert not MICROSOFT.names_graph("https://login.microsoftonline.com")
    assert not MICROSOFT.names_graph("https://login.microsoftonline.com/")
    local = Endpoints("https://localhost:5443")
    assert local.names_graph("https://localhost:5443/")
    assert local.names_graph("HTTPS://LOCALHOST:5443")
    assert not local.names_graph("https://localhost:5444")


def test_any_other_origin_keeps_its_own_v1_issuer() -> None:
    local = Endpoints("https://localhost:5443")
    assert local.issuer_v1(TID) == f"https://localhost:5443/{TID}/"
    assert local.graph_host == "localhost:5443"
    # Entra's host on another port is not Entra: its issuers stay ours.
    assert (
        Endpoints("https://login.microsoftonline.com:8443")
        .issuer_v1(TID)
        .startswith("https://login.microsoftonline.com:8443/")
    )


def test_settings_as_microsoft_serve_graph_as_graph_microsoft_com(tmp_path: Path) -> None:
    settings = PlatformSettings(home=tmp_path, public_url="https://login.microsoftonline.com/")
    assert settings.as_microsoft
    assert settings.graph_origin == "https://graph.microsoft.com"
    assert settings.v1_issuer_origin == "https://sts.windows.net"
    local = PlatformSettings(home=tmp_path, port=5443)
    assert not local.as_microsoft
    assert local.graph_origin == local.v1_issuer_origin == "https://localhost:5443"
