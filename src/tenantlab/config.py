"""Settings shared by every component: where the data folder is, which database, which URLs.

Nothing here reads the environment at import time; `PlatformSettings()` does, when called. The
reader is plain Python on purpose: every CLI command starts by reading these settings, and
pydantic-settings (with pydantic and asyncio behind it) cost as much start-up as SQLAlchemy.
"""

from __future__ import annotations

import json
import math
import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, fields
from enum import Enum
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from tenantlab.errors import ConfigError

DEFAULT_PORT = 5443
DEFAULT_TODO_PORT = 44351
ENV_PREFIX = "TENANTLAB_"

# Microsoft's own origins. When tenantlab's public origin is Entra's (`tenantlab run`, `tenantlab
# up --as-microsoft`: the names resolve to tenantlab and its CA is trusted), every URL and issuer
# is Entra's and Graph's exactly, so production validation code runs unchanged.
MICROSOFT_LOGIN_ORIGIN = "https://login.microsoftonline.com"
MICROSOFT_GRAPH_ORIGIN = "https://graph.microsoft.com"
MICROSOFT_V1_ISSUER_ORIGIN = "https://sts.windows.net"


class _Unset(Enum):
    FROM_ENVIRONMENT = 0


FROM_ENVIRONMENT = _Unset.FROM_ENVIRONMENT


def environment_values(prefix: str, environ: Mapping[str, str] | None = None) -> dict[str, str]:
    """`{PREFIX}NAME=value` variables as {"name": value}; names match in any case, as before."""
    source = os.environ if environ is None else environ
    size = len(prefix)
    return {
        name[size:].lower(): value
        for name, value in source.items()
        if name[:size].upper() == prefix.upper()
    }


def _home(value: object) -> Path:
    if isinstance(value, Path):
        return value
    if isinstance(value, str) and value:
        return Path(os.path.expanduser(value))
    raise ValueError("must be a folder path")


def _text(value: object) -> str:
    if isinstance(value, str):
        return value
    raise ValueError("must be text")


def _optional_text(value: object) -> str | None:
    return None if value is None else _text(value)


def _number(value: object, *, whole: bool) -> float:
    what = "a whole number" if whole else "a number"
    if isinstance(value, int if whole else (int, float)) and not isinstance(value, bool):
        return value
    if isinstance(value, str):
        try:
            return (int if whole else float)(value.strip())
        except ValueError:
            raise ValueError(f"must be {what}, not {value!r}") from None
    raise ValueError(f"must be {what}")


def _whole_number(low: int, high: int | None = None) -> Callable[[object], int]:
    def parse(value: object) -> int:
        number = int(_number(value, whole=True))
        if number < low or (high is not None and number > high):
            bounds = f"at least {low}" if high is None else f"between {low} and {high}"
            raise ValueError(f"must be {bounds}, not {number}")
        return number

    return parse


def _positive_number(value: object) -> float:
    number = float(_number(value, whole=False))
    if not math.isfinite(number) or number <= 0:
        raise ValueError(f"must be a number greater than 0, not {value!r}")
    return number


def _https_origin(value: object) -> str | None:
    """Every issuer, endpoint and the authority Graph trusts derive from the public origin,
    and MSAL and azure-identity refuse a plain http authority: it is https, always. Plain
    HTTP is served only behind a TLS-terminating proxy whose origin this is (`serve --http`).
    """
    if value is None:
        return None
    text = _text(value)
    parts = urlsplit(text)
    if parts.scheme != "https" or not parts.hostname:
        raise ValueError(
            f"the public URL must be an https:// origin, not {text!r} (clients refuse "
            "plain http; behind a TLS-terminating proxy give its https:// origin and --http)"
        )
    return "https" + text[len("https") :]  # the scheme in lower case, as issuers spell it


def _names(value: object) -> list[str]:
    """Comma-separated in the environment (a JSON list is read too); a list from code."""
    if isinstance(value, str):
        if value.lstrip().startswith("["):
            try:
                value = json.loads(value)
            except ValueError:
                raise ValueError("must be names separated by commas, or a JSON list") from None
        else:
            return [part.strip() for part in value.split(",") if part.strip()]
    if isinstance(value, (list, tuple)) and all(isinstance(part, str) for part in value):
        return [part.strip() for part in value if part.strip()]
    raise ValueError("must be names separated by commas")


