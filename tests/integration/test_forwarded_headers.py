"""Issue 11 #3: X-Forwarded-For is trusted only from configured proxies, in every serving command.

The portal limits failed sign-ins per client address. Under `quickstart`/`up` uvicorn used to
believe any X-Forwarded-For sent from 127.0.0.1, so a guesser who varied the header was never
throttled, and signed in from a "fresh" address while 127.0.0.1 was locked out.
"""

from __future__ import annotations

import os
import re
import signal
import ssl
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from tenantlab.config import PlatformSettings
from tenantlab.keys import ensure_tls
from tenantlab.listening import bound_port
from tenantlab.platform import Platform
from tenantlab.quickstart.servers import Servers, bind
from tenantlab.server import create_cloud_app

pytestmark = pytest.mark.integration

PASSWORD = "Right-Passw0rd!"
CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')
LIMIT = 10  # portal.security.SignInThrottle's default


def _sign_in(client: httpx.Client, password: str, forwarded_for: str) -> int:
    token = CSRF.search(client.get("/portal/signin").text)
    assert token is not None
    response = client.post(
        "/portal/signin",
        data={"csrf_token": token.group(1), "username": "admin", "password": password},
        headers={"X-Forwarded-For": forwarded_for},
    )
    return response.status_code


def _guess(origin: str, ca_bundle: Path) -> tuple[list[int], int]:
    """LIMIT + 2 wrong passwords, each from a new forwarded address; then the right one."""
    trust = ssl.create_default_context(cafile=str(ca_bundle))
    with httpx.Client(base_url=origin, verify=trust, timeout=60) as client:
        wrong = [_sign_in(client, "Wrong-Passw0rd!", f"203.0.113.{i}") for i in range(LIMIT + 2)]
        right = _sign_in(client, PASSWORD, "198.51.100.7")
    return wrong, right


def _serve_up(
    tmp_path: Path, forwarded_allow_ips: str | None
) -> tuple[Servers, Platform, str, Path]:
    sock = bind("127.0.0.1", 0, "--port")
    port = bound_port(sock)
    settings = PlatformSettings(home=tmp_path, port=port, public_url=f"https://localhost:{port}")
    platform = Platform.open(settings)
    tls = ensure_tls(tmp_path)
    servers = Servers(
        certfile=tls.server_cert, keyfile=tls.server_key, forwarded_allow_ips=forwarded_allow_ips
    )
    servers.add(create_cloud_app(platform), sock)
    servers.start()
    return servers, platform, settings.origin, tls.ca_bundle


@pytest.mark.parametrize("forwarded_allow_ips", [None, "127.0.0.1"])
def test_up_trusts_forwarded_for_only_from_configured_proxies(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, forwarded_allow_ips: str | None
) -> None:
    monkeypatch.setenv("TENANTLAB_PORTAL_PASSWORD", PASSWORD)
    servers, platform, origin, ca_bundle = _serve_up(tmp_path, forwarded_allow_ips)
    try:
        wrong, right = _guess(origin, ca_bundle)
    finally:
        servers.stop()
        platform.close()
    if forwarded_allow_ips is None:
        # Default: the header is ignored; the connection's address is locked after LIMIT failures.
        assert wrong == [401] * LIMIT + [429, 429]
        assert right == 429
    else:
        # A configured proxy (here: the test itself on 127.0.0.1) is believed about its clients.
        assert wrong == [401] * (LIMIT + 2)
        assert right == 303


def test_serve_ignores_forwarded_for_by_default(tmp_path: Path) -> None:
    home = tmp_path / "home"
    env = {k: v for k, v in os.environ.items() if not k.startswith("TENANTLAB_")}
    env.update(TENANTLAB_HOME=str(home), TENANTLAB_PORTAL_PASSWORD=PASSWORD)
    process = subprocess.Popen(
        [sys.executable, "-m", "tenantlab.cli", "serve", "--port", "0"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    assert process.stdout is not None
    try:
        origin = None
        for line in process.stdout:
            found = re.search(r"https://localhost:\d+", line)
            origin = origin or (found.group(0) if found else None)
            if "Ctrl+C" in line:
                break
        assert origin is not None, "tenantlab serve printed no origin"
        wrong, right = _guess(origin, home / "ca-bundle.pem")
    finally:
        process.send_signal(signal.SIGINT)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
    assert wrong == [401] * LIMIT + [429, 429]
    assert right == 429
