"""The local CA for OpenSSL's certificate folder and for Java, and COMMAND's trust variables."""

from __future__ import annotations

import os
import stat
import warnings
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives.serialization import pkcs12
from cryptography.utils import CryptographyDeprecationWarning

from tenantlab.dropin.session import (
    CommandNotExecutable,
    CommandNotFound,
    resolve_command,
    trust_environment,
)
from tenantlab.errors import ConfigError
from tenantlab.keys import ensure_tls, ensure_trust_stores
from tenantlab.keys.trust import subject_hash


def test_subject_hash_is_openssls(tmp_path: Path) -> None:
    tls = ensure_tls(tmp_path)
    ca = x509.load_pem_x509_certificate(tls.ca_cert.read_bytes())
    # `openssl x509 -hash -noout` of tenantlab's CA (O=tenantlab, CN=tenantlab local CA).
    assert subject_hash(ca) == "902e7ed9"


def test_trust_stores_hold_the_local_ca(tmp_path: Path) -> None:
    tls = ensure_tls(tmp_path)
    stores = ensure_trust_stores(tls)
    ca = x509.load_pem_x509_certificate(tls.ca_cert.read_bytes())
    assert [p.name for p in stores.cert_dir.iterdir()] == ["902e7ed9.0"]
    assert x509.load_pem_x509_certificate((stores.cert_dir / "902e7ed9.0").read_bytes()) == ca
    with warnings.catch_warnings():  # a system root with a non-positive serial number
        warnings.simplefilter("ignore", CryptographyDeprecationWarning)
        store = pkcs12.load_pkcs12(stores.java_truststore.read_bytes(), b"changeit")
    assert store.key is None
    certificates = [entry.certificate for entry in store.additional_certs]
    assert ca in certificates
    assert len(certificates) == len(set(certificates))  # the system CAs, once each, + ours
    for path in (stores.java_truststore, stores.cert_dir / "902e7ed9.0"):
        assert stat.S_IMODE(path.stat().st_mode) == 0o600  # data files are owner-only
    assert stat.S_IMODE(stores.cert_dir.stat().st_mode) == 0o700


def test_trust_environment_adds_to_existing_java_options(tmp_path: Path) -> None:
    tls = ensure_tls(tmp_path)
    stores = ensure_trust_stores(tls)
    env = trust_environment(tls, stores, {"JAVA_TOOL_OPTIONS": "-Xmx256m", "PATH": "/bin"})
    bundle = str(tls.ca_bundle)
    for name in ("REQUESTS_CA_BUNDLE", "SSL_CERT_FILE", "NODE_EXTRA_CA_CERTS", "CURL_CA_BUNDLE"):
        assert env[name] == bundle
    assert env["SSL_CERT_DIR"] == str(stores.cert_dir)
    assert env["JAVA_TOOL_OPTIONS"].startswith("-Xmx256m -Djavax.net.ssl.trustStore=")
    assert "-Djavax.net.ssl.trustStoreType=PKCS12" in env["JAVA_TOOL_OPTIONS"]
    assert env["PATH"] == "/bin"


def test_command_is_resolved_on_path_before_anything_starts(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="no command given: tenantlab run -- COMMAND"):
        resolve_command([])
    with pytest.raises(CommandNotFound, match="command not found: no-such-tool-x1"):
        resolve_command(["no-such-tool-x1", "--op"])
    with pytest.raises(CommandNotExecutable, match="not an executable file"):
        resolve_command([str(tmp_path)])
    script = tmp_path / "tool"
    script.write_text("#!/bin/sh\n")
    os.chmod(script, 0o755)
    assert resolve_command([str(script), "a"]) == [str(script), "a"]
