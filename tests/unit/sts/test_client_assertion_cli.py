"""`tenantlab app cert add` / `app federated add`: what they store, what they write, and that the
key file they hand out signs assertions the token service accepts."""

from __future__ import annotations

import json
import os
import stat
import time
from collections.abc import Iterator
from pathlib import Path

import jwt
import pytest
from click.testing import CliRunner
from cryptography import x509
from cryptography.hazmat.primitives import serialization

from tenantlab.cli import cli
from tenantlab.config import PlatformSettings
from tenantlab.platform import Platform
from tenantlab.sts.client_assertion import (
    AudiencePolicy,
    parse_assertion,
    registered_certificate,
    verify_certificate_assertion,
)


@pytest.fixture
def setup() -> Iterator[tuple[Platform, str, str]]:
    """A tenant with one app, in the data folder the CLI will open (TENANTLAB_HOME)."""
    platform = Platform.open(PlatformSettings())
    tenant = platform.directory.create_tenant(display_name="Contoso", domain="contoso")
    app = platform.directory.create_application(tenant=tenant.id, display_name="Daemon")
    yield platform, tenant.id, app.app_id
    platform.close()


def run(*args: str) -> str:
    result = CliRunner().invoke(cli, list(args))
    assert result.exit_code == 0, result.output
    return result.output


def test_cert_add_new_writes_an_owner_only_key_and_stores_only_the_certificate(
    setup: tuple[Platform, str, str], tmp_path: Path
) -> None:
    platform, tenant_id, app_id = setup
    key_file = tmp_path / "daemon.pem"
    document = json.loads(
        run("app", "cert", "add", app_id, "--new", "--out", str(key_file), "--json")
    )

    assert stat.S_IMODE(os.stat(key_file).st_mode) == 0o600
    pem = key_file.read_bytes()
    assert b"PRIVATE KEY" in pem
    assert b"CERTIFICATE" in pem
    (stored,) = platform.directory.key_credentials(
        platform.directory.get_application(tenant=tenant_id, app=app_id).id
    )
    assert stored.key_id == document["keyId"]
    assert b"PRIVATE" not in stored.key  # DER of the certificate, nothing else
    cert = x509.load_pem_x509_certificate(pem)
    assert cert.public_bytes(serialization.Encoding.DER) == stored.key
    assert document["customKeyIdentifier"] == stored.thumbprint_sha1
    assert document["privateKeyFile"] == str(key_file.resolve())

    # The key file is what a daemon signs with; the token service's check accepts the result.
    now = time.time()
    token_url = f"https://localhost:5443/{tenant_id}/oauth2/v2.0/token"
    assertion = jwt.encode(
        {"aud": token_url, "iss": app_id, "sub": app_id, "exp": now + 600, "iat": now},
        serialization.load_pem_private_key(pem, password=None),  # type: ignore[arg-type]
        algorithm="PS256",
        headers={"x5t#S256": document["x5t#S256"]},
    )
    match = verify_certificate_assertion(
        parse_assertion(assertion),
        client_id=app_id,
        certificates=[
            registered_certificate(stored.key_id, stored.key, stored.start_at, stored.end_at)
        ],
        audience=AudiencePolicy.for_tenant(
            origins=["https://localhost:5443"], tenant_aliases=[tenant_id], issuers=[]
        ),
        now=now,
    )
    assert match.key_id == stored.key_id


def test_cert_add_uploads_a_pem_and_prints_thumbprints(
    setup: tuple[Platform, str, str], tmp_path: Path
) -> None:
    _, _, app_id = setup
    key_file = tmp_path / "first.pem"
    run("app", "cert", "add", app_id, "--new", "--out", str(key_file))
    cert_only = tmp_path / "public.pem"
    cert = x509.load_pem_x509_certificate(key_file.read_bytes())
    cert_only.write_bytes(cert.public_bytes(serialization.Encoding.PEM))

    duplicate = CliRunner().invoke(cli, ["app", "cert", "add", app_id, "--cert", str(cert_only)])
    assert duplicate.exit_code == 1
    assert "already registered" in duplicate.output

    listed = json.loads(run("app", "cert", "list", app_id, "--json"))["value"]
    assert len(listed) == 1
    run("app", "cert", "remove", app_id, listed[0]["keyId"])
    output = run("app", "cert", "add", app_id, "--cert", str(cert_only))
    assert "x5t#S256" in output
    assert listed[0]["customKeyIdentifier"] in output


def test_cert_add_refuses_what_it_must(setup: tuple[Platform, str, str], tmp_path: Path) -> None:
    _, _, app_id = setup
    existing = tmp_path / "taken.pem"
    existing.write_text("mine")
    both = CliRunner().invoke(cli, ["app", "cert", "add", app_id])
    assert both.exit_code == 2
    assert "exactly one of --cert FILE or --new" in both.output
    taken = CliRunner().invoke(cli, ["app", "cert", "add", app_id, "--new", "--out", str(existing)])
    assert taken.exit_code == 2
    assert existing.read_text() == "mine"
    key_only = tmp_path / "key.pem"
    key_only.write_text("-----BEGIN PRIVATE KEY-----\nMIIB\n-----END PRIVATE KEY-----\n")
    refused = CliRunner().invoke(cli, ["app", "cert", "add", app_id, "--cert", str(key_only)])
    assert refused.exit_code == 1
    assert "private key" in refused.output
    assert "Traceback" not in refused.output


def test_federated_add_list_remove(setup: tuple[Platform, str, str]) -> None:
    _, _, app_id = setup
    issuer = "https://oidc.cluster.example/abc"
    created = json.loads(
        run(
            "app",
            "federated",
            "add",
            app_id,
            "--issuer",
            issuer,
            "--subject",
            "system:serviceaccount:default:daemon",
            "--json",
        )
    )
    assert created["audiences"] == ["api://AzureADTokenExchange"]
    assert created["issuer"] == issuer
    assert created["name"] == "system-serviceaccount-default-daemon"
    custom = json.loads(
        run(
            "app",
            "federated",
            "add",
            app_id,
            "--issuer",
            issuer,
            "--subject",
            "repo:contoso/app:ref:refs/heads/main",
            "--audience",
            "api://custom",
            "--name",
            "github-main",
            "--json",
        )
    )
    assert custom["audiences"] == ["api://custom"]
    names = {
        c["name"] for c in json.loads(run("app", "federated", "list", app_id, "--json"))["value"]
    }
    assert names == {"system-serviceaccount-default-daemon", "github-main"}
    run("app", "federated", "remove", app_id, "github-main")
    assert len(json.loads(run("app", "federated", "list", app_id, "--json"))["value"]) == 1
