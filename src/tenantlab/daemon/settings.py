"""The daemon's settings: one precedence, one set of checks, whatever file format they came from.

Precedence, highest first: command-line flags > `TENANTLAB_DAEMON_*` environment variables (and
`AZURE_FEDERATED_TOKEN_FILE`) > the configuration file > defaults. The credential and the
authority are decided as groups: the most important source that names any credential (or any
authority) decides it whole, so a flag never gets mixed with half a credential from a file.

The checks catch the samples' known traps before any network call, each with a one-line fix.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

from tenantlab.config import PlatformSettings
from tenantlab.daemon.errors import DaemonConfigError
from tenantlab.daemon.formats import read_config_file
from tenantlab.daemon.sources import (
    AUTHORITY_FIELDS,
    CREDENTIAL_FIELDS,
    FIELDS,
    Layer,
    Sourced,
    graph_scope_for,
    is_microsoft_authority,
    is_microsoft_host,
    put,
    put_endpoint,
)
from tenantlab.ids import is_guid

ENV_PREFIX = "TENANTLAB_DAEMON_"
DEFAULT_GRAPH_ENDPOINT = "https://graph.microsoft.com"
DEFAULT_TIMEOUT = 30.0
DEFAULT_MAX_RETRIES = 3

_PLACEHOLDER = re.compile(r"\b[A-Za-z]+(?:_[A-Za-z]+)*_Here\b")
_FIXES = {
    "authority": "put https://login.microsoftonline.com/<tenant id> (tenantlab: "
    "https://localhost:5443/<tenant>)",
    "oidc_authority": "put your External ID custom-domain authority, or set it to null",
    "client_id": "put the app registration's Application (client) ID",
    "client_secret": "put the secret's Value (shown once when the secret was created)",
    "thumbprint": "put the certificate's SHA-1 thumbprint as the portal shows it",
    "api_scope": "put api://<the API's Application ID>/.default",
    "api_endpoint": "put the API's URL, e.g. https://localhost:44351/api/todolist",
    "graph_endpoint": "put https://graph.microsoft.com (tenantlab: https://localhost:5443)",
}


@dataclass(frozen=True)
class ClientSecret:
    value: str = field(repr=False)


@dataclass(frozen=True)
class Certificate:
    """A private key with its certificate (or thumbprint), or a .pfx holding both."""

    private_key_file: Path | None = None
    certificate_file: Path | None = None
    thumbprint: str | None = None
    pfx_file: Path | None = None
    passphrase: str | None = field(default=None, repr=False)


@dataclass(frozen=True)
class FederatedTokenFile:
    """A federated assertion another identity provider writes to a file (workload identity)."""

    path: Path


Credential = ClientSecret | Certificate | FederatedTokenFile


@dataclass(frozen=True)
class DaemonSettings:
    client_id: str
    credential: Credential
    authority: str | None = None
    oidc_authority: str | None = None
    graph_endpoint: str = DEFAULT_GRAPH_ENDPOINT
    graph_scope: str = "https://graph.microsoft.com/.default"
    api_endpoint: str | None = None
    api_scope: str | None = None
    app_object_id: str | None = None
    ca_bundle: Path | None = None
    token_cache: Path | None = None
    timeout: float = DEFAULT_TIMEOUT
    max_retries: int = DEFAULT_MAX_RETRIES
    origins: Mapping[str, str] = field(default_factory=dict, repr=False, compare=False)

    @property
    def authority_url(self) -> str:
        return self.authority or self.oidc_authority or ""

    @property
    def tenant(self) -> str:
        """The authority's tenant segment, as Entra reads it (used in messages)."""
        path = urlsplit(self.authority_url).path.strip("/")
        if path:
            return path.split("/")[0]
        host = urlsplit(self.authority_url).hostname or ""
        return host.split(".")[0] + ".onmicrosoft.com" if host.endswith(".ciamlogin.com") else host


