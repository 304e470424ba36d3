"""`tenantlab token forge`: a JWT for negative tests of an API, printed on stdout.

The forging is `tenantlab.testing.forge`'s; this module only turns flags into its arguments.
`--claim`/`--header` follow HTTPie's convention: `name=value` sets a string, `name:=json` a JSON
value (number, array, object, true/false/null), so `ver=1.0` stays the string Entra writes.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

import click

from tenantlab.cli._common import (
    CommandGroup,
    json_option_saying,
    platform_from,
    print_json,
    resolve_tenant,
    tenant_option,
)
from tenantlab.errors import ConfigError

if TYPE_CHECKING:
    from tenantlab.testing.forge import ForgeKey, TokenVersion

# The kinds TokenForge knows (tenantlab.testing.forge.FORGE_KEYS, repeated so `--help` imports
# neither cryptography nor the platform; tests/unit/cli/test_token_forge_cli.py keeps them equal).
KEY_CHOICES = ("tenant", "foreign", "none", "hs256-with-public-key", "hs256-with-empty-key")


@click.group(cls=CommandGroup)
def token() -> None:
    """Access tokens for testing APIs: forge one that is valid but for what you change."""


def parse_members(pairs: tuple[str, ...], what: str) -> dict[str, Any]:
    """`name=text` or `name:=json` pairs, as HTTPie writes them."""
    members: dict[str, Any] = {}
    for pair in pairs:
        name, json_sep, json_text = pair.partition(":=")
        if json_sep and "=" not in name:
            try:
                members[name] = json.loads(json_text)
            except json.JSONDecodeError:
                raise ConfigError(
                    f"--{what} {pair!r}: the value after ':=' is not JSON "
                    f"(write {name}=TEXT for a string)"
                ) from None
            continue
        name, sep, text = pair.partition("=")
        if not sep or not name:
            raise ConfigError(f"--{what} {pair!r}: write NAME=TEXT or NAME:=JSON")
        members[name] = text
    return members


@token.command("forge")
@tenant_option
@click.option(
    "--audience",
    "-a",
    required=True,
    metavar="API",
    help="The API the token is for: its appId or identifier URI (decides v1/v2 and `aud`, as "
    "the token service would), or any string for an API this tenant does not know.",
)
@click.option(
    "--client-id",
    metavar="APPID",
    help="The calling app: its `azp`/`appid`, service principal and consented roles "
    "(default: an invented client with no roles).",
)
@click.option("--role", "roles", multiple=True, metavar="ROLE", help="Set `roles` (repeatable).")
@click.option("--no-roles", is_flag=True, help="Leave `roles` out, as Entra does with none.")
@click.option(
    "--claim",
    "claims",
    multiple=True,
    metavar="NAME=TEXT|NAME:=JSON",
    help="Set a claim last (repeatable), e.g. --claim aud=api://other --claim nbf:=1900000000.",
)
@click.option("--omit-claim", multiple=True, metavar="NAME", help="Remove a claim (repeatable).")
@click.option(
    "--header",
    "headers",
    multiple=True,
    metavar="NAME=TEXT|NAME:=JSON",
    help="Set a JOSE header member (repeatable), e.g. --header jku=https://evil.example/keys.",
)
@click.option("--omit-header", multiple=True, metavar="NAME", help="Remove a header member.")
@click.option(
    "--key",
    type=click.Choice(KEY_CHOICES),
    default="tenant",
    show_default=True,
    help="What signs it: the tenant's active signing key, a key no JWKS publishes, nothing "
    "(alg none), HMAC keyed with the tenant's public key, or HMAC with an empty key.",
)
@click.option(
    "--public-key-form",
    type=click.Choice(("pem", "der", "jwk")),
    default="pem",
    show_default=True,
    help="With --key hs256-with-public-key: the spelling of the public key used as HMAC secret.",
)
@click.option("--expired", is_flag=True, help="Expired an hour ago (iat/nbf move with exp).")
@click.option("--issuer", metavar="URL", help="Replace `iss` (and v1's `idp`).")
@click.option(
    "--version",
    "token_version",
    type=click.Choice(("1", "2")),
    help="Claim set version (default: the API's requestedAccessTokenVersion).",
)
@json_option_saying("{token, header, claims}")
@click.pass_context
def forge(
    ctx: click.Context,
    tenant: str | None,
    audience: str,
    client_id: str | None,
    roles: tuple[str, ...],
    no_roles: bool,
    claims: tuple[str, ...],
    omit_claim: tuple[str, ...],
    headers: tuple[str, ...],
    omit_header: tuple[str, ...],
    key: ForgeKey,
    public_key_form: Any,
    expired: bool,
    issuer: str | None,
    token_version: str | None,
    as_json: bool,
) -> None:
    """Print a JWT for the API, valid except for what the options change.

    Signed with the tenant's own key unless --key says otherwise; for negative tests of an API
    (`tenantlab probe-api` fires the whole catalogue).
    """
    from tenantlab.served import public_origin
    from tenantlab.testing.forge import OMIT, TokenForge

    if roles and no_roles:
        raise ConfigError("--role and --no-roles exclude each other")
    platform = platform_from(ctx)
    chosen = resolve_tenant(platform, tenant)
    claim_changes = parse_members(claims, "claim") | dict.fromkeys(omit_claim, OMIT)
    header_changes = parse_members(headers, "header") | dict.fromkeys(omit_header, OMIT)
    version: TokenVersion | None = 1 if token_version == "1" else 2 if token_version else None
    origin = public_origin(platform.settings)  # the running server's, whose issuer APIs trust
    text = TokenForge(platform, chosen.id, origin=origin).forge(
        audience=audience,
        client_id=client_id,
        roles=() if no_roles else (roles or None),
        claims=claim_changes,
        headers=header_changes,
        key=key,
        expired=expired,
        issuer=issuer,
        version=version,
        public_key_form=public_key_form,
    )
    if not as_json:
        click.echo(text)
        return
    from tenantlab.testing.forge import decode_segments

    header, payload = decode_segments(text)
    print_json({"token": text, "header": header, "claims": payload})
