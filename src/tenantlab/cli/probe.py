"""`tenantlab probe-api URL`: the attack catalogue against an API, as a table or JSON for CI.

Exit status: 0 every attack refused; 1 an attack was accepted, made the API fail (5xx, no
answer) or made it fetch the attacker's URL; 3 the baseline (a valid token) was not accepted, so
nothing was probed; 2 a usage mistake. The work is `tenantlab.probe`'s.
"""

from __future__ import annotations

from pathlib import Path

import click

from tenantlab.cli._common import (
    CommandFailed,
    json_option_saying,
    platform_from,
    print_json,
    print_table,
    resolve_tenant,
    tenant_option,
)
from tenantlab.errors import ConfigError

EXIT_FINDINGS = 1
EXIT_BASELINE_FAILED = 3


class BaselineNotAccepted(CommandFailed):
    exit_code = EXIT_BASELINE_FAILED


@click.command("probe-api")
@click.argument("url")
@tenant_option
@click.option(
    "--audience",
    "-a",
    required=True,
    metavar="API",
    help="The API's appId or identifier URI (what its tokens are for).",
)
@click.option(
    "--client-id",
    required=True,
    metavar="APPID",
    help="A client the API accepts; its consented roles go into every token.",
)
@click.option(
    "--client-secret",
    metavar="SECRET",
    help="Get the baseline token from the running token service with this secret (default: "
    "mint it here, as the token service would, with the tenant's key).",
)
@click.option(
    "--required-role",
    "required_roles",
    multiple=True,
    metavar="ROLE",
    help="A role the endpoint accepts (repeat for each when any of several will do): the "
    "'unaccepted role' attack then sends the client's other roles (default, and when it has "
    "no other: a role no API defines). The client must hold one.",
)
@click.option("--method", "-X", default="GET", show_default=True, help="HTTP method.")
@click.option(
    "--data",
    "-d",
    metavar="BODY",
    help="Request body for every request (a write endpoint's valid input; sent as "
    "--content-type). An accepted attack really writes: probe a test deployment.",
)
@click.option("--content-type", default="application/json", show_default=True, help="Of --data.")
@click.option(
    "--only", multiple=True, metavar="ATTACK", help="Only these attacks (ids as in --json)."
)
@click.option(
    "--ca-bundle",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="CA bundle to trust for URL (default: tenantlab's, which includes the system CAs).",
)
@click.option("--timeout", type=float, default=10.0, show_default=True, help="Seconds per request.")
@json_option_saying("the report ({baseline, attacks: [{id, expected, status, verdict}], secure})")
@click.pass_context
def probe_api(
    ctx: click.Context,
    url: str,
    tenant: str | None,
    audience: str,
    client_id: str,
    client_secret: str | None,
    required_roles: tuple[str, ...],
    method: str,
    data: str | None,
    content_type: str,
    only: tuple[str, ...],
    ca_bundle: Path | None,
    timeout: float,
    as_json: bool,
) -> None:
    """Fire token attacks at URL, an endpoint protected by the tenant's Entra tokens.

    A valid token goes first and must be accepted; then each attack of the catalogue
    (docs/probe-api.md) is sent once and judged: refused, or ACCEPTED (exit 1).
    """
    import ssl

    import httpx

    from tenantlab.probe.catalogue import ATTACKS, ProbeContext, by_id
    from tenantlab.probe.runner import (
        AttackerListener,
        BaselineFailed,
        ProbeRequest,
        roles_of,
        run_probe,
        token_from_sts,
    )
    from tenantlab.served import public_origin
    from tenantlab.sts.urls import Endpoints
    from tenantlab.testing.forge import TokenForge

    try:
        attacks = by_id(list(only)) if only else ATTACKS
    except ValueError as exc:
        raise ConfigError(f"--only: {exc}") from None
    platform = platform_from(ctx)
    chosen = resolve_tenant(platform, tenant)
    origin = public_origin(platform.settings)
    forge = TokenForge(platform, chosen.id, origin=origin)
    bundle = ca_bundle or platform.settings.ca_bundle_path  # system CAs + tenantlab's
    verify = ssl.create_default_context(cafile=str(bundle)) if bundle.exists() else True
    with httpx.Client(verify=verify, timeout=timeout) as http:
        try:
            if client_secret is not None:
                token_endpoint = Endpoints(origin).token_v2(chosen.id)
                baseline = token_from_sts(
                    http, token_endpoint, client_id=client_id, secret=client_secret,
                    audience=audience,
                )  # fmt: skip
            else:
                baseline = forge.forge(audience=audience, client_id=client_id)
            roles = roles_of(baseline)
            if required_roles and not set(required_roles) & set(roles):
                raise ConfigError(
                    f"the client holds none of {', '.join(required_roles)} on {audience} (it "
                    f"holds {', '.join(roles) or 'none'}): grant one (`tenantlab app grant`) or "
                    "name the roles the endpoint accepts"
                )
            with AttackerListener.running() as listener:
                context = ProbeContext(
                    forge, audience, client_id, roles, required_roles, listener.url
                )
                request = ProbeRequest(
                    method.upper(), url, data.encode() if data is not None else None, content_type
                )
                report = run_probe(
                    http, request, baseline_token=baseline, context=context, listener=listener,
                    attacks=attacks,
                )  # fmt: skip
        except BaselineFailed as exc:
            if as_json:
                print_json({"url": url, "baseline": {"error": exc.message}, "secure": False})
            raise BaselineNotAccepted(exc.message) from None
    if as_json:
        print_json(report.as_json())
    else:
        rows = [("baseline: a valid token", "2xx", report.baseline.text, "accepted")]
        rows += [
            (r.attack.name, r.attack.expected.value, r.answer.text, r.verdict.value)
            for r in report.results
        ]
        print_table(f"{method.upper()} {url}", ["attack", "expected", "answer", "verdict"], rows)
        found = report.findings
        click.echo(
            f"{len(found)} of {len(report.results)} attacks not refused: "
            + ", ".join(r.attack.id for r in found)
            if found
            else f"all {len(report.results)} attacks refused"
        )
    if report.findings:
        ctx.exit(EXIT_FINDINGS)
