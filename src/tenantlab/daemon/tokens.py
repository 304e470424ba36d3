"""App-only tokens from MSAL's ConfidentialClientApplication, single-flight and cached.

MSAL caches tokens but does not stop two threads with an empty cache from both asking the
identity platform. Here a lock serialises acquisitions and a per-scope memo answers hits
without touching MSAL, so N concurrent callers cause at most one token request per scope while
no valid token is cached. `token_source` (cache or identity_provider) is logged at INFO.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import msal

from tenantlab.clock import SYSTEM_CLOCK, Clock
from tenantlab.daemon.cache import TokenCacheFile
from tenantlab.daemon.credentials import msal_client_credential
from tenantlab.daemon.errors import TokenAcquisitionError
from tenantlab.daemon.settings import DaemonSettings
from tenantlab.daemon.sources import is_microsoft_authority
from tenantlab.daemon.transport import (
    MsalHttpClient,
    RetryPolicy,
    create_http_client,
    transport_problem,
)
from tenantlab.errors import TenantlabError

logger = logging.getLogger("tenantlab.daemon")

# MSAL ignores cached tokens within 5 minutes of expiry; the memo keeps the same margin.
EXPIRY_MARGIN = 300.0


def msal_arguments(
    settings: DaemonSettings,
    *,
    token_cache: Any,
    http_client: MsalHttpClient,
) -> dict[str, Any]:
    """ConfidentialClientApplication's keyword arguments for these settings.

    Microsoft authority: MSAL's defaults. Any other authority (tenantlab, a test double): no
    instance discovery (it would ask login.microsoftonline.com about a host it cannot know)
    and an http client that trusts the configured CA bundle.
    """
    arguments: dict[str, Any] = {
        "client_id": settings.client_id,
        "client_credential": msal_client_credential(settings.credential),
        "token_cache": token_cache,
        "timeout": settings.timeout,
    }
    if settings.oidc_authority:
        arguments["oidc_authority"] = settings.oidc_authority
    else:
        arguments["authority"] = settings.authority
    if not is_microsoft_authority(settings.authority_url):
        arguments["instance_discovery"] = False
        arguments["http_client"] = http_client
    return arguments


@dataclass(frozen=True)
class AccessToken:
    value: str
    source: str  # "cache" or "identity_provider"


@dataclass(frozen=True)
class _Memo:
    value: str
    fresh_until: float


class TokenProvider:
    """Tokens for any `.default` scope of one app registration, at most one request at a time."""

    def __init__(
        self,
        settings: DaemonSettings,
        *,
        http_client: MsalHttpClient | None = None,
        clock: Clock = SYSTEM_CLOCK,
        app_factory: Callable[..., Any] = msal.ConfidentialClientApplication,
    ) -> None:
        self.settings = settings
        self.clock = clock
        self._owned_client = http_client is None
        self._http_client = http_client or MsalHttpClient(
            create_http_client(ca_bundle=settings.ca_bundle, timeout=settings.timeout),
            RetryPolicy(max_retries=settings.max_retries, clock=clock),
        )
        self._app_factory = app_factory
        self._cache_file = TokenCacheFile(settings.token_cache) if settings.token_cache else None
        self._lock = threading.Lock()
        self._memo: dict[str, _Memo] = {}
        self._app: Any = None
        self.identity_provider_requests = 0

    def token(self, scope: str, *, stale: str | None = None) -> AccessToken:
        """A valid token for `scope`; `stale` names one the API just rejected (never reused)."""
        hit = self._memo_hit(scope, stale)
        if hit is not None:
            return hit
        with self._lock:
            hit = self._memo_hit(scope, stale)
            if hit is not None:
                return hit
            app = self._application()
            if stale is not None:
                self._evict(app, stale)
            result = self._call_msal(lambda: app.acquire_token_for_client(scopes=[scope]))
            if "access_token" not in result:
                raise TokenAcquisitionError(
                    error=str(result.get("error") or "unknown_error"),
                    description=str(result.get("error_description") or ""),
                    error_codes=[int(c) for c in result.get("error_codes") or []],
                    correlation_id=result.get("correlation_id"),
                )
            source = str(result.get("token_source") or "identity_provider")
            if source != "cache":
                self.identity_provider_requests += 1
            now = self.clock.now()
            fresh_until = now + float(result.get("expires_in") or 0) - EXPIRY_MARGIN
            if result.get("refresh_on"):
                fresh_until = min(fresh_until, float(result["refresh_on"]))
            self._memo[scope] = _Memo(result["access_token"], fresh_until)
            if self._cache_file is not None:
                self._cache_file.save()
            logger.info("token_source=%s scope=%s", source, scope)
            return AccessToken(result["access_token"], source)

    def close(self) -> None:
        if self._owned_client:
            self._http_client.client.close()

    def _memo_hit(self, scope: str, stale: str | None) -> AccessToken | None:
        memo = self._memo.get(scope)
        if memo is None or memo.value == stale or self.clock.now() >= memo.fresh_until:
            return None
        logger.debug("token_source=cache scope=%s", scope)
        return AccessToken(memo.value, "cache")

    def _application(self) -> Any:
        if self._app is None:
            cache = self._cache_file.cache if self._cache_file else msal.TokenCache()
            arguments = msal_arguments(
                self.settings, token_cache=cache, http_client=self._http_client
            )
            self._app = self._call_msal(lambda: self._app_factory(**arguments))
        return self._app

    def _evict(self, app: Any, stale: str) -> None:
        """Forget a token the API rejected, so MSAL asks the identity platform again."""
        cache = app.token_cache
        for entry in list(cache.search(msal.TokenCache.CredentialType.ACCESS_TOKEN)):
            if entry.get("secret") == stale:
                cache.remove_at(entry)
        for scope, memo in list(self._memo.items()):
            if memo.value == stale:
                del self._memo[scope]

    def _call_msal(self, call: Callable[[], Any]) -> Any:
        """MSAL raises plain exceptions; turn them into the daemon's errors."""
        try:
            return call()
        except TenantlabError:
            raise
        except ValueError as exc:
            raise TokenAcquisitionError(
                error="authority_unavailable", description=str(exc)
            ) from None
        except Exception as exc:
            names = " ".join(t.__name__ for t in type(exc).__mro__)
            if "ConnectionError" in names or "Timeout" in names or "SSLError" in names:
                raise transport_problem(exc, self.settings.authority_url) from None
            raise TokenAcquisitionError(error="msal_error", description=str(exc)) from None
