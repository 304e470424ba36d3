"""Client assertions as compact JWSs, read by the one verifier (`tenantlab.jws`) with their policy.

Shared by certificate assertions (`client_assertion`) and federated ones (`federation`). The policy
is lenient only where real clients differ from the RFC (client-compatibility.md §7): '='-padded
segments (azure-identity aio; exact padding only), fractional `exp`/`iat`, missing `nbf` or
`iat`, any `typ`. Never lenient about algorithms (no `none`, nothing symmetric, no key taken
from the token itself), JSON (no duplicate members, NaN/Infinity, deep nesting), `crit`, or the
registered claims' types, which `jws.verify` checks right after the signature.

Failures are AADSTS700027 (401), Entra's one code for bad signatures, claims and keys, except a
time window, which is AADSTS700024. `JwsError` reasons become the texts below.
"""

from __future__ import annotations

from typing import Any

from tenantlab import jws
from tenantlab.jws import Jws, JwsError, JwsPolicy
from tenantlab.sts.errors import StsError, assertion_failed, assertion_out_of_time

# Bigger than any real assertion (an x5c chain of three 4096-bit certificates is about 6 KiB).
MAX_ASSERTION_LENGTH = 16 * 1024
# Microsoft.IdentityModel's default clock skew; containers and VMs drift.
CLOCK_SKEW = 300.0
CERTIFICATE_ALGORITHMS = frozenset({"RS256", "PS256"})
FEDERATED_ALGORITHMS = frozenset(
    {"RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384"}
)


def _policy(algorithms: frozenset[str]) -> JwsPolicy:
    return JwsPolicy(
        algorithms=algorithms,
        max_length=MAX_ASSERTION_LENGTH,
        max_header_length=MAX_ASSERTION_LENGTH,  # x5c chains live in the header
        padding_tolerated=True,
        required_claims=frozenset({"exp"}),
    )


# Parsing happens before we know which kind of assertion it is: the union of both.
ASSERTION_POLICY = _policy(FEDERATED_ALGORITHMS)
CERTIFICATE_POLICY = _policy(CERTIFICATE_ALGORITHMS)
FEDERATED_POLICY = ASSERTION_POLICY

ParsedAssertion = Jws  # a compact JWS split and decoded, not yet trusted

_SIGNATURE_REASONS = frozenset({"signature_invalid", "key_not_for_alg", "key_too_small"})
_CLAIM_NAMES = {
    "iss": "issuer (iss)",
    "sub": "subject (sub)",
    "jti": "token id (jti)",
    "aud": "audience (aud)",
}


def describe(error: JwsError) -> str:
    """The AADSTS700027 text for a refusal of the verifier."""
    reason, detail = error.reason, error.detail
    what = reason.split("_", 1)[0]
    if reason == "token_too_large":
        return f"The assertion is larger than {MAX_ASSERTION_LENGTH // 1024} KiB."
    if reason in ("not_a_compact_jws", "header_too_large"):
        return "The assertion is not a compact JWS (header.payload.signature)."
    if reason == "signature_missing":
        return "The assertion is not signed."
    if reason.endswith("base64url"):
        return f"The assertion's {what} is not base64url" + (f" ({detail})." if detail else ".")
    if reason.endswith("_not_json_object"):
        return f"The assertion's {what} is not a JSON object."
    if reason.endswith("_not_json"):
        return f"The assertion's {what} is not JSON" + (f": {detail}." if detail else ".")
    if reason == "alg_not_allowed":
        return f"The algorithm '{detail or '(none)'}' is not allowed."
    if reason == "crit_not_understood":
        return "The assertion's header lists critical extensions."
    if reason.endswith("_missing_or_not_a_number"):
        return f"The assertion's '{what}' claim is missing or not a number."
    if reason.endswith("_not_a_valid_time"):
        return f"The assertion's '{what}' claim is not a valid time."
    if reason.endswith(("_missing_or_not_a_string", "_missing_or_not_a_string_or_array")):
        return f"The assertion's {_CLAIM_NAMES.get(what, what)} has the wrong type."
    return "The assertion is malformed."


def parse_assertion(text: str) -> ParsedAssertion:
    """Split and decode a compact JWS (size cap first); nothing in it is trusted yet."""
    try:
        return jws.extract(text.strip(), ASSERTION_POLICY)
    except JwsError as error:
        raise assertion_failed(describe(error)) from None


def verify_signature(parsed: ParsedAssertion, key: Any, policy: JwsPolicy) -> bool:
    """True when `key` signed the assertion under `policy`. After a good signature the claims'
    types are checked too: a mistyped one raises AADSTS700027 rather than returning False."""
    try:
        jws.verify(parsed, key, policy)
    except JwsError as error:
        if error.reason in _SIGNATURE_REASONS or error.reason == "alg_not_allowed":
            return False
        raise assertion_failed(describe(error)) from None
    return True


def refused_algorithm(parsed: ParsedAssertion, allowed: frozenset[str]) -> StsError | None:
    """AADSTS700027 for an algorithm this kind of assertion does not allow, else None."""
    if parsed.alg in allowed:
        return None
    names = " or ".join(sorted(allowed)) if len(allowed) <= 2 else "an RSA or EC algorithm"
    return assertion_failed(f"The algorithm '{parsed.alg}' is not allowed; use {names}.")


# -- time ---------------------------------------------------------------------------------------


def _numeric_date(payload: dict[str, Any], name: str) -> float | None:
    # jws.verify checked type and range (finite, years 1970-9999) after the signature.
    value = payload.get(name)
    return None if value is None else float(value)


def check_time_window(
    payload: dict[str, Any], now: float, *, max_lifetime: float | None, skew: float = CLOCK_SKEW
) -> tuple[float, float]:
    """`exp` required, `nbf`/`iat` optional (fractional seconds fine), skew both ways.

    Returns the window (from, until) in which the same assertion would pass this check again.
    """
    expires = _numeric_date(payload, "exp")
    if expires is None:  # required by the policies above; never trust a caller that skipped them
        raise assertion_failed("The assertion's 'exp' claim is missing or not a number.")
    not_before = _numeric_date(payload, "nbf")
    issued_at = _numeric_date(payload, "iat")
    start = not_before if not_before is not None else issued_at
    if now >= expires + skew:
        raise assertion_out_of_time(now, start, expires)
    if not_before is not None and not_before > now + skew:
        raise assertion_out_of_time(now, start, expires)
    if issued_at is not None and issued_at > now + skew:
        raise assertion_out_of_time(now, start, expires)
    if max_lifetime is not None:
        begin = min(start, now) if start is not None else now
        if expires - begin > max_lifetime + skew:
            raise assertion_failed(
                f"The assertion is valid for more than {int(max_lifetime)} seconds; "
                "ask for a shorter lifetime (exp)."
            )
    latest_start = max((t for t in (not_before, issued_at) if t is not None), default=None)
    return (latest_start - skew if latest_start is not None else 0.0), expires + skew
