"""`tenantlab run` refusing bad input: one line on stderr, a non-zero exit, nothing left behind
(no stray mount, no temporary hosts file, /etc/hosts untouched)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from run_support import environment, mounts, require_namespaces, tenantlab_run

pytestmark = pytest.mark.integration

HOSTS = Path("/etc/hosts")


def refused(home: Path, tmp: Path, *args: str) -> subprocess.CompletedProcess[str]:
    hosts_before, mounts_before = HOSTS.read_bytes(), mounts()
    result = tenantlab_run(home, *args, tmp=tmp)
    assert result.returncode != 0
    assert result.stdout == ""
    assert len(result.stderr.splitlines()) == 1, result.stderr
    assert result.stderr.startswith("error: ")
    assert list(tmp.iterdir()) == []
    assert HOSTS.read_bytes() == hosts_before
    assert mounts() == mounts_before
    return result


@pytest.fixture
def scratch(tmp_path: Path) -> Path:
    path = tmp_path / "tmp"
    path.mkdir()
    return path


def test_no_command(tmp_path: Path, scratch: Path) -> None:
    result = refused(tmp_path / "home", scratch)
    assert result.returncode == 2
    assert result.stderr == "error: no command given: tenantlab run -- COMMAND [ARGS...]\n"
    assert not (tmp_path / "home").exists()  # refused before anything was made


def test_a_command_that_does_not_exist(tmp_path: Path, scratch: Path) -> None:
    result = refused(tmp_path / "home", scratch, "--", "no-such-program-z9", "--op", "x")
    assert result.returncode == 127
    assert result.stderr == "error: command not found: no-such-program-z9 (not a program on PATH)\n"


def test_port_443_taken_inside(tmp_path: Path, scratch: Path) -> None:
    """The cloud holds 443 inside the namespace; asking the ToDo API for it is a clash there."""
    probe = tenantlab_run(tmp_path / "home", "--", "true")
    require_namespaces(probe)
    result = refused(tmp_path / "home", scratch, "--quickstart", "--todo-port", "443", "--", "true")
    assert result.returncode == 2
    assert result.stderr == (
        "error: cannot listen on 127.0.0.1:443: Address already in use "
        "(choose another --todo-port)\n"
    )


def test_namespaces_refused(tmp_path: Path, scratch: Path) -> None:
    """A real refusal, not a simulated one: inside a user namespace whose limit of nested user
    namespaces is 0 (user.max_user_namespaces is per namespace), unshare(2) fails with ENOSPC."""
    unshare = shutil.which("unshare")
    if unshare is None:
        if os.environ.get("CI") == "true":
            pytest.fail("util-linux's unshare is needed (CI=true: a missing tool fails the run)")
        pytest.skip("util-linux's unshare is needed")
    hosts_before, mounts_before = HOSTS.read_bytes(), mounts()
    script = 'echo 0 > /proc/sys/user/max_user_namespaces && exec "$@"'
    result = subprocess.run(
        [
            unshare,
            "--user",
            "--map-root-user",
            "sh",
            "-c",
            script,
            "sh",
            sys.executable,
            "-m",
            "tenantlab.cli",
            "run",
            "--",
            "true",
        ],
        env=environment(tmp_path / "home", scratch),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    if result.returncode != 0 and "max_user_namespaces" not in result.stderr:
        require_namespaces(tenantlab_run(tmp_path / "home", "--", "true"))
    assert result.returncode == 1
    assert result.stdout == ""
    assert result.stderr == (
        "error: tenantlab run needs private Linux namespaces, but the limit of user namespaces "
        "is reached (user.max_user_namespaces): instead, map the names for the whole machine "
        "with `sudo tenantlab hosts install` and serve them with `tenantlab up --as-microsoft` "
        "(docs/official-samples.md)\n"
    )
    assert list(scratch.iterdir()) == []
    assert HOSTS.read_bytes() == hosts_before
    assert mounts() == mounts_before
