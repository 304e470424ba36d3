"""Federated identity credentials: client assertions issued by an external OpenID provider.

A workload (a Kubernetes pod, a CI job, another tenant) presents a JWT from its own issuer; an app
trusts it through a federated identity credential naming that issuer, subject and audiences. As in
Entra the match is exact and case-sensitive, checked in the order Entra reports it: issuer
(AADSTS700211), signature against the issuer's keys, time window (AADSTS700024), subject
(AADSTS700213), audience (AADSTS700212).

The issuer's keys come from a `FederatedKeyCache` (`federated_keys`): fetched asynchronously, per
issuer with a single flight, bounded in time, failures remembered for a short back-off.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from tenantlab.sts.assertion_jws import (
    FEDERATED_ALGORITHMS,
    FEDERATED_POLICY,
    ParsedAssertion,
    check_time_window,
    verify_signature,
)
from tenantlab.sts.errors import (
    assertion_failed,
    no_matching_audience,
    no_matching_issuer,
    no_matching_subject,
)
from tenantlab.sts.federated_keys import FederatedKeyCache


@dataclass(frozen=True)
class FederatedCredentialSpec:
    """A federated identity credential as the check needs it (from the directory's row)."""

    id: str
    name: str
    issuer: str
    subject: str
    audiences: tuple[str, ...]


@dataclass(frozen=True)
class FederatedMatch:
    credential_id: str
    name: str
    issuer: str
    subject: str
    valid_from: float = 0.0  # the window in which the same assertion passes again
    valid_until: float = 0.0


def _audiences(payload: dict[str, Any]) -> list[str]:
    value = payload.get("aud")
    values = value if isinstance(value, list) else [value]
    return [v for v in values if isinstance(v, str)]


async def verify_federated_assertion(
    parsed: ParsedAssertion,
    *,
    credentials: Sequence[FederatedCredentialSpec],
    keys: FederatedKeyCache,
    now: float,
) -> FederatedMatch:
    """Accept an external token when one of the app's federated credentials matches it exactly."""
    issuer = parsed.claim_str("iss") or ""
    candidates = [c for c in credentials if c.issuer == issuer]
    if not candidates:
        raise no_matching_issuer(issuer)
    alg = parsed.alg
    if alg not in FEDERATED_ALGORITHMS:
        raise assertion_failed(f"The algorithm '{alg or '(none)'}' is not allowed.")
    kid = parsed.header.get("kid")
    found = await keys.keys_for(issuer, kid if isinstance(kid, str) and kid else None)
    if not any(verify_signature(parsed, k, FEDERATED_POLICY) for k in found):
        raise assertion_failed(
            "The signature does not verify with any key the issuer publishes"
            + (f" (kid '{kid}')." if isinstance(kid, str) else ".")
        )
    start, until = check_time_window(parsed.claims, now, max_lifetime=None)
    subject = parsed.claim_str("sub") or ""
    candidates = [c for c in candidates if c.subject == subject]
    if not candidates:
        raise no_matching_subject(subject)
    presented = _audiences(parsed.claims)
    for credential in candidates:
        if any(a in credential.audiences for a in presented):
            return FederatedMatch(credential.id, credential.name, issuer, subject, start, until)
    raise no_matching_audience(", ".join(presented))
