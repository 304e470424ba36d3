"""`tenantlab app cert ...` and `tenantlab app federated ...`: credentials without a shared secret.

`cert add --new` makes the key pair on the user's machine and stores only the certificate, as the
portal does when one uploads a .cer: the platform never holds an app's private key. The key file
holds the private key *and* the certificate (the PEM layout azure-identity's CertificateCredential
and MSAL's `public_certificate` read), readable by its owner only.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import click

from tenantlab.cli._common import (
    CommandGroup,
    json_option,
    json_option_saying,
    platform_from,
    print_fields,
    print_json,
    print_table,
    resolve_tenant,
    tenant_option,
)
from tenantlab.clock import iso_z
from tenantlab.config import write_private_file
from tenantlab.errors import ConfigError
from tenantlab.graph.shapes import federated_credential_json, key_credential_json
from tenantlab.ids import FEDERATION_AUDIENCE, b64url

DEFAULT_CERT_DAYS = 365


@click.group(cls=CommandGroup)
def cert() -> None:
    """Certificate credentials (keyCredentials) of an app: private_key_jwt client assertions."""


@cert.command("add")
@click.argument("application")
@click.option(
    "--cert",
    "cert_file",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="Upload this certificate (.pem, .cer or .crt; the public part only).",
)
@click.option("--new", "make_new", is_flag=True, help="Make a key pair and a self-signed cert.")
@click.option(
    "--out",
    type=click.Path(dir_okay=False, path_type=Path),
    help="With --new: where to write the private key + certificate (default ./<appId>.pem).",
)
@click.option(
    "--days",
    type=click.IntRange(min=1, max=3650),
    default=DEFAULT_CERT_DAYS,
    show_default=True,
    help="With --new: how long the certificate is valid.",
)
@click.option("--name", "display_name", help="Display name of the credential.")
@tenant_option
@json_option
@click.pass_context
def add(
    ctx: click.Context,
    application: str,
    cert_file: Path | None,
    make_new: bool,
    out: Path | None,
    days: int,
    display_name: str | None,
    tenant: str | None,
    as_json: bool,
) -> None:
    """Register a certificate on an app; print its thumbprints (x5t is what clients send)."""
    if (cert_file is None) == (not make_new):
        raise click.UsageError("give exactly one of --cert FILE or --new")
    if out is not None and not make_new:
        raise click.UsageError("--out goes with --new")
    platform = platform_from(ctx)
    t = resolve_tenant(platform, tenant)
    found = platform.directory.get_application(tenant=t.id, app=application)
    key_path: Path | None = None
    if cert_file is not None:
        data = cert_file.read_bytes()
    else:
        key_path = out or Path(f"{found.app_id}.pem")
        if key_path.exists():
            raise ConfigError(f"{key_path} exists already; choose another --out or remove it")
        # cryptography loads here, when a key is made, not whenever an `app` command starts.
        from tenantlab.keys.client_certificates import (
            certificate_pem,
            key_file_pem,
            self_signed_certificate,
        )

        key, certificate = self_signed_certificate(
            found.display_name[:64] or "tenantlab",
            start=dt.datetime.now(dt.UTC),
            days=days,
            end_entity=True,  # a client certificate: CA:FALSE
        )
        write_private_file(key_path, key_file_pem(key, certificate))
        data = certificate_pem(certificate)
    try:
        credential = platform.directory.add_certificate(
            tenant=t.id, app=found.id, certificate_pem_or_der=data, display_name=display_name
        )
    except BaseException:
        if key_path is not None:
            key_path.unlink(missing_ok=True)
        raise
    x5t = b64url(bytes.fromhex(credential.thumbprint_sha1))
    x5t_s256 = b64url(bytes.fromhex(credential.thumbprint_sha256))
    if as_json:
        document = key_credential_json(credential)
        document["x5t"], document["x5t#S256"] = x5t, x5t_s256
        if key_path is not None:
            document["privateKeyFile"] = str(key_path.resolve())
        print_json(document)
        return
    fields = [
        ("keyId", credential.key_id),
        ("thumbprint (SHA-1)", credential.thumbprint_sha1),
        ("thumbprint (SHA-256)", credential.thumbprint_sha256),
        ("x5t", x5t),
        ("x5t#S256", x5t_s256),
        ("valid", f"{iso_z(credential.start_at)} .. {iso_z(credential.end_at)}"),
    ]
    if key_path is not None:
        fields.append(("private key + cert", f"{key_path.resolve()} (mode 0600)"))
    print_fields(f"Certificate added to {found.display_name} ({found.app_id})", fields)


@cert.command("list")
@click.argument("application")
@tenant_option
@json_option
@click.pass_context
def list_(ctx: click.Context, application: str, tenant: str | None, as_json: bool) -> None:
    """The certificates registered on an app."""
    platform = platform_from(ctx)
    t = resolve_tenant(platform, tenant)
    found = platform.directory.get_application(tenant=t.id, app=application)
    rows = platform.directory.key_credentials(found.id)
    if as_json:
        print_json({"value": [key_credential_json(r) for r in rows]})
        return
    print_table(
        f"Certificates of {found.display_name}",
        ["keyId", "thumbprint (SHA-1)", "name", "expires"],
        [[r.key_id, r.thumbprint_sha1, r.display_name or "", iso_z(r.end_at)] for r in rows],
    )


@cert.command("remove")
@click.argument("application")
@click.argument("key_id")
@tenant_option
@json_option_saying("{keyId, removed}")
@click.pass_context
def remove(
    ctx: click.Context, application: str, key_id: str, tenant: str | None, as_json: bool
) -> None:
    """Remove a certificate by keyId; assertions it signs are refused from now on."""
    platform = platform_from(ctx)
    t = resolve_tenant(platform, tenant)
    platform.directory.remove_certificate(tenant=t.id, app=application, key_id=key_id)
    if as_json:
        print_json({"keyId": key_id.lower(), "removed": True})
        return
    click.echo(f"Removed certificate {key_id}.")


@click.group(cls=CommandGroup)
def federated() -> None:
    """Federated identity credentials: trust tokens of an external issuer (workload identity)."""


@federated.command("add")
@click.argument("application")
@click.option("--issuer", required=True, help="The external issuer URL (https), exactly.")
@click.option("--subject", required=True, help="The token's `sub`, exactly (case-sensitive).")
@click.option(
    "--audience",
    "audiences",
    multiple=True,
    help=f"Accepted `aud` (repeatable; default {FEDERATION_AUDIENCE}).",
)
@click.option("--name", help="Credential name (default: derived from the subject).")
@click.option("--description", help="A description.")
@tenant_option
@json_option
@click.pass_context
def federated_add(
    ctx: click.Context,
    application: str,
    issuer: str,
    subject: str,
    audiences: tuple[str, ...],
    name: str | None,
    description: str | None,
    tenant: str | None,
    as_json: bool,
) -> None:
    """Trust tokens from ISSUER about SUBJECT as this app's credential."""
    platform = platform_from(ctx)
    t = resolve_tenant(platform, tenant)
    credential = platform.directory.add_federated_credential(
        tenant=t.id,
        app=application,
        name=name or _default_name(subject),
        issuer=issuer,
        subject=subject,
        audiences=list(audiences) or None,
        description=description,
    )
    if as_json:
        print_json(federated_credential_json(credential))
        return
    print_fields(
        f"Federated credential '{credential.name}' added",
        [
            ("id", credential.id),
            ("issuer", credential.issuer),
            ("subject", credential.subject),
            ("audiences", ", ".join(credential.audiences)),
        ],
    )


