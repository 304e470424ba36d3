"""The token attacks `tenantlab probe-api` fires, as data: reference/api-security.md §2.

Each attack is the baseline token (the one the API must accept) changed in one way: forge
arguments over the baseline's (`TokenForge.forge`), and optionally a mutation of the signed text.
A forgery signed with the tenant's key stands for a token Entra really issues — to another API,
another tenant (Entra signs every tenant's tokens with the same keys), a client without the role,
or one that expired — so an API must refuse it on its claims. The other keys stand for an
attacker who holds no key of the tenant.

Rows of §2 that no attacker can produce against Entra (claims only the issuer could sign, such as
a numeric-string `exp` or a `crit` header) are left to the validator's unit tests.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from enum import Enum
from typing import TYPE_CHECKING, Any

from tenantlab.ids import MICROSOFT_GRAPH_RESOURCE, b64url, b64url_decode, new_guid
from tenantlab.testing.forge import OMIT, encode_segment, foreign_key

if TYPE_CHECKING:
    from tenantlab.testing.forge import TokenForge

# A role no API defines: what "a role the endpoint should not accept" sends by default.
UNACCEPTED_ROLE = "tenantlab.Probe.NotAnAcceptedRole"
HUGE_TOKEN_BYTES = 128 * 1024  # beyond every sane header cap (Entra tokens stay under ~8 KiB)
NESTING_DEPTH = 10_000  # deeper than Python's recursion limit: json.loads raises RecursionError
KID_TRAVERSAL = "../../../../../../../dev/null"


class Expected(Enum):
    """The answer an API owes an attack (RFC 6750 §3.1)."""

    INVALID_TOKEN = "401"  # authentication fails
    INSUFFICIENT = "403"  # authenticated, but not allowed
    REFUSED = "401/403"  # either is right (APIs differ: MIW says 401, others 403)

    def satisfied_by(self, status: int) -> bool:
        if self is Expected.INVALID_TOKEN:
            return status == 401
        if self is Expected.INSUFFICIENT:
            return status == 403
        return status in (401, 403)


@dataclass(frozen=True)
class ProbeContext:
    """What the attacks are built from: the forge, the baseline's arguments, the listener."""

    forge: TokenForge
    audience: str
    client_id: str
    baseline_roles: tuple[str, ...]
    accepted_roles: tuple[str, ...]  # the roles the endpoint accepts, any of them (may be none)
    listener_url: str  # a loopback URL serving the foreign key (jku/x5u targets)

    def baseline(self, **changes: Any) -> str:
        """The baseline token with `changes` to the forge arguments."""
        arguments: dict[str, Any] = {"audience": self.audience, "client_id": self.client_id}
        return self.forge.forge(**(arguments | changes))

    def unaccepted_roles(self) -> list[str]:
        """Roles the endpoint must not accept: the client's roles that are none of the accepted
        ones (a read role at a write endpoint), else a role no API defines."""
        if self.accepted_roles:
            others = [r for r in self.baseline_roles if r not in self.accepted_roles]
            if others:
                return others
        return [UNACCEPTED_ROLE]


Build = Callable[[ProbeContext], str | None]  # the Authorization header value (None: none)


@dataclass(frozen=True)
class Attack:
    """One row: an id for `--json` and `--only`, a readable name, §2's row, the answer owed."""

    id: str
    name: str
    row: int
    expected: Expected
    build: Build
    # Whether the attack points the API at the probe's listener (a fetch there is a finding).
    uses_listener: bool = False


def bearer(token: str) -> str:
    return f"Bearer {token}"


def _forged(**changes: Any) -> Build:
    return lambda ctx: bearer(ctx.baseline(**changes))


def _with_headers(key: str, headers: Callable[[ProbeContext], dict[str, Any]]) -> Build:
    return lambda ctx: bearer(ctx.baseline(key=key, headers=headers(ctx)))


def _claims(claims: Callable[[ProbeContext], dict[str, Any]]) -> Build:
    return lambda ctx: bearer(ctx.baseline(claims=claims(ctx)))


def _segments(ctx: ProbeContext) -> list[str]:
    return ctx.baseline().split(".")


