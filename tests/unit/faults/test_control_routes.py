"""`/_tenantlab/faults` and `/_tenantlab/clock`: the admin token guards them; they do what the
Python API does."""

from __future__ import annotations

import dataclasses
import stat

import pytest
from fault_support import Client, Cloud

from tenantlab.config import PlatformSettings
from tenantlab.control.admin_token import (
    admin_token_path,
    authorized,
    ensure_admin_token,
    read_admin_token,
)
from tenantlab.platform import Platform
from tenantlab.server import create_cloud_app


@pytest.mark.parametrize(
    "headers",
    [{}, {"Authorization": "Bearer wrong"}, {"Authorization": "Basic eDp5"}],
    ids=["none", "wrong", "basic"],
)
def test_every_control_route_needs_the_admin_token(cloud: Cloud, headers: dict[str, str]) -> None:
    for method, path in (
        ("GET", "/faults"),
        ("POST", "/faults"),
        ("DELETE", "/faults"),
        ("GET", "/clock"),
        ("POST", "/clock/advance"),
    ):
        answer = cloud.client.request(method, f"/_tenantlab{path}", headers=headers, json={})
        assert answer.status_code == 401, (method, path)
        assert answer.headers["www-authenticate"] == 'Bearer realm="tenantlab"'
    assert len(cloud.platform.faults) == 0
    assert cloud.platform.clock.offset == 0


def test_the_admin_token_is_owner_only_stable_and_compared_whole(cloud: Cloud) -> None:
    home = cloud.platform.settings.home
    mode = stat.S_IMODE(admin_token_path(home).stat().st_mode)
    assert mode == 0o600
    assert ensure_admin_token(home) == cloud.admin_token  # made once per data folder
    assert authorized(cloud.admin_token, f"Bearer {cloud.admin_token}".encode())
    assert authorized(cloud.admin_token, f"bearer {cloud.admin_token}".encode())
    assert not authorized(cloud.admin_token, f"Bearer {cloud.admin_token[:-1]}".encode())
    assert not authorized(cloud.admin_token, None)


def test_faults_are_added_listed_and_removed_over_http(cloud: Cloud) -> None:
    added = cloud.control(
        "POST", "/faults", json={"endpoint": "token", "status": 429, "retryAfter": 1, "count": 2}
    )
    assert added.status_code == 201
    fault_id = added.json()["id"]
    assert cloud.token().status_code == 429
    listed = cloud.control("GET", "/faults").json()["value"]
    assert [(f["id"], f["hits"], f["count"]) for f in listed] == [(fault_id, 1, 1)]
    assert cloud.control("GET", f"/faults/{fault_id}").json()["endpoint"] == "token"
    assert cloud.control("DELETE", f"/faults/{fault_id}").status_code == 204
    assert cloud.control("DELETE", f"/faults/{fault_id}").status_code == 404
    assert cloud.token().status_code == 200
    cloud.control("POST", "/faults", json={"endpoint": "graph"})
    assert cloud.control("DELETE", "/faults").status_code == 204
    assert cloud.control("GET", "/faults").json() == {"value": []}


def test_a_bad_fault_is_a_400_with_the_fix(cloud: Cloud) -> None:
    answer = cloud.control("POST", "/faults", json={"endpoint": "token", "count": 0})
    assert answer.status_code == 400
    assert answer.json()["error_description"] == "count must be a whole number of at least 1, not 0"
    assert cloud.control("POST", "/faults", content=b"[1]").status_code == 400
    assert cloud.control("POST", "/faults", json={"endpoint": "x"}).status_code == 400


def test_a_fault_on_every_path_spares_the_control_routes(cloud: Cloud) -> None:
    cloud.control("POST", "/faults", json={"endpoint": "/", "status": 503})
    assert cloud.token().status_code == 503
    assert cloud.control("DELETE", "/faults").status_code == 204
    assert cloud.token().status_code == 200


def test_the_clock_over_http(cloud: Cloud) -> None:
    start = cloud.control("GET", "/clock").json()
    assert start == {
        "now": "2027-01-15T08:00:00Z",
        "epoch": 1_800_000_000.0,
        "offsetSeconds": 0.0,
        "frozen": False,
    }
    moved = cloud.control("POST", "/clock/advance", json={"seconds": 3600}).json()
    assert (moved["now"], moved["offsetSeconds"]) == ("2027-01-15T09:00:00Z", 3600.0)
    assert cloud.platform.clock.now() == 1_800_003_600.0
    frozen = cloud.control("POST", "/clock/freeze").json()
    assert frozen["frozen"] is True
    cloud.clock.advance(60)  # real time passes; the frozen cloud does not notice
    assert cloud.control("GET", "/clock").json()["now"] == "2027-01-15T09:00:00Z"
    resumed = cloud.control("POST", "/clock/resume").json()
    assert resumed["frozen"] is False
    assert resumed["now"] == "2027-01-15T09:00:00Z"
    set_to = cloud.control("POST", "/clock/set", json={"time": "2028-02-29T12:00:00+01:00"})
    assert set_to.json()["now"] == "2028-02-29T11:00:00Z"
    assert cloud.control("POST", "/clock/reset").json()["offsetSeconds"] == 0.0


@pytest.mark.parametrize(
    ("path", "body", "status"),
    [
        ("/clock/advance", {"seconds": "soon"}, 400),
        ("/clock/advance", {}, 400),
        ("/clock/set", {"time": "2028-02-29T12:00:00"}, 400),
        ("/clock/set", {"time": "tomorrow"}, 400),
        ("/clock/rewind", {}, 404),
    ],
)
def test_bad_clock_requests_leave_the_clock_alone(
    cloud: Cloud, path: str, body: dict[str, object], status: int
) -> None:
    answer = cloud.control("POST", path, json=body)
    assert answer.status_code == status
    assert answer.json()["error_description"]
    assert cloud.platform.clock.offset == 0


def test_a_cloud_served_by_several_workers_refuses_to_act(
    platform: Platform, settings: PlatformSettings
) -> None:
    """Each worker would hold its own faults and clock: a request reaching any one of them
    cannot promise anything, so the routes say so instead."""
    platform.settings = dataclasses.replace(settings, workers=2)
    client = Client(create_cloud_app(platform, portal=False))
    token = read_admin_token(settings.home)
    answer = client.request(
        "POST",
        "/_tenantlab/clock/advance",
        headers={"Authorization": f"Bearer {token}"},
        json={"seconds": 60},
    )
    assert answer.status_code == 409
    assert "without --workers" in answer.json()["error_description"]
    assert platform.clock.offset == 0
    unauthenticated = client.request("GET", "/_tenantlab/faults")
    assert unauthenticated.status_code == 401  # the token is still asked for first
