"""Benchmark: our token endpoint vs the oidc-provider peer, loaded the same way, in one run.

    .venv/bin/python bench/token_endpoint.py [--reps 3] [--duration 10] [--conns "1 8 32"]
        [--variants pinned,nosignins,cert,apps10k,groups,unpinned]
        [--peers-dir ../shared/bench/peers] [--out DIR]

Method (../shared/reference/peer-benchmark.md, ../shared/bench/peers/README.md): the same client
id, secret and scope for both servers (`client_secret_post`, `scope=api://bench/.default`), the
peers' wrk script (`peers/common/post.lua`, `wrk -t1 --timeout 5s --latency`), a 3 s warm-up at 8
connections, then 10 s at 1, 8 and 32 connections; every server started fresh for every
repetition, server pinned to CPU 0 and wrk to CPU 1; the peer and ours interleaved within each
repetition, so both see the same machine. Medians of the repetitions are reported: tokens/s
(2xx per second), wrk's p50 and p99, peak RSS (VmHWM, process + children), and the server's CPU
time per token from /proc (robust to noise from other processes). Variants:

- `pinned`   ours with the secret vs the peer (the headline);
- `nosignins` ours with the secret and the sign-in log closed (prices sign-in recording, issue 15);
- `cert`     ours with a certificate client assertion (RS256 + x5t) instead of the secret;
- `apps10k`  ours with 10,000 more app registrations in the tenant;
- `groups`   ours with the API asking for the `groups` claim (SecurityGroup) and the client in
             150 groups (a 150-id claim) and in 250 (the overage instead);
- `unpinned` ours with 2 worker processes vs the peer, nothing pinned, at 8 and 32 connections.

Every load run is bounded by wrk's -d and a timeout, and only targets 127.0.0.1. The peer is
installed by its own run.sh under ${TMPDIR:-/tmp}/peers (npm); nothing is written to this repo.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from token_endpoint_server import (  # noqa: E402
    CLIENT_ID,
    CLIENT_SECRET,
    KEY_FILE,
    RESOURCE_URI,
    TENANT_ID,
)

SCOPE = f"{RESOURCE_URI}/.default"
OUR_PORT = 18090
PEER_PORT = 18081
CLK_TCK = os.sysconf("SC_CLK_TCK")
PYTHON = sys.executable


def form(**extra: str) -> str:
    fields = {"grant_type": "client_credentials", "client_id": CLIENT_ID, "scope": SCOPE, **extra}
    return urllib.parse.urlencode(fields)


SECRET_FORM = form(client_secret=CLIENT_SECRET)


def cert_form(home: Path, token_url: str) -> str:
    """A certificate assertion as MSAL Python / azure-identity sync send it (RS256 + x5t)."""
    import hashlib
    import uuid

    import jwt
    from cryptography import x509
    from cryptography.hazmat.primitives.serialization import Encoding

    pem = (home / KEY_FILE).read_bytes()
    der = x509.load_pem_x509_certificate(pem).public_bytes(Encoding.DER)
    x5t = jwt.utils.base64url_encode(hashlib.sha1(der).digest()).decode()
    now = int(time.time())
    claims = {
        "aud": token_url,
        "iss": CLIENT_ID,
        "sub": CLIENT_ID,
        "jti": str(uuid.uuid4()),
        "iat": now,
        "nbf": now,
        "exp": now + 3000,
    }
    assertion = jwt.encode(claims, pem, algorithm="RS256", headers={"x5t": x5t})
    return form(
        client_assertion_type="urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
        client_assertion=assertion,
    )


# -- processes ------------------------------------------------------------------------------------


def tree(pid: int) -> list[int]:
    children = subprocess.run(
        ["ps", "-o", "pid=", "--ppid", str(pid)], capture_output=True, text=True, check=False
    ).stdout.split()
    return [pid, *(int(c) for c in children)]


def kib(pid: int, field: str) -> int:
    total = 0
    for p in tree(pid):
        try:
            for line in Path(f"/proc/{p}/status").read_text().splitlines():
                if line.startswith(field + ":"):
                    total += int(line.split()[1])
        except OSError:
            pass
    return total


def cpu_seconds(pid: int) -> float:
    total = 0.0
    for p in tree(pid):
        try:
            fields = Path(f"/proc/{p}/stat").read_text().rsplit(")", 1)[1].split()
            total += (int(fields[11]) + int(fields[12])) / CLK_TCK
        except OSError:
            pass
    return total


def wait_token(url: str, body: str, pid: int, timeout: float = 120) -> float:
    start, deadline = time.monotonic(), time.monotonic() + timeout
    while time.monotonic() < deadline:
        request = urllib.request.Request(url, data=body.encode(), method="POST")
        request.add_header("Content-Type", "application/x-www-form-urlencoded")
        try:
            with urllib.request.urlopen(request, timeout=2) as response:
                if response.status == 200:
                    return time.monotonic() - start
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            pass
        if not Path(f"/proc/{pid}").exists():
            raise RuntimeError(f"server {pid} exited")
        time.sleep(0.02)
    raise RuntimeError(f"no token from {url} within {timeout}s")


class Target:
    """A server to load: started fresh per repetition, stopped by its own PID."""

    def __init__(self, label: str, token_url: str, jwks_url: str, body: str) -> None:
        self.label, self.token_url, self.jwks_url, self.body = label, token_url, jwks_url, body
        self.pid = 0

    def start(self, pinned: bool) -> None:
        raise NotImplementedError

    def stop(self) -> None:
        raise NotImplementedError


class Ours(Target):
    def __init__(
        self,
        label: str,
        home: Path,
        workers: int = 1,
        cert: bool = False,
        sign_ins: bool = True,
    ) -> None:
        base = f"http://127.0.0.1:{OUR_PORT}/{TENANT_ID}"
        super().__init__(label, f"{base}/oauth2/v2.0/token", f"{base}/discovery/v2.0/keys", "")
        self.home, self.workers, self.cert, self.sign_ins = home, workers, cert, sign_ins
        self.process: subprocess.Popen[bytes] | None = None

    def start(self, pinned: bool) -> None:
        command = [
            PYTHON,
            str(HERE / "token_endpoint_server.py"),
            "serve",
            "--home",
            str(self.home),
            "--port",
            str(OUR_PORT),
            "--workers",
            str(self.workers),
            "--sign-ins",
            "on" if self.sign_ins else "off",
        ]
        if pinned:
            command = ["taskset", "-c", "0", *command]
        log = open(self.home / "server.log", "ab")  # noqa: SIM115 - closed with the process
        self.process = subprocess.Popen(command, stdout=log, stderr=log)
        self.pid = self.process.pid
        # The assertion names the token endpoint by the public (https) origin, as a client would.
        audience = self.token_url.replace("http://", "https://", 1)
        self.body = cert_form(self.home, audience) if self.cert else SECRET_FORM
        wait_token(self.token_url, self.body, self.pid)

    def stop(self) -> None:
        if self.process is not None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
            self.process = None


class Peer(Target):
    def __init__(self, peers_dir: Path) -> None:
        base = f"http://127.0.0.1:{PEER_PORT}"
        super().__init__("oidc-provider", f"{base}/token", f"{base}/jwks", SECRET_FORM)
        self.run_sh = peers_dir / "oidc-provider" / "run.sh"
        self.pidfile = Path(os.environ.get("TMPDIR", "/tmp")) / "peers/oidc-provider/server.pid"

    def _env(self, pinned: bool) -> dict[str, str]:
        return {
            **os.environ,
            "CLIENT_ID": CLIENT_ID,
            "CLIENT_SECRET": CLIENT_SECRET,
            "SCOPE": SCOPE,
            "PORT": str(PEER_PORT),
            "SERVER_CPUS": "0" if pinned else "",
        }

    def start(self, pinned: bool) -> None:
        subprocess.run(
            ["bash", str(self.run_sh), "start"],
            env=self._env(pinned),
            check=True,
            timeout=600,
            stdout=subprocess.DEVNULL,
        )
        self.pid = int(self.pidfile.read_text())

    def stop(self) -> None:
        subprocess.run(
            ["bash", str(self.run_sh), "stop"],
            env=self._env(True),
            check=False,
            timeout=60,
            stdout=subprocess.DEVNULL,
        )


# -- load -----------------------------------------------------------------------------------------

_UNIT = {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60000.0}


def _ms(text: str) -> float:
    match = re.fullmatch(r"([\d.]+)(us|ms|s|m)", text)
    if match is None:
        raise ValueError(text)
    return float(match.group(1)) * _UNIT[match.group(2)]


def wrk(target: Target, conns: int, seconds: int, lua: Path, pinned: bool) -> dict[str, Any]:
    command = [
        "wrk",
        "-t1",
        f"-c{conns}",
        f"-d{seconds}s",
        "--timeout",
        "5s",
        "--latency",
        "-s",
        str(lua),
        target.token_url,
    ]
    if pinned:
        command = ["taskset", "-c", "1", *command]
    cpu_before = cpu_seconds(target.pid)
    output = subprocess.run(
        command,
        env={**os.environ, "FORM": target.body},
        capture_output=True,
        text=True,
        timeout=seconds + 15,
        check=True,
    ).stdout
    cpu = cpu_seconds(target.pid) - cpu_before
    done = re.search(r"(\d+) requests in ([\d.]+)(\w+),", output)
    assert done is not None, output
    requests, duration = int(done.group(1)), _ms(done.group(2) + done.group(3)) / 1000
    bad = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    errors = re.search(
        r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", output
    )
    p = dict(re.findall(r"^\s+(50|99)%\s+(\S+)", output, re.MULTILINE))
    non2xx = int(bad.group(1)) if bad else 0
    return {
        "conns": conns,
        "tokens_per_s": (requests - non2xx) / duration,
        "p50_ms": _ms(p["50"]),
        "p99_ms": _ms(p["99"]),
        "requests": requests,
        "non2xx": non2xx,
        "socket_errors": sum(int(g) for g in errors.groups()) if errors else 0,
        "cpu_us_per_token": cpu / max(requests, 1) * 1e6,
        "rss_mib": kib(target.pid, "VmRSS") / 1024,
    }


def check_token(target: Target, peers_dir: Path) -> None:
    """The peers' own check: an RS256 JWT whose signature verifies against the server's JWKS."""
    if target.body != SECRET_FORM:
        return  # check_token.py only knows the secret form; the load itself counts non-2xx
    env = {**os.environ, "CLIENT_ID": CLIENT_ID, "CLIENT_SECRET": CLIENT_SECRET, "SCOPE": SCOPE}
    subprocess.run(
        [
            "python3",
            str(peers_dir / "common" / "check_token.py"),
            target.token_url,
            target.jwks_url,
        ],
        env=env,
        check=True,
        timeout=30,
        stdout=subprocess.DEVNULL,
    )


def measure(
    target: Target, args: argparse.Namespace, conns: list[int], pinned: bool
) -> dict[str, Any]:
    lua = args.peers_dir / "common" / "post.lua"
    target.start(pinned)
    try:
        check_token(target, args.peers_dir)
        idle = kib(target.pid, "VmRSS") / 1024
        if args.warmup:
            wrk(target, 8, args.warmup, lua, pinned)
        runs = [wrk(target, c, args.duration, lua, pinned) for c in conns]
        check_token(target, args.peers_dir)
        peak = kib(target.pid, "VmHWM") / 1024
    finally:
        target.stop()
    return {"label": target.label, "rss_idle_mib": idle, "rss_peak_mib": peak, "runs": runs}


# -- report ---------------------------------------------------------------------------------------


def medians(results: list[dict[str, Any]], label: str) -> dict[int, dict[str, float]]:
    mine = [r for r in results if r["label"] == label]
    by_conns: dict[int, dict[str, float]] = {}
    for conns in sorted({run["conns"] for r in mine for run in r["runs"]}):
        rows = [run for r in mine for run in r["runs"] if run["conns"] == conns]
        by_conns[conns] = {
            k: statistics.median(row[k] for row in rows)
            for k in ("tokens_per_s", "p50_ms", "p99_ms", "cpu_us_per_token")
        }
        by_conns[conns]["min_tps"] = min(row["tokens_per_s"] for row in rows)
        by_conns[conns]["max_tps"] = max(row["tokens_per_s"] for row in rows)
        by_conns[conns]["errors"] = sum(row["non2xx"] + row["socket_errors"] for row in rows)
    by_conns[0] = {
        "rss_peak_mib": statistics.median(r["rss_peak_mib"] for r in mine),
        "rss_idle_mib": statistics.median(r["rss_idle_mib"] for r in mine),
    }
    return by_conns


def table(results: list[dict[str, Any]], labels: list[str], reference: str) -> str:
    lines = [
        "| server | conns | tokens/s (range) | p50 ms | p99 ms | CPU µs/token | errors |"
        " vs peer | peak RSS MiB |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    base = medians(results, reference)
    for label in labels:
        m = medians(results, label)
        for conns in sorted(c for c in m if c):
            row = m[conns]
            ratio = row["tokens_per_s"] / base[conns]["tokens_per_s"] if conns in base else 0
            lines.append(
                f"| {label} | {conns} | {row['tokens_per_s']:.0f} ({row['min_tps']:.0f}-"
                f"{row['max_tps']:.0f}) | {row['p50_ms']:.2f} | {row['p99_ms']:.1f} | "
                f"{row['cpu_us_per_token']:.0f} | {row['errors']:.0f} | {ratio:.2f}x | "
                f"{m[0]['rss_peak_mib']:.0f} |"
            )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reps", type=int, default=3)
    parser.add_argument("--duration", type=int, default=10)
    parser.add_argument("--warmup", type=int, default=3)
    parser.add_argument("--conns", default="1 8 32")
    parser.add_argument("--variants", default="pinned,nosignins,cert,apps10k,groups,unpinned")
    parser.add_argument("--apps", type=int, default=10_000)
    parser.add_argument(
        "--peers-dir",
        type=Path,
        default=Path(os.environ.get("PEERS_DIR", HERE.parent.parent / "shared/bench/peers")),
    )
    parser.add_argument(
        "--out",
        type=Path,
        default=Path(tempfile.gettempdir()) / "tenantlab-bench" / "token-endpoint",
    )
    args = parser.parse_args()
    for tool in ("wrk", "taskset", "node", "npm"):
        if shutil.which(tool) is None:
            sys.exit(f"{tool} is missing (scripts/system-deps installs wrk; node/npm for the peer)")
    if not (args.peers_dir / "oidc-provider" / "run.sh").is_file():
        sys.exit(f"no peer set-up at {args.peers_dir} (give --peers-dir or PEERS_DIR)")
    variants = set(args.variants.split(","))
    conns = [int(c) for c in args.conns.split()]
    args.out.mkdir(parents=True, exist_ok=True)
    homes = {
        "one": args.out / "home-1-app",
        "many": args.out / f"home-{args.apps}-apps",
        "groups150": args.out / "home-150-groups",
        "groups250": args.out / "home-250-groups",
    }
    seed = HERE / "token_endpoint_server.py"
    subprocess.run([PYTHON, str(seed), "seed", "--home", str(homes["one"])], check=True)
    if "apps10k" in variants:
        subprocess.run(
            [PYTHON, str(seed), "seed", "--home", str(homes["many"]), "--apps", str(args.apps)],
            check=True,
        )

    if "groups" in variants:
        for count in (150, 250):
            home = str(homes[f"groups{count}"])
            command = [PYTHON, str(seed), "seed", "--home", home, "--groups", str(count)]
            subprocess.run(command, check=True)

    peer = Peer(args.peers_dir)
    pinned: list[Target] = [peer]
    if "pinned" in variants:
        pinned.append(Ours("ours", homes["one"]))
    if "nosignins" in variants:
        pinned.append(Ours("ours (sign-in recording off)", homes["one"], sign_ins=False))
    if "cert" in variants:
        pinned.append(Ours("ours (certificate assertion)", homes["one"], cert=True))
    if "apps10k" in variants:
        pinned.append(Ours(f"ours ({args.apps:,} apps)", homes["many"]))
    if "groups" in variants:
        pinned.append(Ours("ours (groups claim, 150 groups)", homes["groups150"]))
        pinned.append(Ours("ours (groups overage, 250 groups)", homes["groups250"]))
    unpinned: list[Target] = []
    if "unpinned" in variants:
        unpinned = [peer, Ours("ours (2 workers)", homes["one"], workers=2)]

    print(f"load average before: {os.getloadavg()}", flush=True)
    results: list[dict[str, Any]] = []
    free: list[dict[str, Any]] = []
    for rep in range(args.reps):
        for target in pinned:
            print(f"rep {rep + 1}: {target.label} (pinned)", flush=True)
            results.append(measure(target, args, conns, pinned=True))
        for target in unpinned:
            print(f"rep {rep + 1}: {target.label} (unpinned)", flush=True)
            free.append(measure(target, args, [c for c in conns if c >= 8], pinned=False))
    (args.out / "results.json").write_text(json.dumps({"pinned": results, "unpinned": free}))

    report = [
        f"Load average at the end: {os.getloadavg()}",
        "",
        "Server pinned to CPU 0, wrk to CPU 1:",
        "",
        table(results, [t.label for t in pinned], peer.label),
    ]
    if free:
        report += [
            "",
            "Nothing pinned (ours: 2 worker processes; the peer: 1 Node process):",
            "",
            table(free, [t.label for t in unpinned], peer.label),
        ]
    text = "\n".join(report) + "\n"
    (args.out / "summary.md").write_text(text)
    print(text)
    print(f"(raw results in {args.out})")


if __name__ == "__main__":
    main()
