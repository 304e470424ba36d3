"""A test session's data folder, copied from a template instead of made from nothing.

A new data folder costs seconds: two RSA keys for the local CA and the server certificate, every
Alembic migration, the portal administrator's argon2 hash. None of it differs between sessions
of the same tenantlab, so the first session makes a template folder (by opening a platform and
the cloud app on it, exactly as a session does) and every later one copies it in milliseconds.

Templates live in `$XDG_CACHE_HOME/tenantlab/test-homes` (else `~/.cache/...`), one per build of
tenantlab: the name is a digest of the package's files (path, size, mtime), so changed code never
gets a folder made by other code; a template unused for two days goes. The template holds no
tenant; its CA key, key-encryption key and secret pepper are shared by the sessions that copy
it, which is what a test CA is for (no one else trusts it).
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import os
import shutil
import tempfile
from pathlib import Path

import tenantlab

# A template unused this long is removed when a new one is made: several checkouts (worktrees,
# virtual environments) share the cache, and each keeps its own while it is in use.
UNUSED_FOR = 2 * 86_400


def cache_root() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "tenantlab" / "test-homes"


def build_digest() -> str:
    """Names this build of tenantlab: its files' paths, sizes and modification times."""
    package = Path(tenantlab.__file__).parent
    digest = hashlib.sha256()
    for path in sorted(package.rglob("*")):
        if path.suffix in {".pyc"} or not path.is_file():
            continue
        stat = path.stat()
        digest.update(f"{path.relative_to(package)}:{stat.st_size}:{stat.st_mtime_ns}\n".encode())
    return digest.hexdigest()[:16]


def prepare_home(home: Path) -> None:
    """Fill the empty folder `home` from this build's template (made first if missing)."""
    template = _template()
    shutil.copytree(template, home, dirs_exist_ok=True)
    home.chmod(0o700)


def _template() -> Path:
    root = cache_root()
    template = root / build_digest()
    if template.is_dir():
        os.utime(template)  # in use: not pruned by another build's session
        return template
    root.mkdir(parents=True, exist_ok=True)
    building = Path(tempfile.mkdtemp(prefix=".building-", dir=root))
    try:
        _make(building / "home")
        with contextlib.suppress(OSError):  # another session made it first: as good
            (building / "home").rename(template)
    finally:
        shutil.rmtree(building, ignore_errors=True)
    _prune(root, keep=template)
    return template


def _make(home: Path) -> None:
    from tenantlab.config import PlatformSettings
    from tenantlab.keys import ensure_tls
    from tenantlab.platform import Platform
    from tenantlab.server import create_cloud_app

    ensure_tls(home)
    platform = Platform.open(PlatformSettings(home=home), management_apps=False)
    try:
        # The portal's first run makes its administrator; its generated password is nobody's
        # (a test that signs in sets TENANTLAB_PORTAL_PASSWORD, which resets it).
        with contextlib.redirect_stderr(io.StringIO()):
            create_cloud_app(platform)
    finally:
        platform.close()


def _prune(root: Path, *, keep: Path) -> None:
    """Drop templates unused for two days, and half-made ones a killed session left behind."""
    import time

    now = time.time()
    for folder in root.iterdir():
        limit = 3600 if folder.name.startswith(".building-") else UNUSED_FOR
        if folder.is_dir() and folder != keep and folder.stat().st_mtime < now - limit:
            shutil.rmtree(folder, ignore_errors=True)
