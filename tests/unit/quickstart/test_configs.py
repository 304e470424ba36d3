"""The official samples' configs: each sample's keys, read back by the daemon's own readers."""

from __future__ import annotations

import json
import stat
from pathlib import Path

import pytest

from tenantlab.daemon import Certificate, ClientSecret
from tenantlab.daemon.formats import parse_dotenv, parse_properties
from tenantlab.errors import ConfigError
from tenantlab.platform import Platform
from tenantlab.quickstart import Endpoints, Provisioned, SampleConfigs, provision
from tenantlab.quickstart import write_sample_configs as write
from tenantlab.quickstart.panel import panel_lines
from tenantlab.quickstart.steps import daemon_settings
from tenantlab.todo import load_settings as todo_settings

CLOUD = "https://localhost:5443"


@pytest.fixture
def provisioned(platform: Platform) -> Provisioned:
    return provision(platform)


@pytest.fixture
def endpoints(tmp_path: Path) -> Endpoints:
    bundle = tmp_path / "ca-bundle.pem"
    bundle.write_text("-----BEGIN CERTIFICATE-----\n")
    return Endpoints(cloud=CLOUD, todo="https://localhost:44351", ca_bundle=bundle)


@pytest.fixture
def configs(tmp_path: Path, provisioned: Provisioned, endpoints: Endpoints) -> SampleConfigs:
    return write(tmp_path / "quickstart", provisioned, endpoints)


def test_python_secret_sample(configs: SampleConfigs, provisioned: Provisioned) -> None:
    data = json.loads(configs.python.read_text())
    assert data["authority"] is None  # the sample refuses both authorities set
    assert data["scope"] == ["https://graph.microsoft.com/.default"]
    s = daemon_settings(configs.python, Path(configs.folder.parent / "ca-bundle.pem"))
    assert s.oidc_authority == f"{CLOUD}/{provisioned.workforce.id}/v2.0"
    assert s.client_id == provisioned.workforce_daemon.app_id
    assert s.credential == ClientSecret(provisioned.workforce_secret)
    assert s.graph_endpoint == CLOUD


def test_python_certificate_sample(configs: SampleConfigs, provisioned: Provisioned) -> None:
    s = daemon_settings(configs.python_certificate, configs.folder.parent / "ca-bundle.pem")
    assert s.authority == f"{CLOUD}/woodgrove.onmicrosoft.com"
    assert s.client_id == provisioned.ciam_daemon.app_id
    assert isinstance(s.credential, Certificate)
    assert s.credential.thumbprint == provisioned.certificate.thumbprint
    assert s.credential.private_key_file == provisioned.certificate.private_key


def test_node_console_and_ciam_env(configs: SampleConfigs, provisioned: Provisioned) -> None:
    env = parse_dotenv(configs.node.read_text())
    assert set(env) == {"TENANT_ID", "CLIENT_ID", "CLIENT_SECRET", "AAD_ENDPOINT", "GRAPH_ENDPOINT"}
    assert env["AAD_ENDPOINT"] == env["GRAPH_ENDPOINT"] == f"{CLOUD}/"
    bundle = configs.folder.parent / "ca-bundle.pem"
    assert daemon_settings(configs.node, bundle).authority == f"{CLOUD}/{provisioned.workforce.id}"
    ciam = daemon_settings(configs.node_ciam, bundle)
    assert ciam.api_endpoint == "https://localhost:44351/api/todolist"
    assert ciam.api_scope == f"api://{provisioned.todo_api.app_id}/.default"
    assert ciam.credential == ClientSecret(provisioned.ciam_secret)


def test_java_properties(configs: SampleConfigs, provisioned: Provisioned) -> None:
    props = parse_properties(configs.java.read_text())
    assert props["AUTHORITY"] == f"{CLOUD}/{provisioned.workforce.id}/"
    assert props["SCOPE"] == "https://graph.microsoft.com/.default"
    s = daemon_settings(configs.java, configs.folder.parent / "ca-bundle.pem")
    assert (s.client_id, s.graph_endpoint) == (provisioned.workforce_daemon.app_id, CLOUD)


