"""Thousands of malformed tokens against the real servers: never a 5xx, never a slow answer.

Issue 11, item 1. One deterministic corpus (fixed seed) of malformed compact JWSs: random bytes,
deep nesting, huge tokens, non-finite numbers, wrong claim and header types, duplicate members,
bad base64url, `crit`, other algorithms, broken structure and random mutations of a genuine
token. Many are validly signed with the key the target trusts (the tenant's signing key, or the
certificate registered on the client app), so the checks after the signature are fuzzed too.
The corpus goes to Graph (`GET /v1.0/users`), the ToDo API (`GET /api/todolist`) and the token
endpoint (`client_assertion`), each under real uvicorn with TLS, over one kept-alive connection.

Every answer must be below 500 and arrive within MAX_SECONDS (generous: the machine is shared).
Tokens that no server may accept (everything but the "wrong types" family, where a mistyped claim
nobody reads is harmless) must also be refused.
"""

from __future__ import annotations

import base64
import hashlib
import json
import random
import ssl
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from tenantlab.ids import MICROSOFT_GRAPH_RESOURCE, b64url
from tenantlab.keys import ensure_tls
from tenantlab.keys.client_certificates import self_signed_certificate
from tenantlab.testing import serve_in_thread
from tenantlab.todo import TodoApiSettings, build_app

pytestmark = pytest.mark.integration

LiveCloud = Any  # fixture types live in tests/integration/conftest.py (tests is no package)
Tenant = Any

SEED = 20261204
MIN_TOKENS = 2000
MAX_SECONDS = 2.0
JWT_BEARER = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
NON_FINITE = ["NaN", "Infinity", "-Infinity", "1e400", "-1e999", "1E309"]
ODD_VALUES: list[Any] = [
    None,
    True,
    False,
    0,
    -1,
    1.5,
    1e308,
    10**30,
    "",
    "x",
    "9" * 40,
    [],
    {},
    [[]],
    [1, 2],
    ["a", 1],
    {"a": {"b": []}},
    "\u0000",
    "\ud800",
]


@dataclass(frozen=True)
class Crafted:
    family: str
    token: str
    must_refuse: bool = True


@dataclass
class Target:
    """What a server trusts: a header and claims it would accept, and a way to sign like it."""

    name: str
    header: dict[str, Any]
    claims: dict[str, Any]
    private_key: rsa.RSAPrivateKey
    send: Callable[[httpx.Client, str], httpx.Response]
    client: httpx.Client
    padding_tolerated: bool = False  # exact '=' padding is fine for client assertions (aio)

    def sign(self, header: str | dict[str, Any], payload: str | dict[str, Any]) -> str:
        h = header if isinstance(header, str) else json.dumps(header)
        p = payload if isinstance(payload, str) else json.dumps(payload)
        signing_input = f"{b64url(h.encode('utf-8', 'surrogatepass'))}."
        signing_input += b64url(p.encode("utf-8", "surrogatepass"))
        signature = self.private_key.sign(
            signing_input.encode(), padding.PKCS1v15(), hashes.SHA256()
        )
        return f"{signing_input}.{b64url(signature)}"

    def genuine(self) -> str:
        return self.sign(self.header, self.claims)


# -- the corpus ---------------------------------------------------------------------------------


def _b64(data: bytes | str) -> str:
    return b64url(data.encode("utf-8", "surrogatepass") if isinstance(data, str) else data)


def _printable(rng: random.Random, size: int) -> str:
    """Header-safe random text: visible ASCII and Latin-1 letters, dots included."""
    alphabet = [chr(c) for c in range(0x21, 0x7F)] + [chr(c) for c in range(0xA1, 0x100)]
    return "".join(rng.choice(alphabet) for _ in range(size))


