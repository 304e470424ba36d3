"""The sample's appsettings.json, env variables and flags."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tenantlab.errors import ConfigError
from tenantlab.todo import load_settings

SAMPLE = """{
  // The ToDoListAPI sample's file, with a comment as .NET allows
  "AzureAd": {
    "Instance": "https://contoso.ciamlogin.com/",
    "TenantId": "7a1c2b3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d",
    "ClientId": "1a1b1c1d-2e2f-4a3b-8c4d-5e5f5a5b5c5d",
    /* delegated */ "Scopes": {
      "Read": ["ToDoList.Read", "ToDoList.ReadWrite"], "Write": ["ToDoList.ReadWrite"]
    },
    "AppPermissions": {
      "Read": ["ToDoList.Read.All", "ToDoList.ReadWrite.All"], "Write": ["ToDoList.ReadWrite.All"]
    }
  },
  "AllowedHosts": "*"
}"""


def test_the_samples_appsettings_work_as_is(tmp_path: Path) -> None:
    path = tmp_path / "appsettings.json"
    path.write_text(SAMPLE)
    settings = load_settings(path)
    assert settings.instance == "https://contoso.ciamlogin.com"
    assert settings.client_id == "1a1b1c1d-2e2f-4a3b-8c4d-5e5f5a5b5c5d"
    assert settings.read_app_permissions == ["ToDoList.Read.All", "ToDoList.ReadWrite.All"]
    assert settings.write_scopes == ["ToDoList.ReadWrite"]
    assert settings.resolved_audiences == (
        "1a1b1c1d-2e2f-4a3b-8c4d-5e5f5a5b5c5d",
        "api://1a1b1c1d-2e2f-4a3b-8c4d-5e5f5a5b5c5d",
    )
    settings.require_identity()


def test_flags_override_the_file_and_the_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "appsettings.json"
    path.write_text(SAMPLE)
    monkeypatch.setenv("TENANTLAB_TODO_PORT", "4000")
    monkeypatch.setenv("TENANTLAB_TODO_ALLOWED_CLIENT_IDS", "a b")
    settings = load_settings(path, client_id="flag-id")
    assert (settings.client_id, settings.port, settings.allowed_client_ids) == (
        "flag-id",
        4000,
        ["a", "b"],
    )
    assert settings.resolved_database_url.endswith("/todo.db")


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("{", "not valid JSON"),
        ("[]", "no AzureAd section"),
        (json.dumps({"AzureAd": {"ClientId": 5}}), "AzureAd:ClientId must be a string"),
        (json.dumps({"AzureAd": {"Scopes": {"Read": [1]}}}), "Scopes:Read must be a list"),
    ],
)
def test_bad_files_are_one_clear_error(tmp_path: Path, content: str, message: str) -> None:
    path = tmp_path / "appsettings.json"
    path.write_text(content)
    with pytest.raises(ConfigError, match=message):
        load_settings(path)


def test_placeholders_are_refused_with_the_fix(tmp_path: Path) -> None:
    path = tmp_path / "appsettings.json"
    path.write_text(
        SAMPLE.replace("7a1c2b3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d", "Enter_the_Tenant_Id_Here")
    )
    with pytest.raises(ConfigError, match="placeholder"):
        load_settings(path).require_identity()


def test_a_bad_value_is_a_config_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="port"):
        load_settings(None, port="many")
