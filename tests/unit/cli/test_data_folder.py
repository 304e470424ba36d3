"""The data folder: owner-only private keys, and a CA bundle that really verifies the server."""

from __future__ import annotations

import ssl
import stat
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import Result

Run = Callable[..., Result]


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.fixture
def home(run: Run, tmp_path: Path) -> Path:
    run("env")
    run("tenant", "create", "--name", "Contoso", "--domain", "contoso")
    run("keys", "list")
    return tmp_path / "tenantlab-home"


def test_private_keys_are_readable_by_their_owner_only(home: Path) -> None:
    assert mode(home) == 0o700
    assert mode(home / "tls") == 0o700
    assert mode(home / "tls" / "ca-key.pem") == 0o600
    assert mode(home / "tls" / "server-key.pem") == 0o600
    assert mode(home / "key-encryption.key") == 0o600  # seals the signing keys in the database
    assert not (home / "signing-keys").exists()
    assert (home / "tenantlab.db").is_file()


def test_the_bundle_holds_the_system_cas_and_the_local_ca(home: Path) -> None:
    bundle = (home / "ca-bundle.pem").read_text()
    local_ca = (home / "tls" / "ca.pem").read_text()
    assert bundle.rstrip().endswith(local_ca.rstrip())
    assert bundle.count("BEGIN CERTIFICATE") > 1


def _handshake(client: ssl.SSLContext, server: ssl.SSLContext, name: str) -> ssl.SSLObject:
    """A TLS handshake over memory buffers: the real certificate checks, no sockets."""
    c_in, c_out, s_in, s_out = ssl.MemoryBIO(), ssl.MemoryBIO(), ssl.MemoryBIO(), ssl.MemoryBIO()
    c = client.wrap_bio(c_in, c_out, server_hostname=name)
    s = server.wrap_bio(s_in, s_out, server_side=True)
    for _ in range(10):
        done = 0
        for side in (c, s):
            try:
                side.do_handshake()
                done += 1
            except ssl.SSLWantReadError:
                pass
        s_in.write(c_out.read())
        c_in.write(s_out.read())
        if done == 2:
            return c
    raise AssertionError("the handshake did not complete")


def test_the_exported_bundle_verifies_the_server_certificate(run: Run, home: Path) -> None:
    exports = dict(
        line.removeprefix("export ").split("=", 1) for line in run("env").stdout.splitlines()
    )
    server = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    server.load_cert_chain(home / "tls" / "server.pem", home / "tls" / "server-key.pem")
    trusting = ssl.create_default_context(cafile=exports["SSL_CERT_FILE"])
    for name in ("localhost", "127.0.0.1"):
        assert _handshake(trusting, server, name).getpeercert()
    stranger = ssl.create_default_context(cafile=ssl.get_default_verify_paths().openssl_cafile)
    with pytest.raises(ssl.SSLCertVerificationError):
        _handshake(stranger, server, "localhost")
