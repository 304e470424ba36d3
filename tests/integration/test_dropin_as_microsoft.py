"""`tenantlab hosts install` + `tenantlab up --as-microsoft`, the machine-wide form, end to end.

The test must not touch the real /etc/hosts nor bind port 443 on the machine, so it does what a
user does on a machine of their own inside a throwaway namespace (util-linux `unshare`: user,
mount and network, only loopback): `hosts install --hosts-file` on a copy of /etc/hosts, that copy
bind-mounted over /etc/hosts, `up --as-microsoft` on 443, Microsoft's Python sample with the
config `up` wrote (Microsoft's URLs), then `hosts remove`.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from run_support import OFFICIAL, environment

pytestmark = pytest.mark.integration

DRIVER = """
import json, os, signal, subprocess, sys, time
from pathlib import Path

work, python, sample = Path(sys.argv[1]), sys.argv[2], Path(sys.argv[3])
tenantlab = [python, "-m", "tenantlab.cli"]
subprocess.run(["ip", "link", "set", "lo", "up"], check=True)
hosts = work / "hosts"
hosts.write_text(Path("/etc/hosts").read_text())
install = subprocess.run(
    [*tenantlab, "hosts", "install", "--yes", "--hosts-file", str(hosts)],
    capture_output=True, text=True,
)
subprocess.run(["mount", "--bind", str(hosts), "/etc/hosts"], check=True)
up = subprocess.Popen(
    [*tenantlab, "up", "--as-microsoft", "--todo-port", "0"],
    stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
)
lines = []
for line in up.stdout:
    lines.append(line)
    if line.startswith("serving "):
        break
config = json.loads((Path(os.environ["TENANTLAB_HOME"]) / "quickstart-as-microsoft" / "python"
                     / "parameters.json").read_text())
parameters = json.loads((sample / "parameters.json").read_text())
parameters.update(authority=config["authority"], oidc_authority=None,
                  client_id=config["client_id"], secret=config["secret"])
(sample / "parameters.json").write_text(json.dumps(parameters))
env = dict(os.environ, REQUESTS_CA_BUNDLE=str(Path(os.environ["TENANTLAB_HOME"]) / "ca-bundle.pem"))
ran = subprocess.run(
    [python, "confidential_client_secret_sample.py", "parameters.json"],
    cwd=sample, env=env, capture_output=True, text=True,
)
up.send_signal(signal.SIGINT)
rest, _ = up.communicate(timeout=60)
subprocess.run(["umount", "/etc/hosts"], check=True)
remove = subprocess.run(
    [*tenantlab, "hosts", "remove", "--hosts-file", str(hosts)], capture_output=True, text=True
)
print(json.dumps({
    "install": install.stdout, "up": "".join(lines) + rest, "sample": ran.stdout,
    "sample_err": ran.stderr, "remove": remove.stdout, "hosts_after": hosts.read_text(),
    "hosts_before": Path("/etc/hosts").read_text(),
}))
"""


def test_hosts_install_and_up_as_microsoft_serve_the_unmodified_sample(tmp_path: Path) -> None:
    unshare = shutil.which("unshare")
    if unshare is None or shutil.which("ip") is None:
        message = "util-linux's unshare and iproute2's ip are needed"
        if os.environ.get("CI") == "true":
            pytest.fail(message + " (CI=true: a missing tool fails the run)")
        pytest.skip(message)
    sample = tmp_path / "sample"
    shutil.copytree(OFFICIAL / "python-daemon" / "1-Call-MsGraph-WithSecret", sample)
    driver = tmp_path / "driver.py"
    driver.write_text(DRIVER)
    result = subprocess.run(
        [
            unshare,
            "--user",
            "--map-root-user",
            "--mount",
            "--net",
            sys.executable,
            str(driver),
            str(tmp_path),
            sys.executable,
            str(sample),
        ],
        env=environment(tmp_path / "home"),
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    if result.returncode != 0 and "unshare failed" in result.stderr:
        if os.environ.get("CI") == "true":
            pytest.fail("user namespaces refused: " + result.stderr)
        pytest.skip("user namespaces refused: " + result.stderr.strip())
    assert result.returncode == 0, result.stderr
    seen = json.loads(result.stdout)
    assert "  127.0.0.1 graph.microsoft.com" in seen["install"]
    assert "serving https://login.microsoftonline.com (token service" in seen["up"]
    users = json.loads(seen["sample"].partition("Graph API call result: \n")[2])
    assert "adele@contoso.onmicrosoft.com" in [u["userPrincipalName"] for u in users["value"]]
    assert seen["remove"].startswith("removed tenantlab's block")
    assert seen["hosts_after"] == seen["hosts_before"]