def env_layer(environ: Mapping[str, str]) -> Layer:
    layer: Layer = {}
    for name in FIELDS:
        key = ENV_PREFIX + name.upper()
        if key in environ:
            put(layer, name, environ[key], key)
    # Workload identity's variable counts only when no TENANTLAB_DAEMON_* names a credential.
    if not CREDENTIAL_FIELDS & layer.keys() and environ.get("AZURE_FEDERATED_TOKEN_FILE"):
        put(
            layer,
            "federated_token_file",
            environ["AZURE_FEDERATED_TOKEN_FILE"],
            "AZURE_FEDERATED_TOKEN_FILE",
        )
    if "graph_endpoint" in layer:
        graph = layer.pop("graph_endpoint")
        put_endpoint(layer, str(graph.value).rstrip("/") + "/v1.0", graph.origin)
    return layer


def merge(*layers: Layer) -> Layer:
    """Layers from most to least important; grouped fields come whole from one layer."""
    merged: Layer = {}
    for group in (CREDENTIAL_FIELDS, AUTHORITY_FIELDS):
        for layer in layers:
            chosen = {k: v for k, v in layer.items() if k in group}
            if chosen:
                merged.update(chosen)
                break
    for name in FIELDS:
        if name in CREDENTIAL_FIELDS or name in AUTHORITY_FIELDS:
            continue
        for layer in layers:
            if name in layer:
                merged[name] = layer[name]
                break
    return merged


def load_settings(
    flags: Layer,
    environ: Mapping[str, str] | None = None,
    *,
    config_file: Path | None = None,
    config_format: str | None = None,
) -> DaemonSettings:
    """Read every source, merge by precedence, check the traps, return usable settings."""
    env = os.environ if environ is None else environ
    path = config_file
    if path is None and env.get(ENV_PREFIX + "CONFIG"):
        path = Path(env[ENV_PREFIX + "CONFIG"]).expanduser()
    file_layer = read_config_file(path, config_format) if path is not None else {}
    merged = merge(flags, env_layer(env), file_layer)
    return build_settings(merged, env)


def build_settings(merged: Layer, environ: Mapping[str, str]) -> DaemonSettings:
    for name, item in merged.items():
        if isinstance(item.value, str):
            _reject_placeholder(name, item)
    authority, oidc_authority = _authority(merged)
    client_id = _required_text(merged, "client_id", "client id", "--client-id")
    graph_endpoint = _url(merged, "graph_endpoint") or _default_graph(authority or oidc_authority)
    graph_scope = _text(merged, "graph_scope") or graph_scope_for(graph_endpoint)
    api_endpoint = (_url(merged, "api_endpoint") or "").rstrip("/") or None
    _keep_tokens_home(merged, authority or oidc_authority, graph_endpoint, api_endpoint)
    return DaemonSettings(
        client_id=client_id,
        credential=_credential(merged),
        authority=authority,
        oidc_authority=oidc_authority,
        graph_endpoint=graph_endpoint.rstrip("/"),
        graph_scope=graph_scope,
        api_endpoint=api_endpoint,
        api_scope=_text(merged, "api_scope"),
        app_object_id=_text(merged, "app_object_id"),
        ca_bundle=_ca_bundle(merged, environ),
        token_cache=_path(merged, "token_cache"),
        timeout=_number(merged, "timeout", DEFAULT_TIMEOUT, float, 0.1, 600),
        max_retries=int(_number(merged, "max_retries", DEFAULT_MAX_RETRIES, int, 0, 10)),
        origins={name: item.origin for name, item in merged.items()},
    )


def _default_graph(authority: str | None) -> str:
    """Microsoft's Graph for Microsoft's authorities; any other authority's own origin.

    A token from tenantlab (or any other issuer) is for that issuer's Graph: sending it to
    graph.microsoft.com would leak it and could only fail.
    """
    if authority is None or is_microsoft_authority(authority):
        return DEFAULT_GRAPH_ENDPOINT
    parts = urlsplit(authority)
    return f"{parts.scheme}://{parts.netloc}"


