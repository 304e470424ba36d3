"""The ToDo API's configuration: the official sample's `AzureAd` section, env vars or flags.

`appsettings.json` of Azure-Samples' ToDoListAPI works as is (Instance, TenantId, ClientId,
Scopes.Read/Write, AppPermissions.Read/Write); `TENANTLAB_TODO_*` variables and CLI flags override.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Annotated, Any

from pydantic import Field, ValidationError, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from tenantlab.config import DEFAULT_PORT, DEFAULT_TODO_PORT, PlatformSettings
from tenantlab.errors import ConfigError

READ_SCOPES = ["ToDoList.Read", "ToDoList.ReadWrite"]
WRITE_SCOPES = ["ToDoList.ReadWrite"]
READ_APP_PERMISSIONS = ["ToDoList.Read.All", "ToDoList.ReadWrite.All"]
WRITE_APP_PERMISSIONS = ["ToDoList.ReadWrite.All"]


def _split(value: object) -> object:
    if isinstance(value, str):
        return [part for part in re.split(r"[\s,]+", value) if part]
    return value


class TodoApiSettings(BaseSettings):
    """`TENANTLAB_TODO_*` environment variables, or values from the sample's appsettings.json."""

    model_config = SettingsConfigDict(env_prefix="TENANTLAB_TODO_", extra="ignore")

    instance: str = f"https://localhost:{DEFAULT_PORT}"
    tenant_id: str = ""
    client_id: str = ""
    # Default: the client id (v2 tokens) and api://{client id} (v1 tokens), as MIW does.
    audiences: Annotated[list[str], NoDecode] = Field(default_factory=list)
    allowed_tenants: Annotated[list[str], NoDecode] = Field(default_factory=list)
    allowed_client_ids: Annotated[list[str], NoDecode] = Field(default_factory=list)
    read_scopes: Annotated[list[str], NoDecode] = Field(default_factory=lambda: list(READ_SCOPES))
    write_scopes: Annotated[list[str], NoDecode] = Field(default_factory=lambda: list(WRITE_SCOPES))
    read_app_permissions: Annotated[list[str], NoDecode] = Field(
        default_factory=lambda: list(READ_APP_PERMISSIONS)
    )
    write_app_permissions: Annotated[list[str], NoDecode] = Field(
        default_factory=lambda: list(WRITE_APP_PERMISSIONS)
    )
    accept_v1: bool = True
    leeway: float = 60.0
    database_url: str | None = None
    home: Path = Field(default_factory=lambda: PlatformSettings().home)
    host: str = "127.0.0.1"
    port: int = DEFAULT_TODO_PORT
    ca_bundle: Path | None = None

    _split_lists = field_validator(
        "audiences",
        "allowed_tenants",
        "allowed_client_ids",
        "read_scopes",
        "write_scopes",
        "read_app_permissions",
        "write_app_permissions",
        mode="before",
    )(_split)

    @property
    def resolved_audiences(self) -> tuple[str, ...]:
        if self.audiences:
            return tuple(self.audiences)
        return (self.client_id, f"api://{self.client_id}")

    @property
    def resolved_database_url(self) -> str:
        return self.database_url or f"sqlite:///{self.home / 'todo.db'}"

    def require_identity(self) -> None:
        """The API cannot check tokens without knowing its tenant and client id."""
        for name, value in (("tenant id", self.tenant_id), ("client id", self.client_id)):
            if not value:
                raise ConfigError(
                    f"the ToDo API needs its {name}: pass --appsettings, a flag, or set "
                    f"TENANTLAB_TODO_{name.upper().replace(' ', '_')}"
                )
            if value.startswith("Enter_the_"):
                raise ConfigError(
                    f"the {name} is still the sample's placeholder {value!r}: put in the value "
                    "of your registration (tenantlab app show ...)"
                )


def _strip_json_comments(text: str) -> str:
    """appsettings.json may carry // and /* */ comments (.NET's reader allows them)."""
    pattern = re.compile(r'"(?:\\.|[^"\\])*"|//[^\n]*|/\*.*?\*/', re.DOTALL)
    return pattern.sub(lambda m: m.group(0) if m.group(0).startswith('"') else "", text)


def _as_list(value: Any, key: str) -> list[str]:
    if isinstance(value, str):
        return [part for part in value.split() if part]
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return list(value)
    raise ConfigError(f"AzureAd:{key} must be a list of strings (or a space-separated string)")


def appsettings_values(path: Path) -> dict[str, Any]:
    """The settings an `appsettings.json` gives, as TodoApiSettings keyword arguments."""
    try:
        document = json.loads(_strip_json_comments(path.read_text(encoding="utf-8-sig")))
    except OSError as exc:
        raise ConfigError(f"cannot read {path}: {exc.strerror}") from None
    except ValueError as exc:
        raise ConfigError(f"{path} is not valid JSON: {exc}") from None
    section = document.get("AzureAd") if isinstance(document, dict) else None
    if not isinstance(section, dict):
        raise ConfigError(f"{path} has no AzureAd section")
    values: dict[str, Any] = {}
    for key, name in (
        ("Instance", "instance"),
        ("TenantId", "tenant_id"),
        ("ClientId", "client_id"),
    ):
        if key in section:
            if not isinstance(section[key], str):
                raise ConfigError(f"AzureAd:{key} must be a string")
            values[name] = section[key].rstrip("/")
    for group, prefix in (("Scopes", ""), ("AppPermissions", "_app_permissions")):
        entries = section.get(group)
        if entries is None:
            continue
        if not isinstance(entries, dict):
            raise ConfigError(f"AzureAd:{group} must be an object with Read and Write")
        for kind in ("Read", "Write"):
            if kind in entries:
                field = f"{kind.lower()}_scopes" if group == "Scopes" else f"{kind.lower()}{prefix}"
                values[field] = _as_list(entries[kind], f"{group}:{kind}")
    for key, name in (("Audiences", "audiences"), ("AllowedClientIds", "allowed_client_ids")):
        if key in section:
            values[name] = _as_list(section[key], key)
    if isinstance(section.get("Audience"), str):
        values["audiences"] = [section["Audience"]]
    return values


def load_settings(appsettings: Path | None = None, **overrides: Any) -> TodoApiSettings:
    """Environment, then the appsettings file, then explicit overrides (flags) win."""
    values = appsettings_values(appsettings) if appsettings else {}
    values.update({k: v for k, v in overrides.items() if v is not None})
    try:
        return TodoApiSettings(**values)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        raise ConfigError(f"ToDo API setting {where}: {first['msg']}") from None
