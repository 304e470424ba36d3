"""What `tenantlab run` offers extensions inside its namespace: an extra loopback address (the
instance metadata service's 169.254.169.254), here in a throwaway namespace of util-linux."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys

import pytest

pytestmark = pytest.mark.integration

SCRIPT = """
import socket
from tenantlab.dropin.namespaces import add_loopback_address, loopback_up
loopback_up()
add_loopback_address("169.254.169.254", "imds")
with socket.socket() as server:
    server.bind(("169.254.169.254", 80))
    server.listen()
    with socket.create_connection(("169.254.169.254", 80), timeout=5) as client:
        print(client.getpeername()[0])
"""


def test_an_extra_loopback_address_can_be_listened_on_and_reached() -> None:
    unshare = shutil.which("unshare")
    if unshare is None:
        if os.environ.get("CI") == "true":
            pytest.fail("util-linux's unshare is needed (CI=true: a missing tool fails the run)")
        pytest.skip("util-linux's unshare is needed")
    result = subprocess.run(
        [unshare, "--user", "--map-root-user", "--net", sys.executable, "-c", SCRIPT],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert (result.returncode, result.stdout) == (0, "169.254.169.254\n"), result.stderr
