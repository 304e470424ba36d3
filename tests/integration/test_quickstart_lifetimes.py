"""The quickstart releases what it acquired however start-up ends (issue 17 item 4).

Start-up is interrupted (a KeyboardInterrupt, as Ctrl+C raises) right after each acquisition in
turn; afterwards no listening port, no open file and no extra thread may remain. The runner runs
in this process so the test can see its sockets, file descriptors and threads.
"""

from __future__ import annotations

import asyncio
import io
import os
import socket
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tenantlab.apiauth import TokenValidator
from tenantlab.config import PlatformSettings
from tenantlab.platform import Platform
from tenantlab.quickstart import QuickstartOptions, runner
from tenantlab.quickstart.servers import Servers, _loop_factory
from tenantlab.todo import TodoApi

_LOOP = _loop_factory  # the event loop the servers run on

pytestmark = pytest.mark.integration

# Start-up is interrupted right after each acquisition: when the next step begins (an
# acquisition that raised before returning could not be released by anyone), and once inside
# Servers.start after the servers' thread has started.
STEPS = (
    "cloud port",
    "ToDo port",
    "platform",
    "provisioning",
    "TLS certificate",
    "sample configs",
    "ToDo API",
    "servers starting",
    "servers started",
)


def _open_fds() -> dict[int, str]:
    found: dict[int, str] = {}
    for name in os.listdir("/proc/self/fd"):
        try:
            found[int(name)] = os.readlink(f"/proc/self/fd/{name}")
        except OSError:  # the listing's own descriptor, gone already
            continue
    return found


def _extra_threads(before: set[threading.Thread]) -> list[threading.Thread]:
    deadline = time.monotonic() + 5
    while True:
        extra = [t for t in threading.enumerate() if t not in before and t.is_alive()]
        if not extra or time.monotonic() > deadline:
            return extra
        time.sleep(0.05)


def _port_is_free(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind(("127.0.0.1", port))
            probe.listen(1)
        except OSError:
            return False
    return True


@pytest.fixture(scope="module")
def home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One data folder for every case: the first run provisions, the others reuse (fast)."""
    return tmp_path_factory.mktemp("lifetimes-home")


def _interrupt_after(step: str, monkeypatch: pytest.MonkeyPatch, ports: list[int]) -> None:
    def interrupt() -> None:
        raise KeyboardInterrupt(f"interrupted after {step}")

    def before(real: Callable[..., Any], when: Callable[[], bool] = lambda: True) -> Any:
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            if when():
                interrupt()
            return real(*args, **kwargs)

        return wrapper

    real_bind = runner.bind

    def recording_bind(*args: Any, **kwargs: Any) -> socket.socket:
        sock = real_bind(*args, **kwargs)
        ports.append(sock.getsockname()[1])
        return sock

    monkeypatch.setattr(runner, "bind", recording_bind)
    if step == "cloud port":
        monkeypatch.setattr(runner, "bind", before(recording_bind, lambda: len(ports) == 1))
    elif step == "ToDo port":
        monkeypatch.setattr(Platform, "open", before(Platform.open))
    elif step == "platform":
        monkeypatch.setattr(runner, "provision", before(runner.provision))
    elif step == "provisioning":
        monkeypatch.setattr(runner, "ensure_tls", before(runner.ensure_tls))
    elif step == "TLS certificate":
        monkeypatch.setattr(runner, "write_sample_configs", before(runner.write_sample_configs))
    elif step == "sample configs":
        monkeypatch.setattr(runner, "todo_api", before(runner.todo_api))
    elif step == "ToDo API":
        monkeypatch.setattr(runner, "Servers", before(runner.Servers))
    elif step == "servers starting":
        real_start = Servers.start

        def start_then_fail(self: Servers) -> None:
            real_start(self)
            interrupt()

        monkeypatch.setattr(Servers, "start", start_then_fail)
    elif step == "servers started":
        monkeypatch.setattr(runner, "run_steps", before(runner.run_steps))
    else:  # pragma: no cover - a typo in STEPS
        raise AssertionError(step)


@pytest.fixture(scope="module")
def uvloop_warmed() -> None:
    """libuv opens one pipe per process with its first loop and keeps it: not ours to close."""

    def run_a_loop() -> None:
        with asyncio.Runner(loop_factory=_LOOP()) as loop:
            loop.run(asyncio.sleep(0))

    thread = threading.Thread(target=run_a_loop)
    thread.start()
    thread.join()


@pytest.fixture
def leak_check(uvloop_warmed: None, monkeypatch: pytest.MonkeyPatch) -> Callable[[list[int]], None]:
    threads_before = set(threading.enumerate())
    fds_before = _open_fds()
    # The ToDo API's validator opens its HTTPS client lazily, so an unclosed one holds no
    # descriptor yet: count the validators made and closed instead.
    made: list[TokenValidator] = []
    closed: list[TokenValidator] = []
    real_init, real_aclose = TodoApi.__init__, TokenValidator.aclose

    def init(self: TodoApi, *args: Any, **kwargs: Any) -> None:
        real_init(self, *args, **kwargs)
        made.append(self.validator)

    async def aclose(self: TokenValidator) -> None:
        closed.append(self)
        await real_aclose(self)

    monkeypatch.setattr(TodoApi, "__init__", init)
    monkeypatch.setattr(TokenValidator, "aclose", aclose)

    def check(ports: list[int]) -> None:
        assert all(v in closed for v in made), "a ToDo validator was left open"
        assert not _extra_threads(threads_before)
        leaked = {fd: target for fd, target in _open_fds().items() if fds_before.get(fd) != target}
        assert not leaked, f"descriptors left open: {leaked}"
        for port in ports:
            assert _port_is_free(port), f"port {port} is still bound"

    return check


def _settings(home: Path) -> PlatformSettings:
    return PlatformSettings(home=home, host="127.0.0.1", port=0)


@pytest.mark.parametrize("step", STEPS)
def test_an_interrupted_start_up_leaves_nothing_open(
    step: str,
    home: Path,
    monkeypatch: pytest.MonkeyPatch,
    leak_check: Callable[[list[int]], None],
) -> None:
    ports: list[int] = []
    _interrupt_after(step, monkeypatch, ports)
    out = io.StringIO()
    options = QuickstartOptions(todo_port=0, out=home / "quickstart", run_daemon=True, once=True)
    with pytest.raises(KeyboardInterrupt, match=f"after {step}"):
        runner.run(_settings(home), options, out)
    assert ports, "no port was bound"
    leak_check(ports)
    # "stopped" is said once the servers were being started, not before.
    assert ("stopped" in out.getvalue().splitlines()) == step.startswith("servers")


def test_a_whole_run_leaves_nothing_open(
    home: Path, monkeypatch: pytest.MonkeyPatch, leak_check: Callable[[list[int]], None]
) -> None:
    ports: list[int] = []
    real_bind = runner.bind

    def recording_bind(*args: Any, **kwargs: Any) -> socket.socket:
        sock = real_bind(*args, **kwargs)
        ports.append(sock.getsockname()[1])
        return sock

    monkeypatch.setattr(runner, "bind", recording_bind)
    out = io.StringIO()
    options = QuickstartOptions(todo_port=0, out=home / "quickstart", run_daemon=False, once=True)
    assert runner.run(_settings(home), options, out) == 0
    assert out.getvalue().splitlines()[-1] == "stopped"
    assert len(ports) == 2
    leak_check(ports)