# How each setting is read, in the order of the fields; the default when neither the caller nor
# the environment gives it.
_PARSERS: dict[str, tuple[Callable[[object], Any], Callable[[], object]]] = {
    "home": (_home, lambda: Path.home() / ".tenantlab"),
    "database_url": (_optional_text, lambda: None),
    "host": (_text, lambda: "127.0.0.1"),
    "port": (_whole_number(0, 65535), lambda: DEFAULT_PORT),
    "public_url": (_https_origin, lambda: None),
    "tls_names": (_names, list),
    "redis_url": (_optional_text, lambda: None),
    "database_connections": (_whole_number(1), lambda: 10),
    "workers": (_whole_number(1), lambda: 1),
    "sign_in_retention_days": (_positive_number, lambda: 30.0),
    "key_encryption_key": (_optional_text, lambda: None),
}


@dataclass(frozen=True, init=False)
class PlatformSettings:
    """The emulated cloud's settings: keyword arguments, else `TENANTLAB_*` environment
    variables, else the defaults. A bad value is a ConfigError naming the variable.

    `dataclasses.replace(settings, port=...)` gives a copy with other values (and reads no
    environment: every field is given).
    """

    home: Path
    database_url: str | None
    host: str
    port: int
    # The origin clients use; issuers and endpoints are derived from it. Default: https://localhost:{port}
    public_url: str | None
    # Extra DNS names / IPs for the TLS server certificate (comma separated in the environment).
    tls_names: list[str]
    # Redis shared by every node of one cloud (Graph throttling, sign-in limits); None: counted
    # in each process, which is right for one server process.
    redis_url: str | None
    # PostgreSQL connections one node may hold for requests, shared out among its worker
    # processes (`database_pool_size`); and how many worker processes this node runs.
    database_connections: int
    workers: int
    # Sign-in records older than this many days are pruned (Entra keeps them 30 days).
    sign_in_retention_days: float
    # Seals the secrets kept in the database (keys.envelope). Required with a shared database;
    # otherwise made on first start in {home}/key-encryption.key.
    key_encryption_key: str | None = field(repr=False)

    def __init__(self, **given: Any) -> None:
        unknown = sorted(set(given) - set(_PARSERS))
        if unknown:
            raise TypeError(f"PlatformSettings has no setting {', '.join(unknown)}")
        environment: dict[str, str] | None = None
        for name, (parse, default) in _PARSERS.items():
            value = given.get(name, FROM_ENVIRONMENT)
            if value is FROM_ENVIRONMENT:
                if environment is None:
                    environment = environment_values(ENV_PREFIX)
                value = environment.get(name, FROM_ENVIRONMENT)
            if value is FROM_ENVIRONMENT:
                parsed = default()
            else:
                try:
                    parsed = parse(value)
                except ValueError as exc:
                    raise ConfigError(
                        f"invalid setting {name} ({ENV_PREFIX}{name.upper()}): {exc}"
                    ) from None
            object.__setattr__(self, name, parsed)

    @classmethod
    def names(cls) -> tuple[str, ...]:
        """Every setting's name (`TENANTLAB_{NAME}` in the environment)."""
        return tuple(f.name for f in fields(cls))

    def values(self) -> dict[str, Any]:
        """Every setting, secrets included: to hand this node's settings to its own workers."""
        return {name: getattr(self, name) for name in self.names()}

    @property
    def resolved_database_url(self) -> str:
        return self.database_url or f"sqlite:///{self.home / 'tenantlab.db'}"

    @property
    def shared_database(self) -> bool:
        """A database server (PostgreSQL) rather than a SQLite file: nodes on other machines may
        share it, so nothing they must agree on can come from this node's data folder."""
        return not self.resolved_database_url.startswith("sqlite")

    @property
    def database_pool_size(self) -> int:
        """Each worker's PostgreSQL pool: ceil(database_connections / workers), at least 2.

        A worker may open as many again in overflow under a burst, plus one connection for its
        revision listener, so one node holds at most 2 * pool * workers + workers connections:
        keep nodes * that under PostgreSQL's max_connections (docs/deployment.md).
        """
        return max(2, math.ceil(self.database_connections / self.workers))

    @property
    def origin(self) -> str:
        """The public origin, without a trailing slash (e.g. https://localhost:5443)."""
        if self.public_url:
            return self.public_url.rstrip("/")
        return f"https://localhost:{self.port}"

    @property
    def as_microsoft(self) -> bool:
        """True when tenantlab stands in for login.microsoftonline.com itself."""
        return self.origin.lower() == MICROSOFT_LOGIN_ORIGIN

    @property
    def graph_origin(self) -> str:
        """Where Graph is served: graph.microsoft.com as Microsoft, else the cloud origin."""
        return MICROSOFT_GRAPH_ORIGIN if self.as_microsoft else self.origin

    @property
    def v1_issuer_origin(self) -> str:
        """The origin of v1 issuers: Entra's `https://sts.windows.net` as Microsoft, else ours."""
        return v1_issuer_origin(self.origin)

    @property
    def ca_bundle_path(self) -> Path:
        return self.home / "ca-bundle.pem"

    @property
    def tls_dir(self) -> Path:
        return self.home / "tls"

    @property
    def signing_keys_dir(self) -> Path:
        return self.home / "signing-keys"

    @property
    def secret_pepper_path(self) -> Path:
        """The key of every client secret digest (keys.secret_pepper)."""
        return self.home / "secret-pepper.key"

    @property
    def key_encryption_key_path(self) -> Path:
        """The KEK of a single-node installation (keys.encryption_key), made on first start."""
        return self.home / "key-encryption.key"


