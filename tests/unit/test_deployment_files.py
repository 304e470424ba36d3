"""compose.yaml, Dockerfile and the load balancer's template agree with each other and with
tenantlab (Docker is not on these machines: the files are read, not run)."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import yaml

from tenantlab.config import PlatformSettings

ROOT = Path(__file__).parents[2]
TEMPLATE = ROOT / "deploy" / "nginx" / "tenantlab.conf.template"


def _compose() -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load((ROOT / "compose.yaml").read_text())
    return data


def _nodes(compose: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {name: s for name, s in compose["services"].items() if name.startswith("node")}


def test_compose_runs_three_nodes_on_postgresql_and_redis_behind_nginx() -> None:
    compose = _compose()
    services = compose["services"]
    assert {"postgres", "redis", "loadbalancer"} <= set(services)
    nodes = _nodes(compose)
    assert sorted(nodes) == ["node1", "node2", "node3"]
    for name, node in nodes.items():
        env = node["environment"]
        assert env["TENANTLAB_DATABASE_URL"].startswith("postgresql://")
        assert "@postgres:" in env["TENANTLAB_DATABASE_URL"]
        assert env["TENANTLAB_REDIS_URL"] == "redis://redis:6379/0"
        # A shared database needs the one key-encryption key: compose refuses to start without it.
        assert ":?" in env["TENANTLAB_KEY_ENCRYPTION_KEY"]
        command = node["command"]
        assert command[0] == "serve"
        assert "--http" in command  # TLS ends at the load balancer
        public_url = command[command.index("--public-url") + 1]
        assert public_url == env["TENANTLAB_PUBLIC_URL"]  # every node names the same origin
        port = command[command.index("--port") + 1]
        assert f"{name}:{port}" in services["loadbalancer"]["environment"].values()
        assert node["volumes"] == [f"{name}-data:/data"]  # each node its own data folder
        # Every setting a node is given is one tenantlab reads.
        for variable in env:
            field = variable.removeprefix("TENANTLAB_").lower()
            assert field in PlatformSettings.names(), variable


def test_the_load_balancer_gets_every_variable_its_template_uses() -> None:
    balancer = _compose()["services"]["loadbalancer"]
    used = set(re.findall(r"\$\{(TENANTLAB_[A-Z0-9_]+)\}", TEMPLATE.read_text()))
    assert used == set(balancer["environment"])
    mounts = [volume.split(":") for volume in balancer["volumes"]]
    template_mount = next(m for m in mounts if m[0].endswith(".template"))
    assert (ROOT / template_mount[0]).resolve() == TEMPLATE
    assert template_mount[1].startswith("/etc/nginx/templates/")
    assert balancer["ports"] == [f"{balancer['environment']['TENANTLAB_LB_LISTEN']}:8443"]


def test_the_image_is_slim_runs_unprivileged_and_holds_runtime_dependencies_only() -> None:
    dockerfile = (ROOT / "Dockerfile").read_text()
    stages = re.findall(r"^FROM (\S+)", dockerfile, re.MULTILINE)
    assert stages
    assert all(stage.endswith("-slim") for stage in stages)
    final = dockerfile.rsplit("\nFROM ", 1)[1]
    user = re.findall(r"^USER (\S+)", final, re.MULTILINE)
    assert user
    assert not user[-1].startswith(("root", "0"))
    assert "--group dev" not in dockerfile
    assert "tests" in (ROOT / ".dockerignore").read_text().split()
    command = re.search(r"^CMD (\[.*\])$", final, re.MULTILINE)
    assert command is not None
    assert yaml.safe_load(command.group(1))[0] == "serve"
