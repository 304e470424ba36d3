"""pytest-tenantlab: the fixtures a project gets from `pip install tenantlab` (pytest11 entry).

    tenantlab_cloud  session   the emulated cloud, live over TLS; CA variables exported
    tenant           function  a fresh tenant in it (`tenantlab_tenant`, under its own name too)
    app, api         function  factories: `app("orders-daemon", secret=True, roles={api: [...]})`
    grant, user      function  admin consent; a member user
    todo_api         function  the ToDo API, live, protected by and bound to that tenant

The factories take `tenantlab_tenant`, never `tenant`: a project whose conftest has a `tenant` of
its own (tenantlab's has) keeps it, and `app` and friends still work. Importing this module loads
nothing heavy; the cloud is built only when a test asks for it.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from tenantlab.directory.managed_identities import ManagedIdentityView
    from tenantlab.testing.cloud import LiveCloud
    from tenantlab.testing.registrations import RegisteredApi, RegisteredApp, TestUser
    from tenantlab.testing.tenant import LiveTenant
    from tenantlab.testing.todo import LiveTodoApi

    AppFactory = Callable[..., RegisteredApp]
    ApiFactory = Callable[..., RegisteredApi]
    UserFactory = Callable[..., TestUser]
    GrantFactory = Callable[..., None]
    IdentityFactory = Callable[..., ManagedIdentityView]


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("tenantlab", "tenantlab (a local Microsoft Entra ID)")
    group.addoption(
        "--tenantlab-url",
        metavar="URL",
        default=os.environ.get("TENANTLAB_TEST_URL"),
        help="use the tenantlab already serving URL (e.g. https://localhost:5443) instead of "
        "starting one; tenants are created through its data folder (--tenantlab-home). "
        "Default: $TENANTLAB_TEST_URL",
    )
    group.addoption(
        "--tenantlab-home",
        metavar="DIR",
        default=None,
        help="the data folder of the server at --tenantlab-url (default: $TENANTLAB_HOME, "
        "else ~/.tenantlab)",
    )
    parser.addini(
        "tenantlab_management_apps",
        type="bool",
        default=False,
        help="give every new tenant its Graph management app at once (slower; default: "
        "`tenant.management()` registers it when asked)",
    )


def _remote_home(config: pytest.Config) -> Path:
    chosen = config.getoption("tenantlab_home") or os.environ.get("TENANTLAB_HOME")
    return Path(chosen).expanduser() if chosen else Path.home() / ".tenantlab"


@pytest.fixture(scope="session")
def tenantlab_cloud(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[LiveCloud]:
    """The emulated cloud for the whole session, and the CA variables its clients need."""
    from tenantlab.errors import ConfigError
    from tenantlab.testing.cloud import connect_cloud, start_cloud

    config = request.config
    url: str | None = config.getoption("tenantlab_url")
    management = bool(config.getini("tenantlab_management_apps"))
    with ExitStack() as stack:
        try:
            if url:
                cloud = stack.enter_context(
                    connect_cloud(url, _remote_home(config), management_apps=management)
                )
            else:
                home = tmp_path_factory.mktemp("tenantlab")
                cloud = stack.enter_context(start_cloud(home, management_apps=management))
        except ConfigError as error:
            pytest.fail(f"tenantlab: {error}", pytrace=False)
        env = stack.enter_context(pytest.MonkeyPatch.context())
        for name, value in cloud.ca_environment().items():
            env.setenv(name, value)
        yield cloud


@pytest.fixture
def tenantlab_tenant(tenantlab_cloud: LiveCloud) -> LiveTenant:
    """A fresh tenant per test (the factories below create in it)."""
    return tenantlab_cloud.new_tenant()


@pytest.fixture
def tenant(tenantlab_tenant: LiveTenant) -> LiveTenant:
    """A fresh tenant per test: `tenant.id`, `tenant.authority`, `tenant.app(...)`, ..."""
    return tenantlab_tenant


@pytest.fixture
def app(tenantlab_tenant: LiveTenant) -> AppFactory:
    """`app("orders-daemon", secret=True, roles={orders_api: ["Orders.Read"]})`."""
    return tenantlab_tenant.app


@pytest.fixture
def api(tenantlab_tenant: LiveTenant) -> ApiFactory:
    """`api("orders-api", roles=["Orders.Read"], scopes=["Orders.Manage"], token_version=2)`."""
    return tenantlab_tenant.api


@pytest.fixture
def grant(tenantlab_tenant: LiveTenant) -> GrantFactory:
    """`grant(client_app, api, roles=[...], scopes=[...])`: admin consent."""
    return tenantlab_tenant.grant


@pytest.fixture
def user(tenantlab_tenant: LiveTenant) -> UserFactory:
    """`user("adele", password="...")`: a member user adele@{the tenant's domain}."""
    return tenantlab_tenant.user


@pytest.fixture
def managed_identity(tenantlab_tenant: LiveTenant) -> IdentityFactory:
    """`managed_identity("vm1", roles={"graph": ["User.Read.All"]})`."""
    return tenantlab_tenant.managed_identity


@pytest.fixture
def todo_api(tenantlab_tenant: LiveTenant, tmp_path: Path) -> Iterator[LiveTodoApi]:
    """The ToDo API registered in the test's tenant and serving over TLS (`todo_api.url`)."""
    from tenantlab.testing.todo import start_todo_api

    with start_todo_api(tenantlab_tenant, tmp_path / "todo-api") as running:
        yield running
