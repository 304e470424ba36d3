"""Helpers for tests of `tenantlab run`: the command in a subprocess, Microsoft's samples copied.

`tenantlab run` makes private namespaces; where this machine refuses them the tests skip, except
under CI=true where that must fail the run. Microsoft's samples are copied from
tests/official-samples (never edited in place); their npm packages come from `npm ci` with each
sample's own lock file, once per lock file, into tests/.cache (node_modules is then linked into
each copy).
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import stat
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tenantlab.daemon.formats import parse_dotenv

# Byte for byte as published (MIT; NOTICE.md there says from which commits): test inputs only.
OFFICIAL = Path(__file__).resolve().parents[1] / "official-samples"
CACHE = Path(__file__).resolve().parents[1] / ".cache" / "official-samples"


def command(*args: str) -> list[str]:
    return [sys.executable, "-m", "tenantlab.cli", *args]


def environment(home: Path, tmp: Path | None = None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("TENANTLAB_")}
    env["TENANTLAB_HOME"] = str(home)
    if tmp is not None:
        env["TMPDIR"] = str(tmp)
    return env


def tenantlab_run(
    home: Path, *args: str, cwd: Path | None = None, tmp: Path | None = None, timeout: int = 240
) -> subprocess.CompletedProcess[str]:
    """`tenantlab run ARGS...` with its own data folder; stdout, stderr and exit code."""
    return subprocess.run(
        command("run", *args),
        env=environment(home, tmp),
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def require_namespaces(result: subprocess.CompletedProcess[str]) -> None:
    """Skip (fail under CI) when this machine refuses the namespaces `tenantlab run` needs."""
    if result.returncode != 0 and "needs private Linux namespaces" in result.stderr:
        message = "this machine refuses unprivileged namespaces: " + result.stderr.strip()
        if os.environ.get("CI") == "true":
            pytest.fail(message + " (CI=true: a missing capability fails the run)")
        pytest.skip(message)


@dataclass(frozen=True)
class Quickstart:
    """The quickstart's tenants as `tenantlab run --quickstart` wrote them (Microsoft's URLs)."""

    home: Path

    @property
    def folder(self) -> Path:
        return self.home / "quickstart-as-microsoft"

    def python(self) -> dict[str, Any]:
        data: dict[str, Any] = json.loads((self.folder / "python" / "parameters.json").read_text())
        return data

    def python_certificate(self) -> dict[str, Any]:
        path = self.folder / "python-certificate" / "parameters.json"
        data: dict[str, Any] = json.loads(path.read_text())
        return data

    def node(self) -> dict[str, str]:
        return parse_dotenv((self.folder / "node" / ".env").read_text())

    def node_ciam(self) -> dict[str, str]:
        return parse_dotenv((self.folder / "node-ciam" / ".env").read_text())


def copy_sample(relative: str, into: Path) -> Path:
    """A writable copy of one of Microsoft's samples."""
    target = into / Path(relative).name
    shutil.copytree(OFFICIAL / relative, target)
    for path in [target, *target.rglob("*")]:
        path.chmod(path.stat().st_mode | stat.S_IWUSR)
    return target


def write_json(path: Path, data: dict[str, Any]) -> None:
    path.write_text(json.dumps(data, indent=2) + "\n")


def npm_installed(sample: Path) -> None:
    """node_modules for `sample` from `npm ci` with its own lock file (cached per lock file)."""
    manifest = (sample / "package-lock.json").read_bytes() + (sample / "package.json").read_bytes()
    key = f"{sample.name}-{hashlib.sha256(manifest).hexdigest()[:16]}"
    cached = CACHE / key
    if not (cached / "node_modules").is_dir():
        staging = CACHE / f".{key}.{os.getpid()}"
        shutil.rmtree(staging, ignore_errors=True)
        staging.mkdir(parents=True)
        for name in ("package.json", "package-lock.json"):
            shutil.copyfile(sample / name, staging / name)
        subprocess.run(
            ["npm", "ci", "--no-audit", "--no-fund", "--ignore-scripts"],
            cwd=staging,
            check=True,
            capture_output=True,
            timeout=600,
        )
        try:
            staging.rename(cached)
        except OSError:  # another test process finished first: use its copy
            shutil.rmtree(staging, ignore_errors=True)
    (sample / "node_modules").symlink_to(cached / "node_modules", target_is_directory=True)


def mounts() -> list[str]:
    """This process's mount table, for checking that a run left none behind."""
    return Path("/proc/self/mountinfo").read_text().splitlines()
