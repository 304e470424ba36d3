"""Each official sample's configuration file, as the sample ships it, read into settings."""

from __future__ import annotations

from pathlib import Path

import pytest

from tenantlab.daemon.errors import DaemonConfigError
from tenantlab.daemon.formats import (
    detect_format,
    parse_dotenv,
    parse_properties,
    read_config_file,
)


def values(layer: dict) -> dict:
    return {k: v.value for k, v in layer.items()}


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


def test_python_parameters_json_secret_variant(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "parameters.json",
        """{
  "authority": "https://login.microsoftonline.com/contoso.onmicrosoft.com",
  "oidc_authority": null,
  "client_id": "c1",
  "scope": ["https://graph.microsoft.com/.default"],
  "secret": "s3cret~value",
  "endpoint": "https://graph.microsoft.com/v1.0/users",
  "note": "free text"
}""",
    )
    layer = read_config_file(path)
    assert values(layer) == {
        "authority": "https://login.microsoftonline.com/contoso.onmicrosoft.com",
        "client_id": "c1",
        "graph_scope": "https://graph.microsoft.com/.default",
        "client_secret": "s3cret~value",
        "graph_endpoint": "https://graph.microsoft.com",
    }
    assert layer["client_secret"].origin == "secret in parameters.json"


def test_python_certificate_variant_resolves_the_key_beside_the_file(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "parameters.json",
        '{"authority": "https://localhost:5443/t1", "client_id": "c1", '
        '"scope": ["https://graph.microsoft.com/.default"], "thumbprint": "AB12", '
        '"private_key_file": "server.pem", "endpoint": "https://localhost:5443/v1.0/users"}',
    )
    got = values(read_config_file(path))
    assert got["private_key_file"] == tmp_path / "server.pem"
    assert got["thumbprint"] == "AB12"
    assert got["graph_endpoint"] == "https://localhost:5443"
    assert got["graph_scope"] == "https://graph.microsoft.com/.default"


def test_python_endpoint_that_is_not_graph_is_the_api(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "parameters.json",
        '{"client_id": "c", "scope": ["api://abc/.default"], '
        '"endpoint": "https://localhost:44351/api/todolist"}',
    )
    got = values(read_config_file(path))
    assert got["api_endpoint"] == "https://localhost:44351/api/todolist"
    assert got["api_scope"] == "api://abc/.default"
    assert "graph_endpoint" not in got


def test_node_console_env_as_shipped_with_inline_comments(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        ".env",
        "# Credentials\n"
        "TENANT_ID=t1\n"
        "CLIENT_ID=c1\n"
        "CLIENT_SECRET='quoted # not a comment'\n"
        "\n# Endpoints\n"
        "AAD_ENDPOINT=https://localhost:5443/ ## include the trailing slash\n"
        "GRAPH_ENDPOINT=https://localhost:5443/ ## include the trailing slash\n",
    )
    got = values(read_config_file(path))
    assert got == {
        "authority": "https://localhost:5443/t1",
        "client_id": "c1",
        "client_secret": "quoted # not a comment",
        "graph_endpoint": "https://localhost:5443",
    }


def test_node_env_without_trailing_slash_still_joins_authority(tmp_path: Path) -> None:
    path = write(
        tmp_path, "daemon.env", "AAD_ENDPOINT=https://login.microsoftonline.com\nTENANT_ID=t\n"
    )
    assert values(read_config_file(path))["authority"] == "https://login.microsoftonline.com/t"


def test_ciam_node_env_keys(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        ".env",
        "AUTHORITY=https://contoso.ciamlogin.com/\nCLIENT_ID=c\nCERT_THUMBPRINT=ab\n"
        "CERT_PRIVATE_KEY_FILE=key.pem\nAPI_ENDPOINT=https://localhost:44351/api/todolist\n"
        "SCOPES=api://api-id\nNODE_TLS_REJECT_UNAUTHORIZED='0'\n",
    )
    got = values(read_config_file(path))
    assert got == {
        "authority": "https://contoso.ciamlogin.com/",
        "client_id": "c",
        "thumbprint": "ab",
        "private_key_file": tmp_path / "key.pem",
        "api_endpoint": "https://localhost:44351/api/todolist",
        "api_scope": "api://api-id/.default",
    }


def test_ciam_node_env_scopes_with_default_is_the_samples_trap(tmp_path: Path) -> None:
    path = write(tmp_path, ".env", "CLIENT_ID=c\nSCOPES=api://api-id/.default\n")
    with pytest.raises(DaemonConfigError) as caught:
        read_config_file(path)
    assert "auth.js asks for `${SCOPES}/.default`" in caught.value.message
    assert "write SCOPES=api://<API application id>" in caught.value.message


