"""Readers for each official daemon sample's configuration file, taken as the sample ships it.

- Python `parameters.json`: authority | oidc_authority, client_id, scope, secret | thumbprint +
  private_key_file, endpoint.
- Node `.env` (dotenv): TENANT_ID, CLIENT_ID, CLIENT_SECRET, AAD_ENDPOINT, GRAPH_ENDPOINT, and the
  External ID tutorial's AUTHORITY, API_ENDPOINT, SCOPES, CERT_THUMBPRINT, CERT_PRIVATE_KEY_FILE.
- Java `application.properties`: AUTHORITY, CLIENT_ID, SECRET | KEY_PATH + CERT_PATH, SCOPE.
- .NET `appsettings.json`: AzureAd {Instance + TenantId | Authority, ClientId, ClientSecret,
  ClientCredentials[]} and DownstreamApi {BaseUrl, RelativePath, Scopes}.

Each reader only maps keys to the daemon's canonical settings (see `sources.py`); every check
happens later, on the merged settings, so a trap gets the same message whichever file it is in.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from tenantlab.daemon.errors import DaemonConfigError
from tenantlab.daemon.sources import Layer, put, put_endpoint, put_scopes

FORMATS = ("python", "node", "java", "dotnet")


def detect_format(path: Path, text: str) -> str:
    """Guess the sample a file belongs to from its name, then its content."""
    name = path.name.lower()
    if name.endswith(".properties"):
        return "java"
    if name == ".env" or name.endswith(".env"):
        return "node"
    if name.endswith(".json"):
        try:
            data = json.loads(_strip_json_comments(text))
        except ValueError:
            return "python" if name == "parameters.json" else "dotnet"
        if isinstance(data, dict) and any(k.lower() == "azuread" for k in data):
            return "dotnet"
        return "python"
    raise DaemonConfigError(
        f"{path}: cannot tell the format from the name; use --config-format ({', '.join(FORMATS)})"
    )


def read_config_file(path: Path, fmt: str | None = None) -> Layer:
    """The settings a sample configuration file gives, each labelled with its key and file."""
    try:
        text = path.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise DaemonConfigError(f"config file {path} not found") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise DaemonConfigError(f"cannot read config file {path}: {exc}") from None
    chosen = fmt or detect_format(path, text)
    if chosen not in FORMATS:
        raise DaemonConfigError(f"unknown config format '{chosen}' (use {', '.join(FORMATS)})")
    reader = {
        "python": _read_python,
        "node": _read_node,
        "java": _read_java,
        "dotnet": _read_dotnet,
    }[chosen]
    return reader(path, text)


def _file_path(value: Any, config: Path) -> Path | None:
    """Paths inside a config file are relative to that file, as the samples are run beside it."""
    if value is None or str(value).strip() == "":
        return None
    candidate = Path(str(value).strip()).expanduser()
    return candidate if candidate.is_absolute() else config.parent / candidate


def _load_json(path: Path, text: str) -> dict[str, Any]:
    try:
        data = json.loads(_strip_json_comments(text))
    except ValueError as exc:
        raise DaemonConfigError(f"{path} is not valid JSON: {exc}") from None
    if not isinstance(data, dict):
        raise DaemonConfigError(f"{path} must hold a JSON object")
    return data


# -- Python: parameters.json ------------------------------------------------------------------


def _read_python(path: Path, text: str) -> Layer:
    data = _load_json(path, text)
    layer: Layer = {}

    def origin(key: str) -> str:
        return f"{key} in {path.name}"

    for key in ("authority", "oidc_authority", "client_id", "thumbprint"):
        put(layer, key, data.get(key), origin(key))
    put(layer, "client_secret", data.get("secret"), origin("secret"))
    put(
        layer,
        "certificate_file",
        _file_path(data.get("public_certificate_file"), path),
        origin("public_certificate_file"),
    )
    put(
        layer,
        "private_key_file",
        _file_path(data.get("private_key_file"), path),
        origin("private_key_file"),
    )
    put_scopes(layer, data.get("scope"), origin("scope"))
    put_endpoint(layer, data.get("endpoint"), origin("endpoint"))
    return layer


# -- Node: .env (dotenv) ----------------------------------------------------------------------

_DOTENV_LINE = re.compile(r"^\s*(?:export\s+)?([A-Za-z_][A-Za-z0-9_.-]*)\s*=\s*(.*)$")


def parse_dotenv(text: str) -> dict[str, str]:
    """dotenv's rules as the samples use them: quotes, `#` comments, inline ` ## ...` comments."""
    values: dict[str, str] = {}
    for raw in text.splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        match = _DOTENV_LINE.match(line)
        if match is None:
            continue
        key, value = match.group(1), match.group(2).strip()
        if value[:1] in ("'", '"') and value[0] in value[1:]:
            value = value[1 : value.index(value[0], 1)]
        else:
            value = re.split(r"\s+#", value, maxsplit=1)[0].strip()
        values[key] = value
    return values