def random_bytes(rng: random.Random, target: Target) -> Iterator[Crafted]:
    for _ in range(450):
        segments = [_b64(rng.randbytes(rng.randint(0, 300))) for _ in range(3)]
        yield Crafted("random-bytes", ".".join(segments))
    for _ in range(150):
        yield Crafted("random-text", _printable(rng, rng.randint(1, 400)))


def _random_json(rng: random.Random, depth: int = 0) -> Any:
    kind = rng.randrange(8 if depth < 4 else 5)
    if kind == 0:
        return rng.choice([None, True, False])
    if kind == 1:
        return rng.randint(-(2**70), 2**70)
    if kind == 2:
        return rng.uniform(-1e300, 1e300)
    if kind in (3, 4):
        return _printable(rng, rng.randint(0, 20))
    if kind in (5, 6):
        return {_printable(rng, 3): _random_json(rng, depth + 1) for _ in range(rng.randint(0, 5))}
    return [_random_json(rng, depth + 1) for _ in range(rng.randint(0, 5))]


def random_json(rng: random.Random, target: Target) -> Iterator[Crafted]:
    """Validly signed, well-formed JSON of random shape: the claim checks must hold, not crash."""
    for _ in range(400):
        claims = {_printable(rng, 4): _random_json(rng) for _ in range(rng.randint(0, 8))}
        if rng.random() < 0.5:  # mix in some of the claims the target reads, with odd values
            for name in rng.sample(sorted(target.claims), k=3):
                claims[name] = _random_json(rng)
        yield Crafted("random-json", target.sign(target.header, claims))


def nesting(rng: random.Random, target: Target) -> Iterator[Crafted]:
    for depth in (31, 32, 33, 40, 100, 1000, 3000, 5000):
        for opener, closer in (("[", "]"), ('{"a":', "}")):
            deep = opener * depth + "1" + closer * depth
            payload = json.dumps(target.claims)[:-1] + f', "deep": {deep}}}'
            yield Crafted("nesting", target.sign(target.header, payload), must_refuse=depth > 31)
            yield Crafted("nesting", f"{_b64(deep)}.e30.AAAA")
            yield Crafted("nesting", f"{_b64(json.dumps(target.header))}.{_b64(deep)}.AAAA")


def huge(rng: random.Random, target: Target) -> Iterator[Crafted]:
    header = _b64(json.dumps(target.header))
    for size in (16 * 1024 + 1, 20_000, 100_000, 1_000_000):
        yield Crafted("huge", f"{header}.{'A' * size}.AAAA")
        yield Crafted("huge", "." * size)
    padded = dict(target.claims, filler="x" * 20_000)
    yield Crafted("huge", target.sign(target.header, padded))


def non_finite(rng: random.Random, target: Target) -> Iterator[Crafted]:
    names = [*target.claims, "exp", "nbf", "iat", "custom"]
    for name in dict.fromkeys(names):
        for literal in NON_FINITE:
            claims = dict(target.claims)
            claims[name] = 0
            body = json.dumps(claims).replace(f'"{name}": 0', f'"{name}": {literal}', 1)
            yield Crafted("non-finite", target.sign(target.header, body))
    for literal in NON_FINITE:
        header = json.dumps(target.header)[:-1] + f', "x": {literal}}}'
        yield Crafted("non-finite", target.sign(header, target.claims))


def wrong_types(rng: random.Random, target: Target) -> Iterator[Crafted]:
    for name in target.claims:
        for value in ODD_VALUES:
            claims = dict(target.claims)
            claims[name] = value
            yield Crafted("wrong-types", target.sign(target.header, claims), must_refuse=False)
    for name in ("alg", "kid", "typ", "x5t"):
        for value in ODD_VALUES:
            header = dict(target.header)
            header[name] = value
            must_refuse = name == "alg"
            yield Crafted("wrong-types", target.sign(header, target.claims), must_refuse)


