"""The administrator and the session key live in the database: every node shares a sign-in."""

from __future__ import annotations

import contextlib
import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from portal_client import FAST_HASHER, PASSWORD, PortalClient
from pydantic import SecretStr
from sqlalchemy.orm import Session

from pgcluster import TEST_KEY_ENCRYPTION_KEY
from tenantlab.clock import FixedClock
from tenantlab.config import PlatformSettings, write_private_file
from tenantlab.platform import Platform
from tenantlab.portal.admin import (
    ADMIN_FILE,
    SESSION_KEY_FILE,
    LocalAdministrator,
    PortalSettings,
)
from tenantlab.portal.app import create_app
from tenantlab.storage.installation import claim_setting, read_setting, replace_setting


def _node(home: Path, database_url: str, clock: FixedClock) -> Platform:
    # Two data folders on one database: as nodes on two machines, they share the KEK.
    settings = PlatformSettings(
        home=home, database_url=database_url, key_encryption_key=TEST_KEY_ENCRYPTION_KEY
    )
    return Platform.open(settings, clock)


def _portal(platform: Platform, password: str | None = PASSWORD) -> PortalClient:
    settings = PortalSettings(password=SecretStr(password) if password else None)
    admin = LocalAdministrator(platform.settings.home, FAST_HASHER, database=platform.database)
    return PortalClient(create_app(platform, settings=settings, administrator=admin))


def test_a_session_made_on_one_node_is_valid_on_another(tmp_path: Path, clock: FixedClock) -> None:
    url = f"sqlite:///{tmp_path / 'shared.db'}"  # one database, two data folders
    node_a, node_b = _node(tmp_path / "a", url, clock), _node(tmp_path / "b", url, clock)
    a, b = _portal(node_a), _portal(node_b, password=None)
    try:
        assert a.sign_in().url.path == "/portal/tenants"
        b.cookies.update(a.cookies)
        assert b.get("/portal/tenants").url.path == "/portal/tenants"
        # A new password set through node b's admin ends the session on node a too.
        LocalAdministrator(
            node_b.settings.home, FAST_HASHER, database=node_b.database
        ).set_password("Another-Passw0rd!")
        assert a.get("/portal/tenants").url.path == "/portal/signin"
        for node in (node_a, node_b):
            assert not list(node.settings.home.glob("portal-*"))
    finally:
        a.close()
        b.close()
        node_a.close()
        node_b.close()


def test_an_old_data_folders_admin_and_session_key_move_into_the_database(
    tmp_path: Path, clock: FixedClock
) -> None:
    home = tmp_path / "home"
    record = {"username": "admin", "password_hash": FAST_HASHER.hash(PASSWORD), "generation": 3}
    write_private_file(home / ADMIN_FILE, json.dumps(record).encode())
    old_key = "k" * 64
    write_private_file(home / SESSION_KEY_FILE, old_key.encode())
    platform = Platform.open(PlatformSettings(home=home), clock)
    portal = _portal(platform, password=None)  # no configured password: the old one stands
    try:
        assert portal.sign_in().url.path == "/portal/tenants"
        assert not (home / ADMIN_FILE).exists()
        assert not (home / SESSION_KEY_FILE).exists()
        admin = LocalAdministrator(home, FAST_HASHER, database=platform.database)
        assert admin.generation() == 3
        platform.database.dispose()
        stored = (home / "tenantlab.db").read_bytes()
        assert old_key.encode() not in stored  # the session key is sealed
    finally:
        portal.close()
        platform.close()


def test_processes_starting_together_create_one_administrator_and_show_only_its_password(
    tmp_path: Path, clock: FixedClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Workers (or nodes) on one fresh database each find no account and generate a password;
    only the one whose account was stored may show it. The other used to store its own over it
    (or fail its start on the primary key), so a shown password could not sign in."""
    url = f"sqlite:///{tmp_path / 'shared.db'}"
    node_a, node_b = _node(tmp_path / "a", url, clock), _node(tmp_path / "b", url, clock)
    try:
        first = LocalAdministrator(node_a.settings.home, FAST_HASHER, database=node_a.database)
        late = LocalAdministrator(node_b.settings.home, FAST_HASHER, database=node_b.database)
        shown = first.ensure()
        assert shown is not None
        monkeypatch.setattr(late, "exists", lambda: False)  # it looked before `first` stored
        assert late.ensure() is None
        assert late.verify("admin", shown)
        assert late.generation() == 1
    finally:
        node_a.close()
        node_b.close()


def test_a_setting_replaced_while_another_node_inserts_it_is_overwritten(
    tmp_path: Path, clock: FixedClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    url = f"sqlite:///{tmp_path / 'shared.db'}"
    node_a, node_b = _node(tmp_path / "a", url, clock), _node(tmp_path / "b", url, clock)
    opened = node_a.database.session
    raced: list[str] = []

    @contextlib.contextmanager
    def session_with_a_rival() -> Iterator[Session]:
        with opened() as session:
            yield session
            if not raced:  # node b inserts between node a's read and its commit
                raced.append(claim_setting(node_b.database, "race", value="b").value or "")

    monkeypatch.setattr(node_a.database, "session", session_with_a_rival)
    try:
        replace_setting(node_a.database, "race", value="a")
        assert raced == ["b"]
        found = read_setting(node_b.database, "race")
        assert found is not None
        assert found.value == "a"
    finally:
        node_a.close()
        node_b.close()
