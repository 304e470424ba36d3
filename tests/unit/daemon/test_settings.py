"""One precedence (flags > TENANTLAB_DAEMON_* > config file) and the samples' traps, each with
a one-line message that names the setting's origin and the fix."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tenantlab.daemon.errors import DaemonConfigError
from tenantlab.daemon.settings import (
    Certificate,
    ClientSecret,
    FederatedTokenFile,
    load_settings,
)
from tenantlab.daemon.sources import Layer, Sourced

SECRET = "abc8Q~0123456789abcdefghijklmnopqrstuvwx"


def python_config(tmp_path: Path, **changes: object) -> Path:
    data: dict[str, object] = {
        "authority": "https://localhost:5443/t1",
        "oidc_authority": None,
        "client_id": "file-client",
        "scope": ["https://graph.microsoft.com/.default"],
        "secret": SECRET,
        "endpoint": "https://localhost:5443/v1.0/users",
    }
    data.update(changes)
    path = tmp_path / "parameters.json"
    path.write_text(json.dumps(data))
    return path


def flags(**values: str) -> Layer:
    return {k: Sourced(v, "--" + k.replace("_", "-")) for k, v in values.items()}


def test_file_alone_gives_usable_settings(tmp_path: Path) -> None:
    s = load_settings({}, {}, config_file=python_config(tmp_path))
    assert s.client_id == "file-client"
    assert s.credential == ClientSecret(SECRET)
    assert s.authority == "https://localhost:5443/t1"
    assert s.graph_endpoint == "https://localhost:5443"
    assert s.graph_scope == "https://graph.microsoft.com/.default"
    assert s.tenant == "t1"


def test_precedence_flags_over_env_over_file(tmp_path: Path) -> None:
    config = python_config(tmp_path)
    env = {"TENANTLAB_DAEMON_CLIENT_ID": "env-client", "TENANTLAB_DAEMON_TIMEOUT": "7"}
    s = load_settings({}, env, config_file=config)
    assert (s.client_id, s.timeout) == ("env-client", 7.0)
    s = load_settings(flags(client_id="flag-client"), env, config_file=config)
    assert (s.client_id, s.timeout) == ("flag-client", 7.0)
    assert s.origins["client_id"] == "--client-id"


def test_config_file_can_come_from_the_environment(tmp_path: Path) -> None:
    env = {"TENANTLAB_DAEMON_CONFIG": str(python_config(tmp_path))}
    assert load_settings({}, env).client_id == "file-client"


def test_credential_is_taken_whole_from_the_most_important_source(tmp_path: Path) -> None:
    token = tmp_path / "token.jwt"
    token.write_text("a.b.c")
    env = {"AZURE_FEDERATED_TOKEN_FILE": str(token)}
    s = load_settings({}, env, config_file=python_config(tmp_path))
    assert s.credential == FederatedTokenFile(token)


def test_authority_is_taken_whole_so_a_flag_fixes_the_python_trap(tmp_path: Path) -> None:
    config = python_config(tmp_path, oidc_authority="https://login.contoso.com/t1/v2.0")
    s = load_settings(flags(authority="https://localhost:5443/t2"), {}, config_file=config)
    assert (s.authority, s.oidc_authority) == ("https://localhost:5443/t2", None)


def test_both_authority_and_oidc_authority_set(tmp_path: Path) -> None:
    config = python_config(tmp_path, oidc_authority="https://login.contoso.com/t1/v2.0")
    with pytest.raises(DaemonConfigError) as caught:
        load_settings({}, {}, config_file=config)
    assert str(caught.value) == (
        "both authority in parameters.json and oidc_authority in parameters.json are set: "
        "keep one and set the other to null (oidc_authority is only for External ID with a "
        "custom domain)"
    )


def test_oidc_authority_alone_is_used(tmp_path: Path) -> None:
    config = python_config(tmp_path, authority=None, oidc_authority="https://id.contoso.com/t/v2.0")
    s = load_settings({}, {}, config_file=config)
    assert s.oidc_authority == "https://id.contoso.com/t/v2.0"
    assert s.authority_url == "https://id.contoso.com/t/v2.0"


@pytest.mark.parametrize(
    ("key", "value", "message"),
    [
        (
            "client_id",
            "Enter_the_Application_Id_Here",
            "client_id in parameters.json still holds the sample placeholder "
            "'Enter_the_Application_Id_Here': put the app registration's Application (client) ID",
        ),
        (
            "authority",
            "https://login.microsoftonline.com/Enter_the_Tenant_Name_Here",
            "authority in parameters.json still holds the sample placeholder "
            "'Enter_the_Tenant_Name_Here': put https://login.microsoftonline.com/<tenant id>",
        ),
        (
            "secret",
            "Enter_the_Client_Secret_Here",
            "secret in parameters.json still holds the sample placeholder "
            "'Enter_the_Client_Secret_Here': put the secret's Value",
        ),
    ],
)
def test_placeholders_left_in(tmp_path: Path, key: str, value: str, message: str) -> None:
    with pytest.raises(DaemonConfigError) as caught:
        load_settings({}, {}, config_file=python_config(tmp_path, **{key: value}))
    assert str(caught.value).startswith(message)


def test_java_placeholder_in_authority(tmp_path: Path) -> None:
    path = tmp_path / "application.properties"
    path.write_text(
        "AUTHORITY=https://login.microsoftonline.com/Tenant_Info_Here/\nCLIENT_ID=c\nSECRET=x~y\n"
    )
    with pytest.raises(
        DaemonConfigError, match=r"AUTHORITY in application\.properties still holds"
    ):
        load_settings({}, {}, config_file=path)


def test_empty_java_client_id_says_which_key(tmp_path: Path) -> None:
    path = tmp_path / "application.properties"
    path.write_text("AUTHORITY=https://localhost:5443/t/\nCLIENT_ID=\nSECRET=x~y\n")
    with pytest.raises(DaemonConfigError, match=r"^CLIENT_ID in application\.properties is empty"):
        load_settings({}, {}, config_file=path)


def test_secret_id_instead_of_value(tmp_path: Path) -> None:
    config = python_config(tmp_path, secret="0f8fad5b-d9cb-469f-a165-70867728950e")
    with pytest.raises(DaemonConfigError) as caught:
        load_settings({}, {}, config_file=config)
    assert str(caught.value) == (
        "secret in parameters.json looks like a secret ID (a GUID): use the secret's Value, "
        "shown once when the secret was created, not its Secret ID"
    )


def test_http_authority_is_refused_with_the_https_spelling(tmp_path: Path) -> None:
    config = python_config(tmp_path, authority="http://localhost:5443/t1")
    with pytest.raises(DaemonConfigError) as caught:
        load_settings({}, {}, config_file=config)
    assert str(caught.value) == (
        "authority in parameters.json is http://localhost:5443/t1: the identity platform only "
        "answers over HTTPS; use https://localhost:5443/t1"
    )


def test_missing_pieces_name_the_flag_and_variable() -> None:
    with pytest.raises(DaemonConfigError, match="no client id given: set --client-id"):
        load_settings(flags(authority="https://localhost:5443/t"), {})
    with pytest.raises(DaemonConfigError, match="no authority given"):
        load_settings(flags(client_id="c"), {})
    with pytest.raises(DaemonConfigError, match="no credential given"):
        load_settings(flags(client_id="c", authority="https://localhost:5443/t"), {})


def test_two_credentials_from_one_source_are_refused(tmp_path: Path) -> None:
    key = tmp_path / "k.pem"
    key.write_text("x")
    config = python_config(tmp_path, private_key_file="k.pem", thumbprint="A" * 40)
    with pytest.raises(DaemonConfigError, match=r"several credentials are configured"):
        load_settings({}, {}, config_file=config)


def test_certificate_settings(tmp_path: Path) -> None:
    key, cert = tmp_path / "k.pem", tmp_path / "c.pem"
    key.write_text("k")
    cert.write_text("c")
    base = {"client_id": "c", "authority": "https://localhost:5443/t"}
    s = load_settings(flags(**base, private_key_file=str(key), thumbprint="ab:" * 19 + "ab"), {})
    assert s.credential == Certificate(private_key_file=key, thumbprint="AB" * 20)
    s = load_settings(flags(**base, private_key_file=str(key), certificate_file=str(cert)), {})
    assert s.credential == Certificate(private_key_file=key, certificate_file=cert)
    with pytest.raises(DaemonConfigError, match="is not a SHA-1 thumbprint"):
        load_settings(flags(**base, private_key_file=str(key), thumbprint="xyz"), {})
    with pytest.raises(DaemonConfigError, match="needs its certificate"):
        load_settings(flags(**base, private_key_file=str(key)), {})
    with pytest.raises(DaemonConfigError, match="without its private key"):
        load_settings(flags(**base, certificate_file=str(cert)), {})
    with pytest.raises(DaemonConfigError, match=r"--private-key-file: file .* not found"):
        load_settings(
            flags(**base, private_key_file=str(tmp_path / "no.pem"), thumbprint="A" * 40), {}
        )


def test_graph_scope_follows_real_graph_hosts_only() -> None:
    us = {
        "client_id": "c",
        "authority": "https://login.microsoftonline.us/t",
        "client_secret": SECRET,
    }
    env = {"TENANTLAB_DAEMON_GRAPH_ENDPOINT": "https://graph.microsoft.us/"}
    assert load_settings(flags(**us), env).graph_scope == "https://graph.microsoft.us/.default"
    base = {"client_id": "c", "authority": "https://localhost:5443/t", "client_secret": SECRET}
    env = {"TENANTLAB_DAEMON_GRAPH_ENDPOINT": "https://localhost:5443"}
    s = load_settings(flags(**base), env)
    assert s.graph_scope == "https://graph.microsoft.com/.default"
    assert s.graph_endpoint == "https://localhost:5443"


def test_numbers_are_checked() -> None:
    base = {"client_id": "c", "authority": "https://localhost:5443/t", "client_secret": SECRET}
    with pytest.raises(DaemonConfigError, match="TENANTLAB_DAEMON_TIMEOUT is 'soon'"):
        load_settings(flags(**base), {"TENANTLAB_DAEMON_TIMEOUT": "soon"})
    with pytest.raises(DaemonConfigError, match=r"--max-retries is 50: expected 0..10"):
        load_settings(flags(**base, max_retries="50"), {})


def test_ca_bundle_resolution(tmp_path: Path) -> None:
    base = {"client_id": "c", "authority": "https://localhost:5443/t", "client_secret": SECRET}
    home = tmp_path / "home"
    home.mkdir()
    other = tmp_path / "other.pem"
    other.write_text("x")
    env = {"TENANTLAB_HOME": str(home), "REQUESTS_CA_BUNDLE": str(other)}
    assert load_settings(flags(**base), env).ca_bundle == other
    (home / "ca-bundle.pem").write_text("x")
    assert load_settings(flags(**base), env).ca_bundle == home / "ca-bundle.pem"
    named = tmp_path / "named.pem"
    named.write_text("x")
    assert load_settings(flags(**base, ca_bundle=str(named)), env).ca_bundle == named


def test_secret_never_appears_in_repr() -> None:
    base = {"client_id": "c", "authority": "https://localhost:5443/t", "client_secret": SECRET}
    assert SECRET not in repr(load_settings(flags(**base), {}))


def test_graph_defaults_to_the_authoritys_origin_unless_it_is_microsofts() -> None:
    local = {"client_id": "c", "authority": "https://localhost:9443/t", "client_secret": SECRET}
    s = load_settings(flags(**local), {})
    assert s.graph_endpoint == "https://localhost:9443"
    assert s.graph_scope == "https://graph.microsoft.com/.default"  # Graph's own identifier
    entra = {**local, "authority": "https://login.microsoftonline.com/t"}
    assert load_settings(flags(**entra), {}).graph_endpoint == "https://graph.microsoft.com"
    ciam = {**local, "authority": "https://woodgrove.ciamlogin.com/"}
    assert load_settings(flags(**ciam), {}).graph_endpoint == "https://graph.microsoft.com"


@pytest.mark.parametrize(
    ("name", "url"),
    [
        ("graph_endpoint", "https://graph.microsoft.com"),
        ("graph_endpoint", "https://GRAPH.microsoft.us/"),
        ("api_endpoint", "https://contoso.azure.com/api/todolist"),
        ("api_endpoint", "https://login.microsoftonline.com/x"),
    ],
)
def test_a_local_token_never_goes_to_a_microsoft_host(name: str, url: str) -> None:
    local = {"client_id": "c", "authority": "https://localhost:9443/t", "client_secret": SECRET}
    with pytest.raises(DaemonConfigError, match="must not go to Microsoft") as refused:
        load_settings(flags(**local, **{name: url}), {})
    assert "--graph-endpoint https://localhost:9443" in str(refused.value)
    assert SECRET not in str(refused.value)


def test_a_microsoft_lookalike_host_is_not_microsofts() -> None:
    local = {"client_id": "c", "authority": "https://localhost:9443/t", "client_secret": SECRET}
    s = load_settings(flags(**local, graph_endpoint="https://graph.microsoft.com.example.org"), {})
    assert s.graph_endpoint == "https://graph.microsoft.com.example.org"
