"""Ready-to-run configuration for Microsoft's own daemon samples, pointed at this tenantlab.

Each file has the keys of the sample it belongs to (reference/sample-apps.md) and nothing the
sample would not read, except Java's `GRAPH_ENDPOINT` (the sample hard-codes Graph's URL; the
line says so). Files holding a secret or a key path are written owner-only (0600) in an
owner-only folder; `env.sh` holds only the CA-bundle exports. docs/official-samples.md says how
to run each sample with them.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tenantlab.config import (
    MICROSOFT_GRAPH_ORIGIN,
    MICROSOFT_LOGIN_ORIGIN,
    PlatformSettings,
    ensure_private_dir,
    write_private_file,
)
from tenantlab.errors import ConfigError
from tenantlab.keys import env_exports
from tenantlab.quickstart.provision import Provisioned
from tenantlab.quickstart.spec import GRAPH
from tenantlab.todo.settings import (
    READ_APP_PERMISSIONS,
    READ_SCOPES,
    WRITE_APP_PERMISSIONS,
    WRITE_SCOPES,
)

TODO_PATH = "api/todolist"
# Where `tenantlab run --quickstart` and `up --as-microsoft` write the configs that name
# Microsoft's own URLs (they work only where those names reach tenantlab).
AS_MICROSOFT_FOLDER = "quickstart-as-microsoft"


def configs_folder(settings: PlatformSettings) -> str:
    """The default folder (under the data folder) for the samples' configs."""
    return AS_MICROSOFT_FOLDER if settings.as_microsoft else "quickstart"


@dataclass(frozen=True)
class Endpoints:
    cloud: str  # https://localhost:5443 (no trailing slash)
    todo: str  # https://localhost:44351
    ca_bundle: Path

    @property
    def todo_list(self) -> str:
        return f"{self.todo}/{TODO_PATH}"

    @property
    def as_microsoft(self) -> bool:
        """The cloud is reached under Microsoft's names: configs are the ones Azure takes."""
        return self.cloud.lower() == MICROSOFT_LOGIN_ORIGIN

    @property
    def graph(self) -> str:
        return MICROSOFT_GRAPH_ORIGIN if self.as_microsoft else self.cloud


def workforce_authority(p: Provisioned, e: Endpoints) -> str:
    return f"{e.cloud}/{p.workforce.id}"


def ciam_authority(p: Provisioned, e: Endpoints) -> str:
    """As Microsoft, the samples' own `https://{subdomain}.ciamlogin.com`; otherwise what MSAL
    makes of it: the tenant named by its domain on our origin."""
    if e.as_microsoft:
        return f"https://{p.external.subdomain}.ciamlogin.com"
    return f"{e.cloud}/{p.external.domain}"


def api_resource(p: Provisioned) -> str:
    """The ToDo API's App ID URI (the External ID Node sample's SCOPES)."""
    return f"api://{p.todo_api.app_id}"


def api_scope(p: Provisioned) -> str:
    return f"{api_resource(p)}/.default"


@dataclass(frozen=True)
class SampleConfigs:
    folder: Path
    env_sh: Path
    python: Path  # ms-identity-python-daemon 1-Call-MsGraph-WithSecret
    python_certificate: Path  # … 2-Call-MsGraph-WithCertificate
    node: Path  # ms-identity-javascript-nodejs-console
    node_ciam: Path  # ms-identity-ciam-javascript-tutorial 2-Authorization/3-call-api-node-daemon
    java: Path  # ms-identity-java-daemon msal-client-credential-secret
    dotnet_client: Path  # ms-identity-ciam-dotnet-tutorial … ToDoListClient
    dotnet_api: Path  # … ToDoListAPI

    def daemon_configs(self) -> list[Path]:
        """Every file `tenantlab daemon --config` reads (the API's settings are not a client's)."""
        return [
            self.python,
            self.python_certificate,
            self.node,
            self.node_ciam,
            self.java,
            self.dotnet_client,
        ]


def _json(data: Any) -> bytes:
    return (json.dumps(data, indent=2) + "\n").encode("utf-8")


def _lines(*lines: str) -> bytes:
    return ("\n".join(lines) + "\n").encode("utf-8")


def python_parameters(p: Provisioned, e: Endpoints) -> dict[str, Any]:
    """`oidc_authority` rather than `authority`: MSAL Python then reads the tenant's OpenID
    metadata directly and asks no Microsoft host to validate ours, so the sample runs as is.
    As Microsoft, `authority`, exactly as for Azure."""
    if e.as_microsoft:
        authority, oidc_authority = workforce_authority(p, e), None
    else:
        authority, oidc_authority = None, f"{workforce_authority(p, e)}/v2.0"
    return {
        "authority": authority,
        "oidc_authority": oidc_authority,
        "client_id": p.workforce_daemon.app_id,
        "scope": [f"{GRAPH}/.default"],
        "secret": p.workforce_secret,
        "endpoint": f"{e.graph}/v1.0/users",
        "note": "written by tenantlab quickstart; authority or oidc_authority: one must be null",
    }


def python_certificate_parameters(p: Provisioned, e: Endpoints) -> dict[str, Any]:
    return {
        "authority": ciam_authority(p, e),
        "client_id": p.ciam_daemon.app_id,
        "scope": [f"{GRAPH}/.default"],
        "thumbprint": p.certificate.thumbprint,
        "private_key_file": str(p.certificate.private_key),
        "endpoint": f"{e.graph}/v1.0/users",
    }


