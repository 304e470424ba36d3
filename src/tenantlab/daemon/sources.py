"""Settings as they are read, before they are checked: each value remembers where it came from.

A value's origin ("client_id in parameters.json", "TENANTLAB_DAEMON_CLIENT_ID", "--client-id")
is what makes an error message actionable: the person is told which line of which file to fix.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

# Every setting the daemon knows, by its canonical name.
FIELDS = (
    "authority",
    "oidc_authority",
    "client_id",
    "client_secret",
    "certificate_file",
    "private_key_file",
    "thumbprint",
    "pfx_file",
    "private_key_passphrase",
    "federated_token_file",
    "graph_endpoint",
    "graph_scope",
    "api_endpoint",
    "api_scope",
    "app_object_id",
    "ca_bundle",
    "token_cache",
    "timeout",
    "max_retries",
)

# Settings decided as a group: the most important source that names any of them decides all of
# them, so a certificate given by flag is not mixed with a secret left in a config file.
CREDENTIAL_FIELDS = frozenset(
    {
        "client_secret",
        "certificate_file",
        "private_key_file",
        "thumbprint",
        "pfx_file",
        "private_key_passphrase",
        "federated_token_file",
    }
)
AUTHORITY_FIELDS = frozenset({"authority", "oidc_authority"})

# Hosts that serve Microsoft Graph (global and national clouds): a scope for them follows the
# endpoint; anything else (tenantlab, a proxy) still asks for Graph's real identifier.
GRAPH_HOSTS = frozenset(
    {
        "graph.microsoft.com",
        "graph.microsoft.us",
        "dod-graph.microsoft.us",
        "microsoftgraph.chinacloudapi.cn",
    }
)
GRAPH_RESOURCE = "https://graph.microsoft.com"

# Hosts on MSAL's built-in lists: against them MSAL's defaults (instance discovery, system trust)
# are right, and changing them would make the daemon behave differently from the samples.
MICROSOFT_AUTHORITY_HOSTS = frozenset(
    {
        "login.microsoftonline.com",
        "login.microsoft.com",
        "login.windows.net",
        "login.microsoftonline.us",
        "login.chinacloudapi.cn",
        "login.partner.microsoftonline.cn",
        "login.sovcloud-identity.fr",
        "login.sovcloud-identity.de",
        "login.sovcloud-identity.sg",
    }
)
MICROSOFT_AUTHORITY_SUFFIXES = (".ciamlogin.com", ".b2clogin.com")
# Domains whose hosts are Microsoft's services: a token of another authority never goes there.
MICROSOFT_DOMAINS = (
    "microsoft.com",
    "microsoftonline.com",
    "windows.net",
    "azure.com",
    "microsoft.us",
    "microsoftonline.us",
    "chinacloudapi.cn",
    "microsoftonline.cn",
    "ciamlogin.com",
    "b2clogin.com",
)


def is_microsoft_authority(url: str) -> bool:
    host = (urlsplit(url).hostname or "").lower()
    return host in MICROSOFT_AUTHORITY_HOSTS or host.endswith(MICROSOFT_AUTHORITY_SUFFIXES)


def is_microsoft_host(url: str) -> bool:
    """Whether the URL's host belongs to Microsoft (Graph, Entra, Azure, national clouds)."""
    host = (urlsplit(url).hostname or "").lower().rstrip(".")
    return (
        host in GRAPH_HOSTS
        or host in MICROSOFT_AUTHORITY_HOSTS
        or any(host == d or host.endswith("." + d) for d in MICROSOFT_DOMAINS)
    )


@dataclass(frozen=True)
class Sourced:
    """One setting's value and where it was read (never printed for secrets, only the origin)."""

    value: Any
    origin: str


Layer = dict[str, Sourced]


def put(layer: Layer, field: str, value: Any, origin: str) -> None:
    """Record a value unless it is absent; empty strings count as given (they are traps too)."""
    if field not in FIELDS:
        raise KeyError(field)
    if value is None:
        return
    layer[field] = Sourced(value, origin)


def is_graph_scope(scope: str) -> bool:
    host = (urlsplit(scope).hostname or "").lower()
    return host in GRAPH_HOSTS


def graph_scope_for(endpoint: str) -> str:
    """The `.default` scope that Graph at `endpoint` answers to.

    Real Graph hosts keep their own identifier (national clouds differ); any other host is an
    emulator or proxy of the global Graph, whose identifier does not move with its URL.
    """
    parts = urlsplit(endpoint)
    if (parts.hostname or "").lower() in GRAPH_HOSTS:
        return f"{parts.scheme}://{parts.netloc}/.default"
    return f"{GRAPH_RESOURCE}/.default"


def split_graph_url(url: str) -> str | None:
    """`https://host/v1.0/users` -> `https://host`; None when the URL is not a Graph URL."""
    parts = urlsplit(url)
    segments = parts.path.split("/")
    for index, segment in enumerate(segments):
        if segment in ("v1.0", "beta"):
            base_path = "/".join(segments[:index]).rstrip("/")
            return f"{parts.scheme}://{parts.netloc}{base_path}"
    if (parts.hostname or "").lower() in GRAPH_HOSTS:
        return f"{parts.scheme}://{parts.netloc}"
    return None


def put_scopes(layer: Layer, scopes: Any, origin: str) -> None:
    """Sort the sample's scope list into the Graph scope and the API scope by resource."""
    if scopes is None:
        return
    items = scopes if isinstance(scopes, list) else str(scopes).replace(",", " ").split()
    for item in items:
        scope = str(item).strip()
        if not scope:
            continue
        put(layer, "graph_scope" if is_graph_scope(scope) else "api_scope", scope, origin)


def put_endpoint(layer: Layer, url: Any, origin: str) -> None:
    """A sample's single endpoint is Graph (`.../v1.0/...`) or the protected API."""
    if url is None:
        return
    text = str(url).strip()
    graph = split_graph_url(text)
    if graph is not None:
        put(layer, "graph_endpoint", graph, origin)
    else:
        put(layer, "api_endpoint", text, origin)
