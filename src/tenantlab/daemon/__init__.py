"""The daemon app: MSAL client credentials, then Graph and the ToDo API, like the official samples.

A client only: it knows the identity platform, Graph and the API over HTTPS, so the same
configuration runs against tenantlab or a real Entra tenant (only the URLs differ).
"""

from tenantlab.daemon.client import DaemonClient
from tenantlab.daemon.console import main
from tenantlab.daemon.errors import (
    ApiCallError,
    DaemonConfigError,
    DaemonError,
    TokenAcquisitionError,
    TransportProblem,
)
from tenantlab.daemon.settings import (
    Certificate,
    ClientSecret,
    DaemonSettings,
    FederatedTokenFile,
    load_settings,
)
from tenantlab.daemon.sources import is_microsoft_authority
from tenantlab.daemon.tokens import AccessToken, TokenProvider

__all__ = [
    "AccessToken",
    "ApiCallError",
    "Certificate",
    "ClientSecret",
    "DaemonClient",
    "DaemonConfigError",
    "DaemonError",
    "DaemonSettings",
    "FederatedTokenFile",
    "TokenAcquisitionError",
    "TokenProvider",
    "TransportProblem",
    "is_microsoft_authority",
    "load_settings",
    "main",
]
