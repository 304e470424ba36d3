"""nginx in front of tenantlab nodes, from deploy/nginx/tenantlab.conf.template — the file
compose.yaml runs — with its ${TENANTLAB_*} variables filled in as nginx's image does.

A private nginx (Debian's, `scripts/system-deps` installs it) in a temporary folder on a free
loopback port, stopped at the end. Fewer than three nodes repeat in the upstream list.
"""

from __future__ import annotations

import os
import shutil
import socket
import string
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

import pytest

TEMPLATE = Path(__file__).parents[2] / "deploy" / "nginx" / "tenantlab.conf.template"


def nginx_binary() -> str | None:
    return shutil.which("nginx") or next(
        (p for p in ("/usr/sbin/nginx",) if Path(p).exists()), None
    )


def _missing(reason: str) -> None:
    if os.environ.get("CI") == "true":
        pytest.fail(f"nginx is required under CI=true: {reason}")
    pytest.skip(f"nginx not available: {reason}")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def render(nodes: list[str], listen: str, cert: Path, key: Path) -> str:
    """The template with its variables filled in (nginx's own `$variables` are left alone)."""
    upstreams = [nodes[i % len(nodes)] for i in range(3)]
    values = {f"TENANTLAB_NODE_{i + 1}": address for i, address in enumerate(upstreams)}
    values |= {
        "TENANTLAB_LB_LISTEN": listen,
        "TENANTLAB_TLS_CERT": str(cert),
        "TENANTLAB_TLS_KEY": str(key),
    }
    return string.Template(TEMPLATE.read_text()).safe_substitute(values)


@dataclass
class LoadBalancer:
    folder: Path
    port: int
    process: subprocess.Popen[bytes]

    @property
    def origin(self) -> str:
        return f"https://localhost:{self.port}"

    def error_log(self) -> str:
        path = self.folder / "error.log"
        return path.read_text() if path.exists() else ""

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(10)


def start_load_balancer(
    folder: Path,
    nodes: list[str],
    cert: Path,
    key: Path,
    *,
    port: int | None = None,
    workers: int = 1,
) -> LoadBalancer:
    """nginx on `port` (default: a free one) in front of `nodes` (host:port each), TLS with
    `cert`/`key`."""
    binary = nginx_binary()
    if binary is None:
        _missing("nginx not found (scripts/system-deps installs nginx)")
        raise AssertionError("unreachable")
    folder.mkdir(parents=True, exist_ok=True)
    port = port or free_port()
    (folder / "tenantlab.conf").write_text(render(nodes, f"127.0.0.1:{port}", cert, key))
    temp = {name: folder / name for name in ("body", "proxy", "fastcgi", "uwsgi", "scgi")}
    for path in temp.values():
        path.mkdir(exist_ok=True)
    user = "user root;\n" if os.geteuid() == 0 else ""  # workers must read the private key
    (folder / "nginx.conf").write_text(
        f"{user}worker_processes {workers};\npid {folder / 'nginx.pid'};\n"
        f"error_log {folder / 'error.log'} warn;\nevents {{ worker_connections 2048; }}\n"
        "http {\n  access_log off;\n"
        f"  client_body_temp_path {temp['body']};\n  proxy_temp_path {temp['proxy']};\n"
        f"  fastcgi_temp_path {temp['fastcgi']};\n  uwsgi_temp_path {temp['uwsgi']};\n"
        f"  scgi_temp_path {temp['scgi']};\n  include {folder / 'tenantlab.conf'};\n}}\n"
    )
    argv = [binary, "-p", str(folder), "-c", str(folder / "nginx.conf"), "-g", "daemon off;"]
    checked = subprocess.run([*argv[:5], "-t"], capture_output=True, text=True, check=False)
    assert checked.returncode == 0, checked.stderr
    process = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 10
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return LoadBalancer(folder, port, process)
        except OSError:
            if process.poll() is not None or time.monotonic() > deadline:
                log = (folder / "error.log").read_text()
                raise AssertionError(f"nginx did not start: {log}") from None
            time.sleep(0.05)