def _read_node(path: Path, text: str) -> Layer:
    env = parse_dotenv(text)
    layer: Layer = {}

    def origin(key: str) -> str:
        return f"{key} in {path.name}"

    if env.get("AUTHORITY"):
        put(layer, "authority", env["AUTHORITY"], origin("AUTHORITY"))
    elif "AAD_ENDPOINT" in env or "TENANT_ID" in env:
        # The console sample concatenates them: AAD_ENDPOINT ends with a slash by design.
        instance = env.get("AAD_ENDPOINT", "")
        tenant = env.get("TENANT_ID", "")
        joined = instance if instance.endswith("/") or not instance else instance + "/"
        put(layer, "authority", joined + tenant, origin("AAD_ENDPOINT + TENANT_ID"))
    put(layer, "client_id", env.get("CLIENT_ID"), origin("CLIENT_ID"))
    put(layer, "client_secret", env.get("CLIENT_SECRET"), origin("CLIENT_SECRET"))
    put(layer, "thumbprint", env.get("CERT_THUMBPRINT") or None, origin("CERT_THUMBPRINT"))
    put(
        layer,
        "private_key_file",
        _file_path(env.get("CERT_PRIVATE_KEY_FILE"), path),
        origin("CERT_PRIVATE_KEY_FILE"),
    )
    if env.get("GRAPH_ENDPOINT"):
        put_endpoint(layer, env["GRAPH_ENDPOINT"].rstrip("/") + "/v1.0", origin("GRAPH_ENDPOINT"))
    put(layer, "api_endpoint", env.get("API_ENDPOINT") or None, origin("API_ENDPOINT"))
    if env.get("SCOPES"):
        put_scopes(layer, _ciam_scope(env["SCOPES"], path), origin("SCOPES"))
    return layer


def _ciam_scope(resource: str, path: Path) -> str:
    """The External ID tutorial's auth.js asks for `${SCOPES}/.default`: SCOPES is the API's
    App ID URI. One that already ends with /.default would ask for `.../.default/.default`."""
    resource = resource.strip().rstrip("/")
    if resource.lower().endswith("/.default"):
        raise DaemonConfigError(
            f"SCOPES in {path.name} is '{resource}', but the sample appends /.default itself "
            "(auth.js asks for `${SCOPES}/.default`): write SCOPES=api://<API application id>"
        )
    return resource + "/.default"


# -- Java: application.properties -------------------------------------------------------------


def parse_properties(text: str) -> dict[str, str]:
    """java.util.Properties lines: `key=value` or `key: value`, `#`/`!` comments, `\\` joins."""
    values: dict[str, str] = {}
    pending = ""
    for raw in text.splitlines():
        line = pending + raw.strip() if pending else raw.strip()
        pending = ""
        if not line or line[0] in "#!":
            continue
        if line.endswith("\\") and not line.endswith("\\\\"):
            pending = line[:-1]
            continue
        match = re.match(r"^([^=:\s]+)\s*[=:\s]\s*(.*)$", line)
        if match is None:
            values[line] = ""
            continue
        values[match.group(1)] = match.group(2).strip()
    return values


def _read_java(path: Path, text: str) -> Layer:
    props = parse_properties(text)
    layer: Layer = {}

    def origin(key: str) -> str:
        return f"{key} in {path.name}"

    put(layer, "authority", props.get("AUTHORITY"), origin("AUTHORITY"))
    put(layer, "client_id", props.get("CLIENT_ID"), origin("CLIENT_ID"))
    put(layer, "client_secret", props.get("SECRET"), origin("SECRET"))
    put(layer, "private_key_file", _file_path(props.get("KEY_PATH"), path), origin("KEY_PATH"))
    put(layer, "certificate_file", _file_path(props.get("CERT_PATH"), path), origin("CERT_PATH"))
    put_scopes(layer, props.get("SCOPE"), origin("SCOPE"))
    # The sample hard-codes Graph's URL; these two keys let the same file point elsewhere.
    if props.get("GRAPH_ENDPOINT"):
        put_endpoint(layer, props["GRAPH_ENDPOINT"].rstrip("/") + "/v1.0", origin("GRAPH_ENDPOINT"))
    put(layer, "api_endpoint", props.get("API_ENDPOINT") or None, origin("API_ENDPOINT"))
    return layer


# -- .NET: appsettings.json -------------------------------------------------------------------


def _section(data: dict[str, Any], name: str) -> dict[str, Any]:
    """.NET configuration keys are case-insensitive."""
    for key, value in data.items():
        if key.lower() == name.lower() and isinstance(value, dict):
            return value
    return {}