def duplicates(rng: random.Random, target: Target) -> Iterator[Crafted]:
    for name, value in target.claims.items():
        body = json.dumps(target.claims)[:-1]
        for twin in (value, "evil", [value], None):
            yield Crafted(
                "duplicates",
                target.sign(target.header, f"{body}, {json.dumps(name)}: {json.dumps(twin)}}}"),
            )
    for name, value in target.header.items():
        header = json.dumps(target.header)[:-1] + f", {json.dumps(name)}: {json.dumps(value)}}}"
        yield Crafted("duplicates", target.sign(header, target.claims))


def bad_base64(rng: random.Random, target: Target) -> Iterator[Crafted]:
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
    for _ in range(120):
        parts = target.genuine().split(".")
        index = rng.randrange(3)
        segment = parts[index]
        kind = rng.choice(["pad", "std", "space", "bits", "short", "latin1", "percent", "plus"])
        must_refuse = True
        if kind == "pad":
            segment += "=" * rng.randint(1, 4)
            exact = len(segment) % 4 == 0 and len(segment.rstrip("=")) % 4 != 0
            must_refuse = not (exact and target.padding_tolerated)
        elif kind == "std":
            segment = segment.replace("-", "+").replace("_", "/") + "+/"
        elif kind == "space":
            at = rng.randrange(len(segment))
            segment = segment[:at] + rng.choice([" ", "\t"]) + segment[at:]
        elif kind == "bits" and len(segment) % 4 in (2, 3):
            segment = segment[:-1] + alphabet[alphabet.index(segment[-1]) ^ 1]
        elif kind == "short":
            segment = segment[: 4 * (len(segment) // 4) - 3]
        elif kind == "latin1":
            at = rng.randrange(len(segment))
            segment = segment[:at] + "é" + segment[at + 1 :]
        elif kind == "percent":
            segment = segment[:4] + "%3D" + segment[4:]
        else:
            segment = "+" + segment
        parts[index] = segment
        yield Crafted("bad-base64", ".".join(parts), must_refuse)


def crit(rng: random.Random, target: Target) -> Iterator[Crafted]:
    for value in (["exp"], ["b64"], [], "exp", None, [1], ["kid"], {"a": 1}):
        header = dict(target.header, crit=value, b64=False)
        yield Crafted("crit", target.sign(header, target.claims))


def algorithms(rng: random.Random, target: Target) -> Iterator[Crafted]:
    for alg in ("none", "None", "HS256", "HS512", "ES256", "PS256", "RS512", "EdDSA", ""):
        header = dict(target.header, alg=alg)
        signed = target.sign(header, target.claims)
        yield Crafted("algorithms", signed)
        yield Crafted("algorithms", signed.rsplit(".", 1)[0] + ".")
        yield Crafted("algorithms", signed.rsplit(".", 1)[0])


def structure(rng: random.Random, target: Target) -> Iterator[Crafted]:
    genuine = target.genuine()
    h, p, s = genuine.split(".")
    shapes = [
        "",
        ".",
        "..",
        "...",
        "a.b.c.d.e",
        f"{h}.{p}",
        f"{h}.{p}.{s}.{s}",
        f"{p}.{h}.{s}",
        f"{h}.{h}.{s}",
        f".{p}.{s}",
        f"{h}..{s}",
        f"{h}.{p}.{s}.",
        f"Bearer {genuine}",
        f"{genuine} {genuine}",
        f"{genuine},{genuine}",
        "e30.e30.e30",
        "W10.W10.W10",
        "bnVsbA.bnVsbA.bnVsbA",
    ]
    for shape in shapes:
        yield Crafted("structure", shape)


def mutations(rng: random.Random, target: Target) -> Iterator[Crafted]:
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
    genuine = target.genuine()
    for _ in range(500):
        chars = list(genuine)
        for _ in range(rng.randint(1, 4)):
            at = rng.randrange(len(chars))
            if chars[at] != ".":
                chars[at] = rng.choice(alphabet)
        mutated = "".join(chars)
        if mutated != genuine:
            yield Crafted("mutations", mutated)
    for _ in range(100):
        yield Crafted("mutations", genuine[: rng.randrange(len(genuine))])


FAMILIES = [
    random_bytes,
    random_json,
    nesting,
    huge,
    non_finite,
    wrong_types,
    duplicates,
    bad_base64,
    crit,
    algorithms,
    structure,
    mutations,
]


def corpus(target: Target) -> list[Crafted]:
    rng = random.Random(SEED)
    return [crafted for family in FAMILIES for crafted in family(rng, target)]


# -- the servers ----------------------------------------------------------------------------------


def _client(cloud: LiveCloud, base_url: str) -> httpx.Client:
    return httpx.Client(
        base_url=base_url,
        verify=ssl.create_default_context(cafile=str(cloud.ca_bundle)),
        timeout=30.0,
    )


def _bearer(path: str) -> Callable[[httpx.Client, str], httpx.Response]:
    def send(client: httpx.Client, token: str) -> httpx.Response:
        # h11 refuses to send a header value that ends in whitespace; the server would strip it.
        value = f"Bearer {token}".rstrip(" \t").encode("utf-8", "surrogatepass")
        return client.get(path, headers={"Authorization": value})

    return send


@pytest.fixture
def graph_target(cloud: LiveCloud, tenant: Tenant) -> Iterator[Target]:
    material = cloud.platform.keys.active(tenant.id)
    now = int(time.time())
    issuer = f"{cloud.origin}/{tenant.id}/"
    oid = str(uuid.uuid4())
    claims = {
        "aud": MICROSOFT_GRAPH_RESOURCE,
        "iss": issuer,
        "iat": now - 300,
        "nbf": now - 300,
        "exp": now + 3600,
        "appid": str(uuid.uuid4()),
        "idp": issuer,
        "idtyp": "app",
        "oid": oid,
        "roles": ["User.Read.All"],
        "sub": oid,
        "tid": tenant.id,
        "ver": "1.0",
    }
    header = {"typ": "JWT", "alg": "RS256", "kid": material.kid, "x5t": material.kid}
    with _client(cloud, cloud.origin) as client:
        yield Target("graph", header, claims, material.private_key, _bearer("/v1.0/users"), client)


@pytest.fixture
def todo_target(cloud: LiveCloud, tenant: Tenant, tmp_path: Path) -> Iterator[Target]:
    directory = cloud.directory
    api = directory.create_application(
        tenant=tenant.id,
        display_name="fuzzed-api",
        identifier_uris=["api://{appId}"],
        requested_access_token_version=2,
    )
    settings = TodoApiSettings(
        instance=cloud.origin,
        tenant_id=tenant.id,
        client_id=api.app_id,
        ca_bundle=cloud.ca_bundle,
        database_url=f"sqlite:///{tmp_path / 'todo.db'}",
        home=tmp_path,
    )
    material = cloud.platform.keys.active(tenant.id)
    now = int(time.time())
    oid = str(uuid.uuid4())
    claims = {
        "aud": api.app_id,
        "iss": f"{cloud.origin}/{tenant.id}/v2.0",
        "iat": now - 300,
        "nbf": now - 300,
        "exp": now + 3600,
        "azp": str(uuid.uuid4()),
        "idtyp": "app",
        "oid": oid,
        "roles": ["ToDoList.Read.All"],
        "sub": oid,
        "tid": tenant.id,
        "ver": "2.0",
    }
    header = {"typ": "JWT", "alg": "RS256", "kid": material.kid}
    tls = ensure_tls(cloud.home)
    with (
        serve_in_thread(
            lambda _port: build_app(settings), certfile=tls.server_cert, keyfile=tls.server_key
        ) as server,
        _client(cloud, server.origin) as client,
    ):
        target = Target(
            "todo", header, claims, material.private_key, _bearer("/api/todolist"), client
        )
        assert target.send(client, target.genuine()).status_code == 200
        yield target


@pytest.fixture
def assertion_target(cloud: LiveCloud, tenant: Tenant) -> Iterator[Target]:
    import datetime as dt

    directory = cloud.directory
    app = directory.create_application(tenant=tenant.id, display_name="fuzzed-daemon")
    key, cert = self_signed_certificate("fuzzed-daemon", start=dt.datetime.now(dt.UTC), days=2)
    der = cert.public_bytes(serialization.Encoding.DER)
    directory.add_certificate(
        tenant=tenant.id,
        app=app.app_id,
        certificate_pem_or_der=cert.public_bytes(serialization.Encoding.PEM),
    )
    token_endpoint = f"{cloud.origin}/{tenant.id}/oauth2/v2.0/token"
    now = int(time.time())
    claims = {
        "aud": token_endpoint,
        "iss": app.app_id,
        "sub": app.app_id,
        "jti": str(uuid.uuid4()),
        "iat": now,
        "nbf": now,
        "exp": now + 600,
    }
    thumbprint = base64.urlsafe_b64encode(hashlib.sha1(der).digest()).decode()
    header = {"alg": "RS256", "typ": "JWT", "x5t": thumbprint}

    def send(client: httpx.Client, token: str) -> httpx.Response:
        form = {
            "client_id": app.app_id,
            "grant_type": "client_credentials",
            "scope": f"{MICROSOFT_GRAPH_RESOURCE}/.default",
            "client_assertion_type": JWT_BEARER,
            "client_assertion": token,
        }
        body = "&".join(f"{name}={_form_escape(value)}" for name, value in form.items()).encode(
            "ascii"
        )
        headers = {"Content-Type": "application/x-www-form-urlencoded"}
        return client.post(f"/{tenant.id}/oauth2/v2.0/token", content=body, headers=headers)

    with _client(cloud, cloud.origin) as client:
        target = Target("token endpoint", header, claims, key, send, client, True)
        accepted = target.send(client, target.genuine())
        assert accepted.status_code == 200, accepted.text
        yield target


def _form_escape(value: str) -> str:
    from urllib.parse import quote

    return quote(value.encode("utf-8", "surrogatepass"), safe="")


# -- the test ------------------------------------------------------------------------------------


def fuzz(target: Target) -> None:
    tokens = corpus(target)
    assert len(tokens) >= MIN_TOKENS
    failures: list[str] = []
    slowest = 0.0
    started = time.perf_counter()
    for index, crafted in enumerate(tokens):
        before = time.perf_counter()
        try:
            response = target.send(target.client, crafted.token)
        except httpx.HTTPError as exc:  # a dropped connection is a failure too, not a crash
            failures.append(f"#{index} {crafted.family}: {type(exc).__name__} {exc}")
            continue
        elapsed = time.perf_counter() - before
        slowest = max(slowest, elapsed)
        refused = 400 <= response.status_code < 500
        if response.status_code >= 500 or elapsed > MAX_SECONDS:
            failures.append(f"#{index} {crafted.family}: {response.status_code} in {elapsed:.2f}s")
        elif crafted.must_refuse and not refused:
            failures.append(f"#{index} {crafted.family}: accepted ({response.status_code})")
    total = time.perf_counter() - started
    print(f"{target.name}: {len(tokens)} tokens in {total:.1f}s, slowest {slowest:.3f}s")
    assert not failures, f"{len(failures)} of {len(tokens)}: " + "; ".join(failures[:20])


def test_graph_answers_every_malformed_token_with_a_4xx(graph_target: Target) -> None:
    fuzz(graph_target)


def test_the_todo_api_answers_every_malformed_token_with_a_4xx(todo_target: Target) -> None:
    fuzz(todo_target)


def test_the_token_endpoint_answers_every_malformed_client_assertion_with_a_4xx(
    assertion_target: Target,
) -> None:
    fuzz(assertion_target)
