"""Server logs of a real `tenantlab serve`: access log, token request log, no secrets (issue 12).

The server runs as a user runs it (a subprocess, TLS, an ephemeral port) with
`--log-format json`; its stderr is captured whole and scanned after a graceful Ctrl+C.
"""

from __future__ import annotations

import json
import os
import queue
import signal
import ssl
import subprocess
import sys
import threading
from pathlib import Path
from typing import IO, Any

import httpx
import pytest

pytestmark = pytest.mark.integration

EXAMPLE = Path(__file__).parents[2] / "examples" / "contoso.yaml"
TENANTLAB = (sys.executable, "-m", "tenantlab.cli")
CORRELATION = "2f4e9a0c-7d1b-4c55-8e2a-93b1f6d0c4aa"


def _pump(stream: IO[str], into: queue.Queue[str]) -> None:
    for line in stream:
        into.put(line)


def _drain(into: queue.Queue[str]) -> list[str]:
    lines = []
    while not into.empty():
        lines.append(into.get())
    return lines


def test_serve_logs_each_request_and_each_token_request_without_secrets(tmp_path: Path) -> None:
    home = tmp_path / "home"
    env = {k: v for k, v in os.environ.items() if not k.startswith("TENANTLAB_")}
    env["TENANTLAB_HOME"] = str(home)
    env["TENANTLAB_PORTAL_PASSWORD"] = "Chosen-for-this-test-1"  # no first-run notice on stderr
    process = subprocess.Popen(
        [*TENANTLAB, "serve", "--port", "0", "--seed", str(EXAMPLE), "--log-format", "json"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert process.stdout is not None
    assert process.stderr is not None
    out: queue.Queue[str] = queue.Queue()
    err: queue.Queue[str] = queue.Queue()
    threading.Thread(target=_pump, args=(process.stdout, out), daemon=True).start()
    threading.Thread(target=_pump, args=(process.stderr, err), daemon=True).start()
    stdout: list[str] = []
    try:
        while not stdout or not stdout[-1].startswith("press Ctrl+C"):
            stdout.append(out.get(timeout=90))
        origin = next(x for x in stdout if x.startswith("tenantlab is serving ")).split()[3]
        assert f"admin center: {origin}/portal\n" in stdout

        daemon_id = json.loads(
            subprocess.run(
                [*TENANTLAB, "app", "show", "ToDo Daemon", "--json"],
                env=env,
                capture_output=True,
                text=True,
                check=True,
            ).stdout
        )["appId"]
        [kept] = json.loads((home / "secrets" / f"{daemon_id}.json").read_text())
        secret = kept["secretText"]
        assertion = "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ4In0.bm90LWEtcmVhbC1zaWduYXR1cmU"
        token_url = f"{origin}/contoso.onmicrosoft.com/oauth2/v2.0/token"
        form = {
            "grant_type": "client_credentials",
            "client_id": daemon_id,
            "scope": "https://graph.microsoft.com/.default",
        }
        trust = ssl.create_default_context(cafile=home / "ca-bundle.pem")
        with httpx.Client(verify=trust, timeout=30) as http:
            issued = http.post(token_url, data={**form, "client_secret": secret})
            refused = http.post(
                token_url,
                data={**form, "client_secret": secret + "x"},
                headers={"client-request-id": CORRELATION},
            )
            asserted = http.post(
                token_url,
                data={
                    **form,
                    "client_assertion_type": (
                        "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
                    ),
                    "client_assertion": assertion,
                },
            )
            discovery = http.get(
                f"{origin}/contoso.onmicrosoft.com/v2.0/.well-known/openid-configuration",
                params={"client_secret": secret},
            )
        assert issued.status_code == 200, issued.text
        assert refused.status_code == 401
        assert asserted.status_code in (400, 401)
        assert discovery.status_code == 200
        token = issued.json()["access_token"]
    finally:
        process.send_signal(signal.SIGINT)
        code = process.wait(timeout=30)
    stdout += _drain(out)
    stderr = "".join(_drain(err))

    assert code == 0
    assert stdout[-1] == "stopped\n"
    records: list[dict[str, Any]] = [json.loads(line) for line in stderr.splitlines()]
    access = [r for r in records if r["logger"] == "tenantlab.access"]
    tokens = [r for r in records if r["logger"] == "tenantlab.sts.requests"]
    assert [(r["method"], r["status"]) for r in access] == [
        ("POST", 200),
        ("POST", 401),
        ("POST", asserted.status_code),
        ("GET", 200),
    ]
    assert access[3]["path"] == "/contoso.onmicrosoft.com/v2.0/.well-known/openid-configuration"
    ok, bad, by_assertion = tokens
    assert (ok["tenant"], ok["client_id"], ok["grant"]) == (
        "contoso.onmicrosoft.com",
        daemon_id,
        "client_credentials",
    )
    assert (ok["result"], ok["aadsts"]) == ("issued", None)
    assert (bad["result"], bad["aadsts"], bad["error"]) == (
        "refused",
        "AADSTS7000215",
        "invalid_client",
    )
    # One correlation id: the client's, in the AADSTS body, the token log and the access log.
    assert bad["correlation"] == refused.json()["correlation_id"] == CORRELATION
    assert access[1]["correlation"] == CORRELATION
    assert by_assertion["aadsts"] == f"AADSTS{asserted.json()['error_codes'][0]}"
    # The seed shows the new secret once on stdout, by design; the logs never do.
    logged = stderr + "".join(stdout[stdout.index("press Ctrl+C to stop\n") :])
    for leaked in (secret, token, token.split(".")[2], assertion, assertion.split(".")[2]):
        assert leaked not in logged
    assert "Traceback" not in stderr