def _get(section: dict[str, Any], name: str) -> Any:
    for key, value in section.items():
        if key.lower() == name.lower():
            return value
    return None


def _read_dotnet(path: Path, text: str) -> Layer:
    data = _load_json(path, text)
    azure_ad = _section(data, "AzureAd")
    layer: Layer = {}

    def origin(key: str) -> str:
        return f"{key} in {path.name}"

    authority = _get(azure_ad, "Authority")
    instance, tenant_id = _get(azure_ad, "Instance"), _get(azure_ad, "TenantId")
    if authority is not None:
        put(layer, "authority", str(authority).strip(), origin("AzureAd:Authority"))
    elif instance is not None:
        base = str(instance).strip().rstrip("/")
        joined = f"{base}/{str(tenant_id).strip()}" if tenant_id else base + "/"
        put(layer, "authority", joined, origin("AzureAd:Instance + AzureAd:TenantId"))
    put(layer, "client_id", _get(azure_ad, "ClientId"), origin("AzureAd:ClientId"))
    put(layer, "app_object_id", _get(azure_ad, "ClientObjectId"), origin("AzureAd:ClientObjectId"))
    put(layer, "client_secret", _get(azure_ad, "ClientSecret"), origin("AzureAd:ClientSecret"))
    _read_client_credentials(layer, _get(azure_ad, "ClientCredentials"), path)

    downstream = _section(data, "DownstreamApi")
    base_url = _get(downstream, "BaseUrl")
    if base_url is not None:
        relative = str(_get(downstream, "RelativePath") or "")
        # Microsoft.Identity.Web joins with exactly one slash.
        url = str(base_url).rstrip("/") + ("/" + relative.lstrip("/") if relative else "")
        put_endpoint(layer, url, origin("DownstreamApi:BaseUrl + RelativePath"))
    put_scopes(layer, _get(downstream, "Scopes"), origin("DownstreamApi:Scopes"))

    graph = _section(data, "MicrosoftGraph") or _section(_section(data, "DownstreamApis"), "Graph")
    if _get(graph, "BaseUrl") is not None:
        put_endpoint(layer, str(_get(graph, "BaseUrl")), origin("MicrosoftGraph:BaseUrl"))
    put_scopes(layer, _get(graph, "Scopes"), origin("MicrosoftGraph:Scopes"))
    return layer


def _read_client_credentials(layer: Layer, entries: Any, path: Path) -> None:
    """The first usable `ClientCredentials` entry, as Microsoft.Identity.Web tries them in order."""
    if entries is None:
        return
    if not isinstance(entries, list):
        raise DaemonConfigError(f"AzureAd:ClientCredentials in {path.name} must be a list")
    unusable: list[str] = []
    for index, entry in enumerate(entries):
        if not isinstance(entry, dict):
            continue
        where = f"AzureAd:ClientCredentials:{index}"
        kind = str(_get(entry, "SourceType") or "")
        if kind == "ClientSecret":
            put(layer, "client_secret", _get(entry, "ClientSecret"), f"{where} in {path.name}")
            return
        if kind == "Path":
            disk = _get(entry, "CertificateDiskPath")
            put(layer, "pfx_file", _file_path(disk, path), f"{where}:CertificateDiskPath")
            put(
                layer,
                "private_key_passphrase",
                _get(entry, "CertificatePassword") or None,
                f"{where}:CertificatePassword",
            )
            return
        if kind == "SignedAssertionFilePath":
            disk = _get(entry, "SignedAssertionFileDiskPath")
            put(layer, "federated_token_file", _file_path(disk, path), f"{where} in {path.name}")
            return
        unusable.append(kind or "(no SourceType)")
    if unusable:
        raise DaemonConfigError(
            f"AzureAd:ClientCredentials in {path.name} has only {', '.join(unusable)}: this daemon "
            "can use SourceType ClientSecret, Path (a .pfx file) or SignedAssertionFilePath"
        )


def _strip_json_comments(text: str) -> str:
    """appsettings.json may carry // and /* */ comments (.NET's reader allows them)."""
    out: list[str] = []
    i, n = 0, len(text)
    in_string = False
    while i < n:
        ch = text[i]
        if in_string:
            out.append(ch)
            if ch == "\\" and i + 1 < n:
                out.append(text[i + 1])
                i += 2
                continue
            if ch == '"':
                in_string = False
            i += 1
        elif ch == '"':
            in_string = True
            out.append(ch)
            i += 1
        elif text.startswith("//", i):
            end = text.find("\n", i)
            i = n if end < 0 else end
        elif text.startswith("/*", i):
            end = text.find("*/", i + 2)
            i = n if end < 0 else end + 2
        else:
            out.append(ch)
            i += 1
    return "".join(out)