def _default_name(subject: str) -> str:
    """Entra names allow letters, digits, '-' and '_' (3-120 characters)."""
    cleaned = "".join(c if c.isalnum() or c in "-_" else "-" for c in subject).strip("-")
    return (cleaned or "federated")[:120].ljust(3, "-")


@federated.command("list")
@click.argument("application")
@tenant_option
@json_option
@click.pass_context
def federated_list(ctx: click.Context, application: str, tenant: str | None, as_json: bool) -> None:
    """The federated identity credentials of an app."""
    platform = platform_from(ctx)
    t = resolve_tenant(platform, tenant)
    found = platform.directory.get_application(tenant=t.id, app=application)
    rows = platform.directory.federated_credentials(found.id)
    if as_json:
        print_json({"value": [federated_credential_json(r) for r in rows]})
        return
    print_table(
        f"Federated credentials of {found.display_name}",
        ["name", "issuer", "subject", "audiences"],
        [[r.name, r.issuer, r.subject, ", ".join(r.audiences)] for r in rows],
    )


@federated.command("remove")
@click.argument("application")
@click.argument("name_or_id")
@tenant_option
@json_option_saying("{nameOrId, removed}")
@click.pass_context
def federated_remove(
    ctx: click.Context, application: str, name_or_id: str, tenant: str | None, as_json: bool
) -> None:
    """Remove a federated credential by name or id."""
    platform = platform_from(ctx)
    t = resolve_tenant(platform, tenant)
    platform.directory.remove_federated_credential(
        tenant=t.id, app=application, name_or_id=name_or_id
    )
    if as_json:
        print_json({"nameOrId": name_or_id, "removed": True})
        return
    click.echo(f"Removed federated credential {name_or_id}.")
