"""The status panel: where everything is, the ids a person would copy from the portal, and the
exports that make clients trust the local CA. Never a secret: those are in the config files."""

from __future__ import annotations

from tenantlab.keys import env_exports
from tenantlab.quickstart.configs import (
    Endpoints,
    SampleConfigs,
    api_scope,
    ciam_authority,
    workforce_authority,
)
from tenantlab.quickstart.provision import Provisioned

# Never the password itself: it was printed once when the account was made.
PORTAL_SIGN_IN = (
    "the password printed at first start (or TENANTLAB_PORTAL_PASSWORD); "
    "`tenantlab portal password` sets a new one"
)


def panel_lines(
    p: Provisioned, e: Endpoints, configs: SampleConfigs, *, stop_hint: bool
) -> list[str]:
    rows: list[tuple[str, str]] = [
        ("token service + Graph", e.cloud),
        ("admin center", f"{e.cloud}/portal"),
        ("  sign in", f"as admin: {PORTAL_SIGN_IN}"),
        ("ToDo API", e.todo_list),
        ("", ""),
        (f"{p.workforce.display_name} (workforce)", f"tenant id {p.workforce.id}"),
        ("  domain", p.workforce.domain),
        ("  authority", workforce_authority(p, e)),
        (f"  {p.workforce_daemon.display_name}", f"client id {p.workforce_daemon.app_id}"),
        ("", ""),
        (f"{p.external.display_name} (external)", f"tenant id {p.external.id}"),
        ("  domain", p.external.domain),
        (
            "  authority",
            f"{ciam_authority(p, e)}  (MSAL's form of https://{p.external.subdomain}"
            ".ciamlogin.com/)",
        ),
        (f"  {p.ciam_daemon.display_name}", f"client id {p.ciam_daemon.app_id}"),
        ("  certificate", f"thumbprint {p.certificate.thumbprint}"),
        (f"  {p.todo_api.display_name}", f"client id {p.todo_api.app_id}"),
        ("  API scope", api_scope(p)),
        ("", ""),
        ("sample configs", f"{configs.folder}  (owner-only: they hold the secrets)"),
    ]
    width = max(len(key) for key, _ in rows)
    lines = ["tenantlab is up" + ("  (Ctrl+C stops it)" if stop_hint else "")]
    lines += [f"  {key.ljust(width)}  {value}".rstrip() for key, value in rows]
    lines.append("  trust the local CA in other shells:")
    lines.append(f"    source {configs.env_sh}")
    lines += [
        f"    export {name}={value}"
        for name, value in env_exports(e.ca_bundle).items()
        if name != "CURL_CA_BUNDLE"
    ]
    rule = "-" * max(len(line) for line in lines)
    return [rule, *lines, rule]
