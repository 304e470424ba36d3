"""`tenantlab serve` processes as an operator runs them: one per node, its own data folder.

Used by the `--workers` tests, the multi-node tests and bench/multinode.py. A node is started with
`--port 0`, read until it says "press Ctrl+C", and stopped with SIGTERM (or SIGKILL in fault
tests). Its stdout and stderr are kept for assertions.
"""

from __future__ import annotations

import os
import queue
import re
import signal
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

SECRET_LINE = re.compile(
    r"^secret '[^']*' of (?P<app>.+) \(appId (?P<app_id>[0-9a-f-]+)\): (?P<secret>\S+)"
)


def node_env(home: Path, **settings: str) -> dict[str, str]:
    """The environment of a node: no TENANTLAB_* of ours leaks in; `settings` as TENANTLAB_*."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("TENANTLAB_")}
    env["TENANTLAB_HOME"] = str(home)
    for name, value in settings.items():
        if value:  # an empty value: that setting's default (bench/multinode.py's SQLite node)
            env[f"TENANTLAB_{name.upper()}"] = value
    return env


def tenantlab(
    env: dict[str, str], *args: str, code: int = 0, timeout: float = 120
) -> subprocess.CompletedProcess[str]:
    """Run one `tenantlab` command to its end (a CLI user's step)."""
    done = subprocess.run(
        [sys.executable, "-m", "tenantlab.cli", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    assert done.returncode == code, (args, done.stdout, done.stderr)
    assert "Traceback" not in done.stderr, done.stderr
    return done


def _pump(stream: IO[str], into: list[str], lines: queue.Queue[str] | None) -> None:
    for line in stream:
        into.append(line)
        if lines is not None:
            lines.put(line)


@dataclass
class Node:
    """One running `tenantlab serve`."""

    home: Path
    process: subprocess.Popen[str]
    stdout: list[str] = field(default_factory=list)
    stderr: list[str] = field(default_factory=list)

    @property
    def port(self) -> int:
        line = next(x for x in self.stdout if x.startswith("tenantlab is serving "))
        found = re.search(r" on [^ ]+:(\d+)\)", line)
        assert found is not None, line
        return int(found.group(1))

    def secrets(self) -> dict[str, tuple[str, str]]:
        """What a seed printed: app display name -> (appId, secret)."""
        found = {}
        for line in self.stdout:
            match = SECRET_LINE.match(line)
            if match:
                found[match["app"]] = (match["app_id"], match["secret"])
        return found

    def workers(self) -> list[int]:
        """The worker processes' ids (uvicorn's spawned children, not its resource tracker)."""
        pids = []
        for child in Path(f"/proc/{self.process.pid}/task").glob("*/children"):
            for pid in child.read_text().split():
                try:
                    cmdline = Path(f"/proc/{pid}/cmdline").read_bytes()
                except FileNotFoundError:
                    continue
                if b"spawn_main" in cmdline:
                    pids.append(int(pid))
        return pids

    def stop(self, sig: int = signal.SIGTERM, timeout: float = 30) -> int:
        if self.process.poll() is None:
            self.process.send_signal(sig)
            try:
                self.process.wait(timeout)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(10)
        return self.process.returncode


def start_node(
    home: Path, *args: str, env: dict[str, str] | None = None, timeout: float = 120
) -> Node:
    """`tenantlab serve --port 0 ARGS` with `env` (default: `node_env(home)`), once it serves."""
    process = subprocess.Popen(
        [sys.executable, "-m", "tenantlab.cli", "serve", "--port", "0", *args],
        env=env if env is not None else node_env(home),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert process.stdout is not None
    assert process.stderr is not None
    node = Node(home, process)
    lines: queue.Queue[str] = queue.Queue()
    threading.Thread(target=_pump, args=(process.stdout, node.stdout, lines), daemon=True).start()
    threading.Thread(target=_pump, args=(process.stderr, node.stderr, None), daemon=True).start()
    deadline = time.monotonic() + timeout
    while True:
        try:
            line = lines.get(timeout=max(0.1, deadline - time.monotonic()))
        except queue.Empty:
            node.stop(signal.SIGKILL)
            raise AssertionError(
                f"no start within {timeout} s: {node.stdout} {node.stderr}"
            ) from None
        if line.startswith("press Ctrl+C"):
            return node
        if process.poll() is not None and lines.empty():
            raise AssertionError(f"the node exited: {node.stdout} {node.stderr}")
