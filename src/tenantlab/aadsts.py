"""What an AADSTS code means for a daemon and how to fix it, in one line.

One text for every place that explains a failed token request: the daemon's one-line errors
(`daemon/explain.py`) and the admin center's sign-in detail pane (`portal`). Never a secret:
only the tenant and client id the caller already knows.
"""

from __future__ import annotations


def token_error_fix(code: int | None, *, tenant: str, client_id: str) -> str | None:
    """The cause and the fix of a token request refused with AADSTS`code`; None when unknown."""
    if code == 7000215:
        return "wrong secret: use the secret's Value, not its ID"
    if code == 7000222:
        return "the client secret has expired: add a new secret to the app"
    if code == 700016:
        return (
            f"no app with this client id in tenant {tenant}: check client id {client_id} and "
            "the tenant in the authority"
        )
    if code == 90002:
        return f"tenant {tenant} not found: check the tenant in the authority"
    if code == 500011:
        return (
            "the resource of the requested scope is not in this tenant: check the scope "
            "(api://<API application id>/.default) and that the API is registered there"
        )
    if code in (70011, 1002012):
        return (
            "invalid scope: the client credentials flow needs exactly one '<resource>/.default' "
            "scope"
        )
    if code in (700027, 700024, 7000214, 700023):
        return (
            "the certificate assertion was rejected: upload this certificate's public part to "
            "the app registration and sign with its private key"
        )
    if code in (70021, 700211, 700212, 700213):
        return (
            "no federated credential matches the token's issuer/subject/audience: add one to "
            "the app registration"
        )
    if code == 7000229:
        return (
            f"the app has no service principal in tenant {tenant}: add it to the tenant "
            "(admin consent)"
        )
    return None