def test_java_properties_secret_and_certificate(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "application.properties",
        "# comment\n! also a comment\nAUTHORITY=https://login.microsoftonline.com/Tenant_Info_Here/\n"
        "CLIENT_ID=\nSECRET=\nSCOPE=https://graph.microsoft.com/.default\n"
        "KEY_PATH=key.der\nCERT_PATH : cert.crt\n",
    )
    got = values(read_config_file(path))
    assert got["authority"] == "https://login.microsoftonline.com/Tenant_Info_Here/"
    assert got["client_id"] == ""
    assert got["private_key_file"] == tmp_path / "key.der"
    assert got["certificate_file"] == tmp_path / "cert.crt"
    assert got["graph_scope"] == "https://graph.microsoft.com/.default"


def test_properties_parser_joins_continuation_lines() -> None:
    assert parse_properties("A=one \\\n  two\nB: x\n") == {"A": "one two", "B": "x"}


def test_dotnet_appsettings_with_comments_and_downstream_api(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "appsettings.json",
        """{
  // External ID tenant
  "AzureAd": {
    "Authority": "https://contoso.ciamlogin.com/",
    "ClientId": "c1",
    /* the first usable entry wins */
    "ClientCredentials": [
      {"SourceType": "StoreWithDistinguishedName", "CertificateStorePath": "x"},
      {"SourceType": "ClientSecret", "ClientSecret": "v//not-a-comment"}
    ]
  },
  "DownstreamApi": {
    "BaseUrl": "https://localhost:44351/",
    "RelativePath": "/api/todolist",
    "RequestAppToken": true,
    "Scopes": ["api://api-id/.default"]
  }
}""",
    )
    got = values(read_config_file(path))
    assert got == {
        "authority": "https://contoso.ciamlogin.com/",
        "client_id": "c1",
        "client_secret": "v//not-a-comment",
        "api_endpoint": "https://localhost:44351/api/todolist",
        "api_scope": "api://api-id/.default",
    }


def test_dotnet_instance_and_tenant_and_pfx(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "appsettings.json",
        '{"azuread": {"Instance": "https://localhost:5443/", "TenantId": "t1", "ClientId": "c",'
        ' "ClientObjectId": "o1", "ClientCredentials": [{"SourceType": "Path",'
        ' "CertificateDiskPath": "app.pfx", "CertificatePassword": "pw"}]},'
        ' "MicrosoftGraph": {"BaseUrl": "https://localhost:5443/v1.0"}}',
    )
    got = values(read_config_file(path))
    assert got["authority"] == "https://localhost:5443/t1"
    assert got["pfx_file"] == tmp_path / "app.pfx"
    assert got["private_key_passphrase"] == "pw"
    assert got["app_object_id"] == "o1"
    assert got["graph_endpoint"] == "https://localhost:5443"


def test_dotnet_only_unusable_credentials_is_a_clear_error(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "appsettings.json",
        '{"AzureAd": {"ClientCredentials": [{"SourceType": "KeyVault"}]}}',
    )
    with pytest.raises(DaemonConfigError, match="has only KeyVault: this daemon can use"):
        read_config_file(path)


@pytest.mark.parametrize(
    ("name", "text", "expected"),
    [
        ("application.properties", "", "java"),
        (".env", "", "node"),
        ("prod.env", "", "node"),
        ("parameters.json", "{}", "python"),
        ("appsettings.json", '{"AzureAd": {}}', "dotnet"),
        ("whatever.json", '{"client_id": "x"}', "python"),
    ],
)
def test_format_detection(name: str, text: str, expected: str) -> None:
    assert detect_format(Path(name), text) == expected


def test_unknown_file_kind_asks_for_config_format(tmp_path: Path) -> None:
    path = write(tmp_path, "daemon.yaml", "a: b")
    with pytest.raises(DaemonConfigError, match="use --config-format"):
        read_config_file(path)


def test_broken_json_and_missing_file_are_one_line_errors(tmp_path: Path) -> None:
    with pytest.raises(DaemonConfigError, match="is not valid JSON"):
        read_config_file(write(tmp_path, "parameters.json", "{nope"), "python")
    with pytest.raises(DaemonConfigError, match="not found"):
        read_config_file(tmp_path / "absent.json")


def test_dotenv_parser_handles_export_and_double_quotes() -> None:
    assert parse_dotenv('export A="x y"\nB = 2 # c\n#C=3\nnot a line\n') == {"A": "x y", "B": "2"}
