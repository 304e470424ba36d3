"""docs/testing.md's examples run as a user's project: the plugin found through its entry point.

The blocks marked `<!-- pytest-file: NAME -->` are written to a temporary folder with no
conftest.py and no pytest configuration, and pytest runs there in a subprocess: the fixtures can
only come from the installed `pytest11` entry point. The second run points the same project at
a cloud this test started (`--tenantlab-url`), as a user points it at `tenantlab serve`.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from tenantlab.testing import start_cloud

pytestmark = pytest.mark.integration

DOC = Path(__file__).parents[2] / "docs" / "testing.md"
MARKER = re.compile(r"^<!-- pytest-file: ([\w.]+) -->$")


def example_files() -> dict[str, str]:
    """The marked blocks of docs/testing.md, by file name."""
    lines = DOC.read_text("utf-8").splitlines()
    files: dict[str, str] = {}
    for index, line in enumerate(lines):
        marked = MARKER.match(line.strip())
        if marked is None:
            continue
        if lines[index + 1].strip() != "```python":
            raise AssertionError(f"{DOC}:{index + 2}: a pytest-file marker needs a ```python fence")
        end = next(i for i in range(index + 2, len(lines)) if lines[i].strip() == "```")
        assert marked.group(1) not in files, f"{marked.group(1)} appears twice"
        files[marked.group(1)] = "\n".join(lines[index + 2 : end]) + "\n"
    return files


def expected_tests(files: dict[str, str]) -> int:
    """Test functions, counting a parametrize list's cases (one per line starting with `({`)."""
    count = 0
    for name, text in files.items():
        if name.startswith("test_"):
            count += len(re.findall(r"^def test_", text, re.M))
            count += len(re.findall(r"^    \(\{", text, re.M)) - text.count(
                "@pytest.mark.parametrize"
            )
    return count


def user_project(folder: Path) -> int:
    files = example_files()
    assert "conftest.py" not in files  # the point: no conftest code
    folder.mkdir()
    for name, text in files.items():
        (folder / name).write_text(text, "utf-8")
    return expected_tests(files)


def run_pytest(folder: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TENANTLAB_", "PYTEST_"))}
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-q", *args],
        cwd=folder,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )


def test_the_documented_examples_pass_in_a_project_without_conftest(tmp_path: Path) -> None:
    project = tmp_path / "project"
    count = user_project(project)
    assert count >= 15
    done = run_pytest(project, "-W", "error::pytest.PytestUnknownMarkWarning")
    assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-2000:]
    assert re.search(rf"^{count} passed", done.stdout, re.M), done.stdout[-2000:]
    listed = run_pytest(project, "--fixtures")
    assert "tenantlab_cloud" in listed.stdout
    assert "tenantlab/testing/plugin.py" in listed.stdout  # from the installed plugin


def test_the_same_examples_against_a_running_tenantlab(tmp_path: Path) -> None:
    """Two of the files (tokens; a daemon calling `todo_api`), to keep the run short."""
    project = tmp_path / "project"
    user_project(project)
    chosen = ("test_tokens.py", "test_orders_daemon.py")
    count = expected_tests({name: example_files()[name] for name in chosen})
    home = tmp_path / "served"
    with start_cloud(home) as running:
        before = len(running.directory.list_tenants())
        done = run_pytest(
            project, "--tenantlab-url", running.origin, "--tenantlab-home", str(home), *chosen
        )
        assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-2000:]
        assert re.search(rf"^{count} passed", done.stdout, re.M), done.stdout[-2000:]
        # The project's tenants were made in the running server's folder.
        assert len(running.directory.list_tenants()) >= before + count


def test_a_wrong_tenantlab_url_stops_the_session_with_one_line(tmp_path: Path) -> None:
    project = tmp_path / "project"
    user_project(project)
    home = tmp_path / "served"
    with start_cloud(home):
        pass  # a data folder whose server is gone
    done = run_pytest(
        project,
        "-x",
        "--tenantlab-url",
        "https://localhost:1",
        "--tenantlab-home",
        str(home),
        "test_tokens.py",
    )
    assert done.returncode != 0
    assert "tenantlab: https://localhost:1 did not answer" in done.stdout
    assert "Traceback" not in done.stdout