def _keep_tokens_home(
    merged: Layer, authority: str | None, graph_endpoint: str, api_endpoint: str | None
) -> None:
    """Refuse to send a token of a non-Microsoft authority to a Microsoft host."""
    if authority is None or is_microsoft_authority(authority):
        return
    origin = merged["authority" if "authority" in merged else "oidc_authority"].origin
    for name, url in (("graph_endpoint", graph_endpoint), ("api_endpoint", api_endpoint)):
        if url is not None and is_microsoft_host(url):
            parts = urlsplit(authority)
            where = merged[name].origin if name in merged else "the default"
            raise DaemonConfigError(
                f"{where} is {url}, a Microsoft host, but the authority ({origin}) is "
                f"{parts.scheme}://{parts.netloc}: its tokens must not go to Microsoft; "
                f"point {name.replace('_', '-')} at that authority's service (tenantlab: "
                f"--graph-endpoint {parts.scheme}://{parts.netloc})"
            )


def _reject_placeholder(name: str, item: Sourced) -> None:
    match = _PLACEHOLDER.search(item.value)
    if match:
        fix = _FIXES.get(name, "put the real value")
        raise DaemonConfigError(
            f"{item.origin} still holds the sample placeholder '{match.group(0)}': {fix}"
        )


def _text(merged: Layer, name: str) -> str | None:
    item = merged.get(name)
    if item is None:
        return None
    text = str(item.value).strip()
    return text or None


def _required_text(merged: Layer, name: str, what: str, flag: str) -> str:
    value = _text(merged, name)
    if value is None:
        where = f"{merged[name].origin} is empty" if name in merged else f"no {what} given"
        raise DaemonConfigError(
            f"{where}: set {flag}, {ENV_PREFIX}{name.upper()} or the config file"
        )
    return value


def _url(merged: Layer, name: str) -> str | None:
    value = _text(merged, name)
    if value is None:
        return None
    parts = urlsplit(value)
    if parts.scheme not in ("https", "http") or not parts.netloc:
        raise DaemonConfigError(
            f"{merged[name].origin} is '{value}': expected an https:// URL ({_FIXES[name]})"
        )
    return value


def _authority(merged: Layer) -> tuple[str | None, str | None]:
    authority = _text(merged, "authority")
    oidc = _text(merged, "oidc_authority")
    if authority and oidc:
        raise DaemonConfigError(
            f"both {merged['authority'].origin} and {merged['oidc_authority'].origin} are set: "
            "keep one and set the other to null (oidc_authority is only for External ID "
            "with a custom domain)"
        )
    value = authority or oidc
    if value is None:
        raise DaemonConfigError(
            "no authority given: set --authority, TENANTLAB_DAEMON_AUTHORITY or the config file "
            "(https://login.microsoftonline.com/<tenant id>; tenantlab: "
            "https://localhost:5443/<tenant>)"
        )
    origin = merged["authority" if authority else "oidc_authority"].origin
    parts = urlsplit(value)
    if parts.scheme == "http":
        raise DaemonConfigError(
            f"{origin} is {value}: the identity platform only answers over HTTPS; "
            f"use https://{value[len('http://') :]}"
        )
    if parts.scheme != "https" or not parts.hostname:
        raise DaemonConfigError(
            f"{origin} is '{value}': expected an https:// URL such as "
            "https://login.microsoftonline.com/<tenant id>"
        )
    return authority, oidc


def _path(merged: Layer, name: str) -> Path | None:
    value = _text(merged, name)
    return Path(value).expanduser() if value else None


def _existing_file(merged: Layer, name: str) -> Path | None:
    path = _path(merged, name)
    if path is not None and not path.is_file():
        raise DaemonConfigError(f"{merged[name].origin}: file {path} not found")
    return path


