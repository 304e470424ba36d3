"""The docs' shell blocks marked `<!-- runnable -->` run, in order, against a live tenantlab.

As a reader would after `scripts/quickstart`: `tenantlab up` (the quickstart's tenants) serves in
a temporary data folder, and each file's runnable blocks run in one bash session (so a variable
a block sets is there for the next) with `set -euo pipefail`; a variable captured with `$(...)`
must not be empty. The docs name the default ports; the test's servers run on free ones, so
5443, 44351 and 44352 are replaced by the ports really used (docs/contributing: CONTRIBUTING.md).
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from tenantlab.served import process_running

pytestmark = pytest.mark.integration

ROOT = Path(__file__).parents[2]
MARKER = "<!-- runnable -->"
FENCE = re.compile(r"^```(?:sh|bash|console)?\s*$")
CAPTURE = re.compile(r"^\s*(?:export\s+)?([A-Za-z_][A-Za-z0-9_]*)=\"?\$\(")
DOC_PORTS = ("5443", "44351", "44352")


def runnable_blocks(path: Path) -> list[str]:
    """The fenced blocks right after a `<!-- runnable -->` line, in order."""
    lines = path.read_text("utf-8").splitlines()
    blocks: list[str] = []
    index = 0
    while index < len(lines):
        if lines[index].strip() == MARKER:
            start = index + 1
            if start >= len(lines) or not FENCE.match(lines[start].strip()):
                raise AssertionError(f"{path}:{start}: {MARKER} must be followed by a ```sh fence")
            end = next(i for i in range(start + 1, len(lines)) if lines[i].strip() == "```")
            blocks.append("\n".join(lines[start + 1 : end]))
            index = end
        index += 1
    return blocks


def script_for(path: Path, blocks: list[str], ports: dict[str, str]) -> str:
    """One bash script: strict mode, each block announced, every `$(...)` capture checked."""
    pattern = re.compile(r"\b(" + "|".join(ports) + r")\b")
    out = ["set -euo pipefail"]
    for number, block in enumerate(blocks, 1):
        out.append(f"echo '--- {path.name} block {number}' >&2")
        for line in block.splitlines():
            out.append(pattern.sub(lambda m: ports[m.group(1)], line))
            captured = CAPTURE.match(line)
            if captured:
                name = captured.group(1)
                out.append(
                    f'[ -n "${{{name}:-}}" ] || {{ echo "{path.name} block {number}: '
                    f'{name} is empty" >&2; exit 1; }}'
                )
    return "\n".join(out) + "\n"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def environment(home: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("TENANTLAB_")}
    env["TENANTLAB_HOME"] = str(home)
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"
    return env


@pytest.fixture
def served(tmp_path: Path) -> Iterator[tuple[Path, dict[str, str]]]:
    """`tenantlab up` on free ports; yields its home and the docs' port -> real port map."""
    home = tmp_path / "home"
    process = subprocess.Popen(
        [sys.executable, "-m", "tenantlab.cli", "up", "--port", "0", "--todo-port", "0"],
        env=environment(home),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        record = home / "server.json"
        deadline = time.monotonic() + 120
        while True:
            if process.poll() is not None:
                pytest.fail(
                    f"tenantlab up ended: {process.stderr.read() if process.stderr else ''}"
                )
            if record.exists():
                data = json.loads(record.read_text())
                if data["pid"] == process.pid:
                    break
            if time.monotonic() > deadline:
                pytest.fail("tenantlab up did not record its origin within 120 s")
            time.sleep(0.2)
        ports = {
            "5443": str(urlsplit(data["origin"]).port),
            "44351": str(urlsplit(data["todo_origin"]).port),
            "44352": str(free_port()),
        }
        yield home, ports
    finally:
        process.send_signal(signal.SIGINT)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def run_script(
    script: str, home: Path, *, timeout: float = 200
) -> subprocess.CompletedProcess[str]:
    """Run it to its end; output goes to files, as a server started with `&` keeps pipes open."""
    out_file, err_file = home.parent / "script.out", home.parent / "script.err"
    home.parent.mkdir(parents=True, exist_ok=True)
    with out_file.open("w") as out, err_file.open("w") as err:
        session = subprocess.Popen(
            ["bash", "-c", script],
            cwd=ROOT,
            env=environment(home),
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=err,
            text=True,
            start_new_session=True,  # its background servers (`... &`) are stopped with it
        )
        try:
            code = session.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            code = -1
        finally:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(session.pid, signal.SIGTERM)
            session.wait()
    return subprocess.CompletedProcess(
        session.args, code, out_file.read_text(), err_file.read_text()
    )


def documents() -> list[Path]:
    return [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]


def test_the_readme_and_todo_api_page_have_runnable_blocks() -> None:
    assert len(runnable_blocks(ROOT / "README.md")) >= 4
    assert runnable_blocks(ROOT / "docs" / "todo-api.md")


def test_a_failing_block_or_an_empty_capture_fails(tmp_path: Path) -> None:
    doc = tmp_path / "doc.md"
    doc.write_text(f"{MARKER}\n```sh\nX=$(true)\necho never\n```\n")
    failed = run_script(script_for(doc, runnable_blocks(doc), {"5443": "1"}), tmp_path)
    assert failed.returncode == 1
    assert "X is empty" in failed.stderr
    assert "never" not in failed.stdout
    doc.write_text(f"{MARKER}\n```sh\nfalse | cat\necho never\n```\n")
    failed = run_script(script_for(doc, runnable_blocks(doc), {"5443": "1"}), tmp_path)
    assert failed.returncode == 1


@pytest.mark.timeout(900)  # some 30 commands, each a new process
def test_every_runnable_block_passes_after_the_quickstart(
    served: tuple[Path, dict[str, str]],
) -> None:
    if shutil.which("jq") is None or shutil.which("curl") is None:
        if os.environ.get("CI") == "true":
            pytest.fail("jq and curl are needed by the README's blocks")
        pytest.skip("jq and curl are needed by the README's blocks")
    home, ports = served
    ran = 0
    for path in documents():
        blocks = runnable_blocks(path)
        if not blocks:
            continue
        done = run_script(script_for(path, blocks, ports), home)
        assert done.returncode == 0, (
            f"{path.relative_to(ROOT)} failed (exit {done.returncode}):\n"
            f"{done.stderr[-4000:]}\n--- stdout:\n{done.stdout[-2000:]}"
        )
        assert "Traceback" not in done.stderr
        ran += len(blocks)
    assert ran >= 5
    assert process_running(json.loads((home / "server.json").read_text())["pid"])
