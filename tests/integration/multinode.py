"""One tenantlab cloud on three nodes, as docs/deployment.md and compose.yaml lay it out: three
`tenantlab serve --http` processes with their own data folders, one PostgreSQL, one Redis, nginx
(deploy/nginx/tenantlab.conf.template) ending TLS in front. Used by the multi-node tests and
bench/multinode.py.
"""

from __future__ import annotations

import secrets
import ssl
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from loadbalancer import LoadBalancer, free_port, start_load_balancer
from nodes import Node, node_env, start_node

from tenantlab.keys import ensure_tls


@dataclass
class Cluster:
    folder: Path
    database_url: str
    redis_url: str
    key_encryption_key: str
    public_url: str
    ca_file: Path
    nodes: list[Node] = field(default_factory=list)
    balancer: LoadBalancer | None = None
    extra_env: dict[str, str] = field(default_factory=dict)

    def env(self, index: int = 0) -> dict[str, str]:
        """Node `index`'s environment (a CLI run with it acts as an operator on that node).

        Outbound HTTPS (federated issuers' keys) trusts the load balancer's CA, which signs the
        test's other servers too."""
        return node_env(
            self.folder / f"node{index + 1}",
            database_url=self.database_url,
            redis_url=self.redis_url,
            key_encryption_key=self.key_encryption_key,
            public_url=self.public_url,
            **self.extra_env,
        ) | {"SSL_CERT_FILE": str(self.ca_file)}

    def trust(self) -> ssl.SSLContext:
        return ssl.create_default_context(cafile=self.ca_file)

    def node_url(self, index: int) -> str:
        return f"http://127.0.0.1:{self.nodes[index].port}"

    def start_node(self, index: int, *args: str) -> Node:
        home = self.folder / f"node{index + 1}"
        _share_pepper(self.folder, home)
        return start_node(
            home,
            "--http",
            "--public-url",
            self.public_url,
            "--forwarded-allow-ips",
            "127.0.0.1",
            *args,
            env=self.env(index),
        )


def _share_pepper(folder: Path, home: Path) -> None:
    """Every node gets the same secret pepper. It is still a file of each data folder
    (keys.secret_pepper): a secret added through one node would not verify on another."""
    pepper = folder / "secret-pepper.key"
    if not pepper.exists():
        pepper.write_bytes(secrets.token_bytes(32))
    home.mkdir(mode=0o700, parents=True, exist_ok=True)
    target = home / "secret-pepper.key"
    if not target.exists():
        target.write_bytes(pepper.read_bytes())
        target.chmod(0o600)


@contextmanager
def fresh_database(server_url: str) -> Iterator[str]:
    """An empty database on the PostgreSQL server `server_url`, dropped at the end."""
    import uuid

    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url
    from sqlalchemy.pool import NullPool

    from tenantlab.storage.database import normalize_url

    name = f"tenantlab_nodes_{uuid.uuid4().hex[:12]}"
    # No pool: the server may have restarted (fault tests) by the time the database is dropped.
    admin = create_engine(
        normalize_url(server_url), isolation_level="AUTOCOMMIT", poolclass=NullPool
    )
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        url = make_url(normalize_url(server_url)).set(database=name)
        yield url.render_as_string(hide_password=False)
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@contextmanager
def running_cluster(
    folder: Path,
    database_url: str,
    redis_url: str,
    *,
    nodes: int = 3,
    node_args: tuple[str, ...] = (),
    extra_env: dict[str, str] | None = None,
    nginx_workers: int = 1,
) -> Iterator[Cluster]:
    """`nodes` nodes behind nginx, all stopped (SIGTERM) at the end."""
    port = free_port()
    lb_home = folder / "loadbalancer"
    tls = ensure_tls(lb_home, ["localhost", "127.0.0.1"])
    cluster = Cluster(
        folder=folder,
        database_url=database_url,
        redis_url=redis_url,
        key_encryption_key=_kek(),
        public_url=f"https://localhost:{port}",
        ca_file=tls.ca_bundle,  # the system CAs + the load balancer's
        extra_env=dict(extra_env or {}),
    )
    with ExitStack() as stack:
        for index in range(nodes):  # one after another: the first migrates a fresh database
            node = cluster.start_node(index, *node_args)
            cluster.nodes.append(node)
            stack.callback(node.stop)
        cluster.balancer = start_load_balancer(
            folder / "nginx",
            [f"127.0.0.1:{n.port}" for n in cluster.nodes],
            tls.server_cert,
            tls.server_key,
            port=port,
            workers=nginx_workers,
        )
        stack.callback(cluster.balancer.stop)
        yield cluster


def _kek() -> str:
    import base64

    return base64.b64encode(secrets.token_bytes(32)).decode()