def test_dotnet_client_and_api(configs: SampleConfigs, provisioned: Provisioned) -> None:
    client = json.loads(configs.dotnet_client.read_text())
    assert client["AzureAd"]["Authority"] == f"{CLOUD}/woodgrove.onmicrosoft.com/"
    assert client["DownstreamApi"]["RequestAppToken"] is True
    s = daemon_settings(configs.dotnet_client, configs.folder.parent / "ca-bundle.pem")
    assert s.api_endpoint == "https://localhost:44351/api/todolist"
    assert s.credential == ClientSecret(provisioned.ciam_secret)

    api = todo_settings(configs.dotnet_api)
    assert (api.instance, api.tenant_id, api.client_id) == (
        CLOUD,
        provisioned.external.id,
        provisioned.todo_api.app_id,
    )
    assert api.read_app_permissions == ["ToDoList.Read.All", "ToDoList.ReadWrite.All"]
    assert api.write_scopes == ["ToDoList.ReadWrite"]


def test_files_with_secrets_are_owner_only(configs: SampleConfigs) -> None:
    assert stat.S_IMODE(configs.folder.stat().st_mode) == 0o700
    for path in [*configs.daemon_configs(), configs.dotnet_api]:
        assert stat.S_IMODE(path.stat().st_mode) == 0o600, path


def test_env_sh_and_panel_show_no_secret(
    configs: SampleConfigs, provisioned: Provisioned, endpoints: Endpoints
) -> None:
    env = configs.env_sh.read_text()
    for name in ("REQUESTS_CA_BUNDLE", "SSL_CERT_FILE", "NODE_EXTRA_CA_CERTS"):
        assert f"export {name}={endpoints.ca_bundle}" in env
    panel = "\n".join(panel_lines(provisioned, endpoints, configs, stop_hint=True))
    assert provisioned.external.id in panel
    assert provisioned.ciam_daemon.app_id in panel
    assert "source " + str(configs.env_sh) in panel
    assert "as admin: the password printed at first start" in panel
    assert "`tenantlab portal password` sets a new one" in panel
    for secret in (provisioned.workforce_secret, provisioned.ciam_secret):
        assert secret not in env
        assert secret not in panel
        assert secret not in repr(provisioned)


def test_writing_again_overwrites_in_place(
    tmp_path: Path, provisioned: Provisioned, endpoints: Endpoints
) -> None:
    first = write(tmp_path / "out", provisioned, endpoints)
    first.python.write_text("{}")
    second = write(tmp_path / "out", provisioned, endpoints)
    assert json.loads(second.python.read_text())["client_id"] == provisioned.workforce_daemon.app_id


def test_an_unusable_folder_is_one_clear_error(
    tmp_path: Path, provisioned: Provisioned, endpoints: Endpoints
) -> None:
    taken = tmp_path / "a-file"
    taken.write_text("not a folder")
    with pytest.raises(ConfigError, match=r"cannot write the samples' configs to .*a-file"):
        write(taken, provisioned, endpoints)


def test_as_microsoft_configs_are_the_ones_azure_takes(
    tmp_path: Path, provisioned: Provisioned, endpoints: Endpoints
) -> None:
    microsoft = Endpoints(
        cloud="https://login.microsoftonline.com",
        todo="https://localhost:44351",
        ca_bundle=endpoints.ca_bundle,
    )
    configs = write(tmp_path / "as-microsoft", provisioned, microsoft)
    python = json.loads(configs.python.read_text())
    assert python["authority"] == f"https://login.microsoftonline.com/{provisioned.workforce.id}"
    assert python["oidc_authority"] is None
    assert python["endpoint"] == "https://graph.microsoft.com/v1.0/users"
    certificate = json.loads(configs.python_certificate.read_text())
    assert certificate["authority"] == "https://woodgrove.ciamlogin.com"
    node = parse_dotenv(configs.node.read_text())
    assert node["AAD_ENDPOINT"] == "https://login.microsoftonline.com/"
    assert node["GRAPH_ENDPOINT"] == "https://graph.microsoft.com/"
    ciam = parse_dotenv(configs.node_ciam.read_text())
    assert ciam["AUTHORITY"] == "https://woodgrove.ciamlogin.com/"


def test_ciam_node_scopes_is_the_app_id_uri_the_sample_appends_default_to(
    configs: SampleConfigs, provisioned: Provisioned
) -> None:
    ciam = parse_dotenv(configs.node_ciam.read_text())
    assert ciam["SCOPES"] == f"api://{provisioned.todo_api.app_id}"
    # What auth.js sends: `${SCOPES}/.default`; the daemon reads the file the same way.
    sent = f"{ciam['SCOPES']}/.default"
    s = daemon_settings(configs.node_ciam, configs.folder.parent / "ca-bundle.pem")
    assert s.api_scope == sent == f"api://{provisioned.todo_api.app_id}/.default"
