"""Browser tests: Playwright driving Debian's chromium against the live cloud's admin center.

The live server is the integration suite's `cloud` fixture (real uvicorn + TLS on an ephemeral
loopback port), loaded from tests/integration/conftest.py so both suites share one definition.
Chromium is Debian's (`apt-get install chromium`, listed in scripts/system-deps): Playwright's own
browser download does not work on these machines. Without it the tests skip, except under
CI=true, where they fail.
"""

from __future__ import annotations

import importlib.util
import os
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
SCREENSHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"


def _load_integration_fixtures() -> Any:
    path = Path(__file__).resolve().parents[1] / "integration" / "conftest.py"
    # That conftest imports its sibling helper modules (msal_node); pytest puts their folder on
    # sys.path only once it collects tests/integration, which comes after tests/browser.
    if str(path.parent) not in sys.path:
        sys.path.insert(0, str(path.parent))
    spec = importlib.util.spec_from_file_location("tenantlab_integration_fixtures", path)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


_integration = _load_integration_fixtures()
cloud = _integration.cloud
_ca_environment = _integration._ca_environment


@pytest.fixture(scope="module")
def chromium() -> Iterator[Any]:
    # Module scope, not session: Playwright's sync API keeps an asyncio loop running in the main
    # thread while it is open, which breaks every later test that calls asyncio.run().
    if not CHROMIUM.exists():
        message = f"{CHROMIUM} is missing: apt-get install chromium (scripts/system-deps)"
        if os.environ.get("CI") == "true":
            pytest.fail(message)
        pytest.skip(message)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
        )
        yield browser
        browser.close()


@pytest.fixture
def screenshots(tmp_path: Path) -> Path:
    """docs/screenshots/ when UPDATE_SCREENSHOTS=1, else a temporary folder.

    Every run draws new ids and ports, so writing into the repository on each run would leave
    the tree dirty; the documented pictures are refreshed on purpose.
    """
    import os

    if os.environ.get("UPDATE_SCREENSHOTS") == "1":
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        return SCREENSHOTS
    return tmp_path