def _credential(merged: Layer) -> Credential:
    secret = merged.get("client_secret")
    kinds = [
        name
        for name in ("client_secret", "federated_token_file")
        if _text(merged, name) is not None
    ]
    if any(_text(merged, n) for n in ("private_key_file", "pfx_file", "certificate_file")):
        kinds.append("certificate")
    if len(kinds) > 1:
        raise DaemonConfigError(
            f"several credentials are configured ({', '.join(kinds)}): keep exactly one"
        )
    if kinds == ["client_secret"] and secret is not None:
        value = str(secret.value).strip()
        if is_guid(value):
            raise DaemonConfigError(
                f"{secret.origin} looks like a secret ID (a GUID): use the secret's Value, "
                "shown once when the secret was created, not its Secret ID"
            )
        return ClientSecret(value)
    if kinds == ["federated_token_file"]:
        path = _existing_file(merged, "federated_token_file")
        assert path is not None
        return FederatedTokenFile(path)
    if kinds == ["certificate"]:
        return _certificate(merged)
    if secret is not None:
        raise DaemonConfigError(f"{secret.origin} is empty: {_FIXES['client_secret']}")
    raise DaemonConfigError(
        "no credential given: set a client secret (--client-secret or "
        f"{ENV_PREFIX}CLIENT_SECRET), a certificate (--private-key with --certificate or "
        "--thumbprint, or --pfx) or a federated token file (AZURE_FEDERATED_TOKEN_FILE)"
    )


def _certificate(merged: Layer) -> Certificate:
    passphrase = _text(merged, "private_key_passphrase")
    pfx = _existing_file(merged, "pfx_file")
    if pfx is not None:
        return Certificate(pfx_file=pfx, passphrase=passphrase)
    key = _existing_file(merged, "private_key_file")
    cert = _existing_file(merged, "certificate_file")
    thumbprint = _text(merged, "thumbprint")
    if key is None:
        raise DaemonConfigError(
            "a certificate is configured without its private key: set --private-key "
            f"({ENV_PREFIX}PRIVATE_KEY_FILE, private_key_file, KEY_PATH)"
        )
    if thumbprint is not None:
        thumbprint = re.sub(r"[\s:]", "", thumbprint).upper()
        if not re.fullmatch(r"[0-9A-F]{40}", thumbprint):
            raise DaemonConfigError(
                f"{merged['thumbprint'].origin} is not a SHA-1 thumbprint: expected 40 hex "
                "digits, as the portal's Certificates & secrets page shows"
            )
    if cert is None and thumbprint is None:
        raise DaemonConfigError(
            "a private key needs its certificate (--certificate) or the certificate's "
            "thumbprint (--thumbprint)"
        )
    return Certificate(
        private_key_file=key, certificate_file=cert, thumbprint=thumbprint, passphrase=passphrase
    )


def _ca_bundle(merged: Layer, environ: Mapping[str, str]) -> Path | None:
    """The CA bundle for a local identity platform: the one named, else tenantlab's own."""
    named = _existing_file(merged, "ca_bundle")
    if named is not None:
        return named
    home = Path(environ.get("TENANTLAB_HOME") or Path.home() / ".tenantlab").expanduser()
    tenantlab_bundle = PlatformSettings(home=home).ca_bundle_path
    if tenantlab_bundle.is_file():
        return tenantlab_bundle
    for name in ("REQUESTS_CA_BUNDLE", "SSL_CERT_FILE", "CURL_CA_BUNDLE"):
        value = environ.get(name)
        if value and Path(value).is_file():
            return Path(value)
    return None


def _number(merged: Layer, name: str, default: float, kind: type, low: float, high: float) -> float:
    item = merged.get(name)
    if item is None or str(item.value).strip() == "":
        return default
    try:
        value = kind(str(item.value).strip())
    except ValueError:
        raise DaemonConfigError(f"{item.origin} is '{item.value}': expected a number") from None
    if not low <= value <= high:
        raise DaemonConfigError(f"{item.origin} is {value}: expected {low}..{high}")
    return float(value)
