"""PlatformSettings: arguments, else TENANTLAB_* variables, else defaults; one-line errors."""

from __future__ import annotations

import dataclasses
import json
import os
from pathlib import Path

import pytest

from tenantlab.config import PlatformSettings
from tenantlab.errors import ConfigError


@pytest.fixture(autouse=True)
def _no_tenantlab_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in list(os.environ):
        if name.upper().startswith("TENANTLAB_"):
            monkeypatch.delenv(name)


def test_the_defaults(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("HOME", str(tmp_path))
    settings = PlatformSettings()
    assert settings.home == tmp_path / ".tenantlab"
    assert (settings.port, settings.workers, settings.database_connections) == (5443, 1, 10)
    assert settings.origin == "https://localhost:5443"
    assert settings.resolved_database_url == f"sqlite:///{tmp_path / '.tenantlab/tenantlab.db'}"
    assert settings.sign_in_retention_days == 30.0
    assert settings.tls_names == []
    assert settings.key_encryption_key is None


def test_the_environment_is_read_and_arguments_win(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TENANTLAB_HOME", "~/elsewhere")
    monkeypatch.setenv("TENANTLAB_PORT", " 9443 ")
    monkeypatch.setenv("tenantlab_workers", "3")  # names match in any case, as they always did
    monkeypatch.setenv("TENANTLAB_SIGN_IN_RETENTION_DAYS", "0.5")
    monkeypatch.setenv("TENANTLAB_PUBLIC_URL", "HTTPS://cloud.example")
    monkeypatch.setenv("TENANTLAB_TODO_PORT", "1")  # another component's: ignored here
    settings = PlatformSettings(port=7443)
    assert settings.home == Path("~/elsewhere").expanduser()
    assert (settings.port, settings.workers) == (7443, 3)
    assert settings.sign_in_retention_days == 0.5
    assert settings.public_url == "https://cloud.example"


@pytest.mark.parametrize(
    ("value", "names"),
    [
        ("cloud.example, 10.0.0.5", ["cloud.example", "10.0.0.5"]),  # as documented
        ('["cloud.example", "10.0.0.5"]', ["cloud.example", "10.0.0.5"]),  # as pydantic read it
        ("", []),
    ],
)
def test_tls_names_are_comma_separated_in_the_environment(
    monkeypatch: pytest.MonkeyPatch, value: str, names: list[str]
) -> None:
    monkeypatch.setenv("TENANTLAB_TLS_NAMES", value)
    assert PlatformSettings().tls_names == names


@pytest.mark.parametrize(
    ("variable", "value", "reason"),
    [
        ("TENANTLAB_PORT", "fivethousand", "must be a whole number, not 'fivethousand'"),
        ("TENANTLAB_PORT", "70000", "must be between 0 and 65535, not 70000"),
        ("TENANTLAB_WORKERS", "0", "must be at least 1, not 0"),
        ("TENANTLAB_DATABASE_CONNECTIONS", "2.5", "must be a whole number"),
        ("TENANTLAB_SIGN_IN_RETENTION_DAYS", "-1", "must be a number greater than 0"),
        ("TENANTLAB_SIGN_IN_RETENTION_DAYS", "nan", "must be a number greater than 0"),
        ("TENANTLAB_TLS_NAMES", "[not json", "must be names separated by commas"),
    ],
)
def test_a_bad_value_is_one_line_naming_the_variable(
    monkeypatch: pytest.MonkeyPatch, variable: str, value: str, reason: str
) -> None:
    monkeypatch.setenv(variable, value)
    with pytest.raises(ConfigError) as refused:
        PlatformSettings()
    name = variable.removeprefix("TENANTLAB_").lower()
    assert refused.value.message.startswith(f"invalid setting {name} ({variable}): {reason}")
    assert "\n" not in refused.value.message


def test_the_key_encryption_key_stays_out_of_repr_and_errors(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("TENANTLAB_KEY_ENCRYPTION_KEY", "kek-do-not-print")
    monkeypatch.setenv("TENANTLAB_PORT", "x")
    with pytest.raises(ConfigError) as refused:
        PlatformSettings()
    assert "kek-do-not-print" not in str(refused.value)
    settings = PlatformSettings(port=1)
    assert settings.key_encryption_key == "kek-do-not-print"
    assert "kek-do-not-print" not in repr(settings)
    assert settings.values()["key_encryption_key"] == "kek-do-not-print"  # for its own workers


def test_a_copy_with_other_values_reads_no_environment(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    settings = PlatformSettings(home=tmp_path, database_url=None)
    monkeypatch.setenv("TENANTLAB_DATABASE_URL", "postgresql://db.example/other")
    copy = dataclasses.replace(settings, port=9443)
    assert (copy.home, copy.database_url, copy.port) == (tmp_path, None, 9443)
    with pytest.raises(ConfigError, match="must be an https:// origin"):
        dataclasses.replace(settings, public_url="http://cloud.example")


def test_an_unknown_setting_is_a_programming_error() -> None:
    with pytest.raises(TypeError, match="no setting prot"):
        PlatformSettings(prot=5443)


def test_the_settings_and_the_workers_round_trip() -> None:
    settings = PlatformSettings(home=Path("/srv/t"), tls_names=["a"], key_encryption_key="k")
    again = PlatformSettings(**json.loads(json.dumps(settings.values(), default=str)))
    assert again == settings
