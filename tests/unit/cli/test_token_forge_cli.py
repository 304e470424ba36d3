"""`tenantlab token forge`: flags become TokenForge's arguments; mistakes are one line, exit 2."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import jwt
import pytest
from click.testing import Result

from tenantlab.cli.token import KEY_CHOICES
from tenantlab.testing.forge import FORGE_KEYS

Run = Callable[..., Result]
RunJson = Callable[..., Any]


@pytest.fixture
def tenant(run_json: RunJson) -> dict[str, Any]:
    created: dict[str, Any] = run_json(
        "tenant", "create", "--name", "Contoso", "--domain", "contoso"
    )
    return created


def test_the_key_choices_are_the_forges(tenant: dict[str, Any]) -> None:
    assert KEY_CHOICES == FORGE_KEYS


def test_a_forged_token_is_printed_alone_and_carries_what_was_asked(
    run: Run, run_json: RunJson, tenant: dict[str, Any]
) -> None:
    api = run_json(
        "app", "create", "--name", "Orders", "--identifier-uri", "api://orders",
        "--token-version", "2", "-t", "contoso",
    )  # fmt: skip
    text = run(
        "token", "forge", "-t", "contoso", "--audience", "api://orders",
        "--claim", "ver=1.0", "--claim", "nbf:=1900000000", "--claim", "roles:=[\"A\",\"B\"]",
        "--omit-claim", "aio", "--header", "jku=https://evil.example/keys", "--expired",
    ).stdout.strip()  # fmt: skip
    assert text.count(".") == 2
    assert "\n" not in text
    header = jwt.get_unverified_header(text)
    claims = jwt.decode(text, options={"verify_signature": False})
    assert header["alg"] == "RS256"
    assert header["jku"] == "https://evil.example/keys"
    assert claims["aud"] == api["appId"]  # a v2 API: aud is its appId, as Entra writes it
    assert claims["ver"] == "1.0"
    assert claims["nbf"] == 1900000000
    assert claims["roles"] == ["A", "B"]
    assert "aio" not in claims
    assert claims["exp"] < claims["nbf"]


@pytest.mark.parametrize("key", ["none", "foreign", "hs256-with-public-key"])
def test_the_key_flag_and_json_output(run_json: RunJson, tenant: dict[str, Any], key: str) -> None:
    shown = run_json("token", "forge", "-t", "contoso", "-a", "api://x", "--key", key)
    assert set(shown) == {"token", "header", "claims"}
    assert shown["header"]["alg"] == {"none": "none", "foreign": "RS256"}.get(key, "HS256")
    assert shown["claims"]["aud"] == "api://x"
    assert jwt.get_unverified_header(shown["token"]) == shown["header"]


def test_roles_flags(run_json: RunJson, tenant: dict[str, Any]) -> None:
    base = ("token", "forge", "-t", "contoso", "-a", "api://x")
    assert run_json(*base, "--role", "A", "--role", "B")["claims"]["roles"] == ["A", "B"]
    assert "roles" not in run_json(*base, "--no-roles")["claims"]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--claim", "aud"], "write NAME=TEXT or NAME:=JSON"),
        (["--claim", "roles:=[oops"], "is not JSON"),
        (["--role", "A", "--no-roles"], "exclude each other"),
    ],
)
def test_mistakes_are_one_line_and_exit_2(
    run: Run, tenant: dict[str, Any], args: list[str], message: str
) -> None:
    result = run("token", "forge", "-t", "contoso", "-a", "api://x", *args, code=2)
    assert message in result.stderr
    assert "Traceback" not in result.output
    assert len(result.stderr.strip().splitlines()) == 1


def test_an_unknown_tenant_says_which_exist(run: Run, tenant: dict[str, Any]) -> None:
    result = run("token", "forge", "-t", "fabrikam", "-a", "api://x", code=1)
    assert "fabrikam" in result.stderr
    assert "contoso" in result.stderr