def node_env(p: Provisioned, e: Endpoints) -> bytes:
    return _lines(
        "# ms-identity-javascript-nodejs-console, written by tenantlab quickstart",
        f"TENANT_ID={p.workforce.id}",
        f"CLIENT_ID={p.workforce_daemon.app_id}",
        f"CLIENT_SECRET={p.workforce_secret}",
        "",
        f"AAD_ENDPOINT={e.cloud}/ ## include the trailing slash",
        f"GRAPH_ENDPOINT={e.graph}/ ## include the trailing slash",
    )


def node_ciam_env(p: Provisioned, e: Endpoints) -> bytes:
    return _lines(
        "# ms-identity-ciam-javascript-tutorial 2-Authorization/3-call-api-node-daemon/App",
        "# (authConfig.js reads these from the environment), written by tenantlab quickstart",
        f"CLIENT_ID={p.ciam_daemon.app_id}",
        f"AUTHORITY={ciam_authority(p, e)}/",
        f"CLIENT_SECRET={p.ciam_secret}",
        f"API_ENDPOINT={e.todo_list}",
        # auth.js asks for `${SCOPES}/.default`: the App ID URI alone.
        f"SCOPES={api_resource(p)}",
    )


def java_properties(p: Provisioned, e: Endpoints) -> bytes:
    return _lines(
        "# ms-identity-java-daemon msal-client-credential-secret, written by tenantlab quickstart",
        f"AUTHORITY={workforce_authority(p, e)}/",
        f"CLIENT_ID={p.workforce_daemon.app_id}",
        f"SECRET={p.workforce_secret}",
        f"SCOPE={GRAPH}/.default",
        *(
            ["# Not read by the sample (it hard-codes this Graph URL); tenantlab daemon reads it."]
            if e.as_microsoft
            else [
                "# Not read by the sample (it hard-codes https://graph.microsoft.com/v1.0/users: "
                "edit that",
                "# line in ClientCredentialGrant.java); `tenantlab daemon --config` reads it.",
            ]
        ),
        f"GRAPH_ENDPOINT={e.graph}",
    )


def dotnet_client(p: Provisioned, e: Endpoints) -> dict[str, Any]:
    return {
        "AzureAd": {
            "Authority": f"{ciam_authority(p, e)}/",
            "ClientId": p.ciam_daemon.app_id,
            "ClientCredentials": [{"SourceType": "ClientSecret", "ClientSecret": p.ciam_secret}],
        },
        "DownstreamApi": {
            "BaseUrl": f"{e.todo}/",
            "RelativePath": TODO_PATH,
            "RequestAppToken": True,
            "Scopes": [api_scope(p)],
        },
    }


def dotnet_api(p: Provisioned, e: Endpoints) -> dict[str, Any]:
    return {
        "AzureAd": {
            "Instance": f"{e.cloud}/",
            "TenantId": p.external.id,
            "ClientId": p.todo_api.app_id,
            "Scopes": {"Read": list(READ_SCOPES), "Write": list(WRITE_SCOPES)},
            "AppPermissions": {
                "Read": list(READ_APP_PERMISSIONS),
                "Write": list(WRITE_APP_PERMISSIONS),
            },
        },
        "Logging": {"LogLevel": {"Default": "Information", "Microsoft.AspNetCore": "Warning"}},
        "AllowedHosts": "*",
    }


def env_sh(e: Endpoints) -> bytes:
    exports = [f"export {name}={value}" for name, value in env_exports(e.ca_bundle).items()]
    return _lines(
        "# Trust tenantlab's local CA (system CAs + local CA), written by tenantlab quickstart:",
        "#   source env.sh",
        *exports,
        f"# token service + Graph: {e.cloud}    ToDo API: {e.todo_list}",
    )


def write_sample_configs(folder: Path, p: Provisioned, e: Endpoints) -> SampleConfigs:
    """Write (or overwrite) every sample's file under `folder`; return where each went."""
    try:
        return _write(folder, p, e)
    except OSError as exc:
        raise ConfigError(
            f"cannot write the samples' configs to {folder}: {exc.strerror or exc} "
            "(choose another folder with --out)"
        ) from None


def _write(folder: Path, p: Provisioned, e: Endpoints) -> SampleConfigs:
    ensure_private_dir(folder)
    configs = SampleConfigs(
        folder=folder,
        env_sh=folder / "env.sh",
        python=folder / "python" / "parameters.json",
        python_certificate=folder / "python-certificate" / "parameters.json",
        node=folder / "node" / ".env",
        node_ciam=folder / "node-ciam" / ".env",
        java=folder / "java" / "application.properties",
        dotnet_client=folder / "dotnet" / "ToDoListClient" / "appsettings.json",
        dotnet_api=folder / "dotnet" / "ToDoListAPI" / "appsettings.json",
    )
    contents: dict[Path, bytes] = {
        configs.env_sh: env_sh(e),
        configs.python: _json(python_parameters(p, e)),
        configs.python_certificate: _json(python_certificate_parameters(p, e)),
        configs.node: node_env(p, e),
        configs.node_ciam: node_ciam_env(p, e),
        configs.java: java_properties(p, e),
        configs.dotnet_client: _json(dotnet_client(p, e)),
        configs.dotnet_api: _json(dotnet_api(p, e)),
    }
    for path, data in contents.items():
        ensure_private_dir(path.parent)
        write_private_file(path, data)
    return configs