def make_private_dirs(path: Path) -> None:
    """Create `path` and every missing parent readable by the owner only (0700).

    `Path.mkdir(parents=True, mode=0o700)` applies the mode to the last folder only: the parents
    it creates get the umask's 0755. Folders that already exist are left as they are.
    """
    missing: list[Path] = []
    current = path
    while not current.exists():
        missing.append(current)
        if current.parent == current:
            break
        current = current.parent
    for folder in reversed(missing):
        try:
            os.mkdir(folder, 0o700)
        except FileExistsError:
            continue  # made meanwhile by another process: not ours to change
        os.chmod(folder, 0o700)  # a umask like 0o277 would have taken bits away


def v1_issuer_origin(origin: str) -> str:
    """Entra's v1 issuer is `https://sts.windows.net/{tid}/`; tenantlab's stand-in, on its own
    origin, is `{origin}/{tid}/` — unless tenantlab is login.microsoftonline.com, when it is
    Entra's exactly."""
    origin = origin.rstrip("/")
    return MICROSOFT_V1_ISSUER_ORIGIN if origin.lower() == MICROSOFT_LOGIN_ORIGIN else origin


def ensure_private_dir(path: Path) -> Path:
    """Create a folder (and its missing parents) readable by the owner only."""
    make_private_dirs(path)
    os.chmod(path, 0o700)
    return path


def write_private_file(path: Path, data: bytes) -> None:
    """Write a file that only its owner can read (private keys, credentials)."""
    make_private_dirs(path.parent)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        os.write(fd, data)
    finally:
        os.close(fd)
    os.chmod(path, 0o600)


def write_private_file_once(path: Path, data: bytes) -> bool:
    """Create `path` (0600) holding `data` atomically unless it exists: a complete file appears,
    never a half-written one. False when another process made it first (read theirs)."""
    make_private_dirs(path.parent)
    draft = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    write_private_file(draft, data)
    try:
        os.link(draft, path)
    except FileExistsError:
        return False
    finally:
        draft.unlink()
    return True


def prepare_private_file(path: Path) -> None:
    """Make sure `path` exists with mode 0600, so a library that opens it later (SQLite) writes
    into an owner-only file. An existing file readable by others is made owner-only."""
    make_private_dirs(path.parent)
    # Create it if missing, but never open an existing one: closing any descriptor of a file
    # drops every POSIX lock this process holds on it, SQLite's included. A second Database on
    # the same file in one process (a CLI command run in process, a test) then left the first
    # one's connections unlocked, and another process closing its last connection deleted the
    # WAL under them: each side went on with its own copy of the data.
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        pass
    else:
        os.close(fd)
    if os.stat(path).st_mode & 0o077:
        os.chmod(path, 0o600)