def _stripped(ctx: ProbeContext) -> str:
    header, payload, _ = _segments(ctx)
    return bearer(f"{header}.{payload}.")


def _two_segments(ctx: ProbeContext) -> str:
    header, payload, _ = _segments(ctx)
    return bearer(f"{header}.{payload}")


def _tampered(ctx: ProbeContext) -> str:
    """The baseline's signature over a payload granting more (row 18)."""
    header, payload, signature = _segments(ctx)
    claims = json.loads(b64url_decode(payload))
    claims["roles"] = [*claims.get("roles", []), "Admin", *ctx.unaccepted_roles()]
    return bearer(f"{header}.{encode_segment(claims)}.{signature}")


def _header_replaced(header: bytes) -> Build:
    def build(ctx: ProbeContext) -> str:
        _, payload, signature = _segments(ctx)
        return bearer(f"{b64url(header)}.{payload}.{signature}")

    return build


def _huge(ctx: ProbeContext) -> str:
    return bearer(ctx.baseline(claims={"pad": "A" * HUGE_TOKEN_BYTES}))


def _other_tenant(ctx: ProbeContext) -> dict[str, Any]:
    tenant_id = new_guid()
    return {"tid": tenant_id, "iss": ctx.forge.endpoints.issuer_v2(tenant_id)}


def _foreign_jwk(ctx: ProbeContext) -> dict[str, Any]:
    jwk = foreign_key().jwk(ctx.forge.issuer_v2)
    return {k: jwk[k] for k in ("kty", "use", "kid", "n", "e")}


def _foreign_x5c(ctx: ProbeContext) -> dict[str, Any]:
    return {"x5c": foreign_key().jwk(ctx.forge.issuer_v2)["x5c"]}


