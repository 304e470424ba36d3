"""What can go wrong in the daemon, each error carrying the one line a person needs to fix it.

    TenantlabError
    ├── ConfigError
    │   └── DaemonConfigError        a setting, file or flag is wrong (exit code 2)
    └── DaemonError                  the run failed (exit code 1)
        ├── TokenAcquisitionError    the identity platform refused a token (MSAL's error dict)
        ├── ApiCallError             Graph or the ToDo API answered with an error status
        └── TransportProblem         no HTTP answer at all: connection, TLS or timeout

The raw facts (AADSTS codes, Graph error codes, statuses) stay on the exception so that
`explain.py` can turn them into the one line; nothing here ever holds a secret or a token.
"""

from __future__ import annotations

from tenantlab.errors import ConfigError, TenantlabError


class DaemonConfigError(ConfigError):
    """The daemon's configuration is unusable; the message names the setting and the fix."""


class DaemonError(TenantlabError):
    """A daemon run failed after its configuration was accepted."""


class TokenAcquisitionError(DaemonError):
    """The token endpoint answered with an OAuth error (or MSAL could not reach it)."""

    def __init__(
        self,
        *,
        error: str,
        description: str = "",
        error_codes: list[int] | None = None,
        correlation_id: str | None = None,
    ) -> None:
        self.error = error
        self.description = description
        self.error_codes = list(error_codes or [])
        self.correlation_id = correlation_id
        first_line = description.splitlines()[0] if description else ""
        super().__init__(f"{error}: {first_line}" if first_line else error)

    @property
    def aadsts(self) -> int | None:
        """The first AADSTS code: what Entra's documentation is indexed by."""
        return self.error_codes[0] if self.error_codes else None


class ApiCallError(DaemonError):
    """A resource API (Graph, the ToDo API) answered with a status the operation cannot use."""

    def __init__(
        self,
        *,
        service: str,
        operation: str,
        method: str,
        url: str,
        status: int,
        code: str | None = None,
        detail: str = "",
        retry_after: float | None = None,
        token_roles: list[str] | None = None,
    ) -> None:
        self.service = service
        self.operation = operation
        self.method = method
        self.url = url
        self.status = status
        self.code = code
        self.detail = detail
        self.retry_after = retry_after
        self.token_roles = token_roles
        label = f" {code}" if code else ""
        super().__init__(f"{service} answered {status}{label} to {method} {url}")


class TransportProblem(DaemonError):
    """No usable HTTP response: the connection, the TLS handshake or a timeout failed."""

    def __init__(self, *, kind: str, url: str, cause: str) -> None:
        self.kind = kind  # "tls", "connect" or "timeout"
        self.url = url
        self.cause = cause
        super().__init__(f"{kind} error talking to {url}: {cause}")