ATTACKS: tuple[Attack, ...] = (
    Attack("no-token", "no Authorization header", 0, Expected.INVALID_TOKEN, lambda ctx: None),
    Attack("alg-none", "alg none, empty signature", 1, Expected.INVALID_TOKEN, _forged(key="none")),
    Attack(
        "alg-none-mixed-case",
        "alg nOnE, empty signature",
        1,
        Expected.INVALID_TOKEN,
        _with_headers("none", lambda ctx: {"alg": "nOnE"}),
    ),
    Attack(
        "hs256-public-key-pem",
        "HS256 keyed with the public key (PEM)",
        2,
        Expected.INVALID_TOKEN,
        _forged(key="hs256-with-public-key", public_key_form="pem"),
    ),
    Attack(
        "hs256-public-key-der",
        "HS256 keyed with the public key (DER)",
        2,
        Expected.INVALID_TOKEN,
        _forged(key="hs256-with-public-key", public_key_form="der"),
    ),
    Attack(
        "hs256-public-key-jwk",
        "HS256 keyed with the public key (JWK)",
        2,
        Expected.INVALID_TOKEN,
        _forged(key="hs256-with-public-key", public_key_form="jwk"),
    ),
    Attack(
        "foreign-key",
        "signed by a key not in the JWKS",
        3,
        Expected.INVALID_TOKEN,
        _forged(key="foreign"),
    ),
    Attack(
        "foreign-key-known-kid",
        "foreign key, the tenant's kid",
        4,
        Expected.INVALID_TOKEN,
        _with_headers("foreign", lambda ctx: {"kid": ctx.forge.signing_key().kid}),
    ),
    Attack(
        "kid-path-traversal",
        "kid ../../dev/null, HS256 with an empty key",
        5,
        Expected.INVALID_TOKEN,
        _with_headers("hs256-with-empty-key", lambda ctx: {"kid": KID_TRAVERSAL}),
    ),
    Attack(
        "kid-sql-injection",
        "kid SQL injection, foreign key",
        5,
        Expected.INVALID_TOKEN,
        _with_headers("foreign", lambda ctx: {"kid": "x' UNION SELECT 'key' --"}),
    ),
    Attack(
        "jku-injection",
        "jku pointing at the attacker's JWKS",
        6,
        Expected.INVALID_TOKEN,
        _with_headers("foreign", lambda ctx: {"jku": f"{ctx.listener_url}/jwks.json"}),
        uses_listener=True,
    ),
    Attack(
        "x5u-injection",
        "x5u pointing at the attacker's certificate",
        6,
        Expected.INVALID_TOKEN,
        _with_headers("foreign", lambda ctx: {"x5u": f"{ctx.listener_url}/cert.pem"}),
        uses_listener=True,
    ),
    Attack(
        "jwk-embedded",
        "the attacker's key embedded as jwk",
        7,
        Expected.INVALID_TOKEN,
        _with_headers("foreign", lambda ctx: {"jwk": _foreign_jwk(ctx)}),
    ),
    Attack(
        "x5c-embedded",
        "the attacker's certificate embedded as x5c",
        7,
        Expected.INVALID_TOKEN,
        _with_headers("foreign", _foreign_x5c),
    ),
    Attack("expired", "expired an hour ago", 8, Expected.INVALID_TOKEN, _forged(expired=True)),
    Attack(
        "nbf-future",
        "not valid before an hour from now",
        9,
        Expected.INVALID_TOKEN,
        _claims(lambda ctx: {"nbf": int(ctx.forge.now()) + 3600}),
    ),
    Attack(
        "wrong-audience",
        "aud another API's appId",
        12,
        Expected.INVALID_TOKEN,
        _claims(lambda ctx: {"aud": new_guid()}),
    ),
    Attack(
        "graph-token",
        "a Microsoft Graph token replayed",
        12,
        Expected.INVALID_TOKEN,
        _forged(audience=MICROSOFT_GRAPH_RESOURCE),
    ),
    Attack(
        "wrong-issuer",
        "iss of another authority",
        13,
        Expected.INVALID_TOKEN,
        lambda ctx: bearer(ctx.baseline(issuer=f"https://evil.example/{ctx.forge.tenant_id}/v2.0")),
    ),
    Attack(
        "other-tenant",
        "another tenant's token (tid and iss)",
        14,
        Expected.INVALID_TOKEN,
        _claims(_other_tenant),
    ),
    Attack(
        "no-roles",
        "app token without roles",
        16,
        Expected.REFUSED,
        _claims(lambda ctx: {"roles": OMIT}),
    ),
    Attack(
        "unaccepted-role",
        "a role the endpoint should not accept",
        16,
        Expected.INSUFFICIENT,
        lambda ctx: bearer(ctx.baseline(roles=ctx.unaccepted_roles())),
    ),
    Attack(
        "unrelated-scope",
        "user token with an unrelated scope",
        16,
        Expected.REFUSED,
        _claims(lambda ctx: {"roles": OMIT, "idtyp": OMIT, "scp": "Probe.Unrelated"}),
    ),
    Attack("signature-stripped", "empty signature segment", 17, Expected.INVALID_TOKEN, _stripped),
    Attack("two-segments", "signature segment removed", 17, Expected.INVALID_TOKEN, _two_segments),
    Attack(
        "tampered-payload", "roles added, signature kept", 18, Expected.INVALID_TOKEN, _tampered
    ),
    Attack("huge-token", "a 128 KiB token", 20, Expected.INVALID_TOKEN, _huge),
    Attack(
        "nested-header",
        "a header nested 10 000 deep",
        20,
        Expected.INVALID_TOKEN,
        _header_replaced(b"[" * NESTING_DEPTH),
    ),
    Attack(
        "malformed-header",
        "a header that is not JSON",
        21,
        Expected.INVALID_TOKEN,
        _header_replaced(b'{"alg":"RS256",'),
    ),
    Attack(
        "jwe-five-segments",
        "five segments (JWE)",
        28,
        Expected.INVALID_TOKEN,
        lambda ctx: bearer("a.b.c.d.e"),
    ),
)


def by_id(ids: list[str]) -> tuple[Attack, ...]:
    """The attacks named, in catalogue order; an unknown id is a ValueError naming the known."""
    known = {a.id for a in ATTACKS}
    unknown = [i for i in ids if i not in known]
    if unknown:
        raise ValueError(f"unknown attack {', '.join(unknown)}; known: {', '.join(sorted(known))}")
    return tuple(a for a in ATTACKS if a.id in ids)
