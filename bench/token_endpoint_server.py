"""The token endpoint under load: seed a benchmark tenant, then serve it like `tenantlab serve`.

    .venv/bin/python bench/token_endpoint_server.py seed  --home DIR [--apps 10000]
    .venv/bin/python bench/token_endpoint_server.py serve --home DIR --port 18090 [--workers 2]
        [--sign-ins off]

The tenant mirrors the peers' set-up (../shared/bench/peers/common/lib.sh): client `CLIENT_ID`
with the secret `CLIENT_SECRET`, scope `api://bench/.default`. Entra needs GUID client ids, so the
benchmark hands the peer our GUID too. The secret is stored as Entra-style HMAC digest like any
other; it is written straight into the credential table because `add_password` (rightly) only
makes random secrets. The client also holds a certificate whose private key is written to
`{home}/bench-client-key.pem` for the assertion variant. `--apps N` adds N more registrations,
each with a service principal and a secret, to show the snapshot's cost does not grow per token.

`serve` binds first, then forks `--workers` processes sharing the socket (each opens its own
database connection after the fork), with the same app, middleware and uvicorn settings as
`tenantlab serve --log-level warning`. `--sign-ins off` closes the sign-in log (bench only: it
prices the recording of every token request, issue 15).
Plain HTTP by default, as the peers are served (`tenantlab serve --http --public-url https://...`,
the origin being https as behind a TLS-terminating proxy); `--tls` for HTTPS with the local CA.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import signal
import sys
from pathlib import Path

TENANT_ID = "b3e1c0de-7a11-4c0f-9e5d-2b6a8f4c1d00"
CLIENT_ID = os.environ.get("CLIENT_ID", "0b2c3d4e-5f60-4a7b-8c9d-0e1f2a3b4c5d")
CLIENT_SECRET = os.environ.get("CLIENT_SECRET", "bench-secret-0123456789")
RESOURCE_URI = "api://bench"
KEY_FILE = "bench-client-key.pem"


def _settings(home: Path, port: int, tls: bool) -> object:
    from tenantlab.config import PlatformSettings

    # Plain HTTP is `tenantlab serve --http --public-url https://...`: served without TLS, as
    # behind a TLS-terminating proxy, under the https origin that issuers and audiences name.
    host = "localhost" if tls else "127.0.0.1"
    return PlatformSettings(home=home, port=port, public_url=f"https://{host}:{port}")


def seed(home: Path, apps: int, groups: int = 0) -> None:
    """Idempotent: a second run finds the tenant and leaves everything as it is."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import rsa
    from cryptography.x509.oid import NameOID

    from tenantlab.config import PlatformSettings, write_private_file
    from tenantlab.ids import new_guid
    from tenantlab.platform import Platform
    from tenantlab.storage.database import bump_revision
    from tenantlab.storage.schema import Application, PasswordCredential, ServicePrincipal

    platform = Platform.open(PlatformSettings(home=home))
    directory = platform.directory
    try:
        if directory.find_tenant(TENANT_ID) is not None:
            return
        directory.create_tenant(display_name="Bench", domain="bench", tenant_id=TENANT_ID)
        directory.create_application(
            tenant=TENANT_ID,
            display_name="Bench API",
            identifier_uris=[RESOURCE_URI],
            requested_access_token_version=2,
        )
        directory.add_app_role(tenant=TENANT_ID, app="Bench API", value="Bench.Read")
        client = directory.create_application(
            tenant=TENANT_ID, display_name="Bench client", app_id=CLIENT_ID
        )
        directory.grant_app_role(
            tenant=TENANT_ID, client=CLIENT_ID, resource=RESOURCE_URI, role="Bench.Read"
        )
        if groups:  # the API asks for the groups claim; the client is in `groups` groups
            directory.update_application(
                tenant=TENANT_ID,
                app="Bench API",
                changes={"groupMembershipClaims": "SecurityGroup"},
            )
            client_sp = directory.get_service_principal(tenant=TENANT_ID, key=CLIENT_ID)
            for i in range(groups):
                group = directory.create_group(
                    tenant=TENANT_ID, display_name=f"Bench {i}", mail_nickname=f"bench{i}"
                )
                directory.add_group_member(tenant=TENANT_ID, group=group.id, member=client_sp.id)
        now = platform.clock.now()
        with platform.database.session() as session:
            key_id = new_guid()
            session.add(
                PasswordCredential(
                    key_id=key_id,
                    application_id=client.id,
                    hint=CLIENT_SECRET[:3],
                    secret_digest=directory.secret_digests.digest(CLIENT_SECRET),
                    start_at=now - 60,
                    end_at=now + 300 * 86400,
                )
            )
            bump_revision(session)

        key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "bench client")])
        start = dt.datetime.now(dt.UTC) - dt.timedelta(days=1)
        cert = (
            x509.CertificateBuilder()
            .subject_name(name)
            .issuer_name(name)
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(start)
            .not_valid_after(start + dt.timedelta(days=365))
            .sign(key, hashes.SHA256())
        )
        cert_pem = cert.public_bytes(serialization.Encoding.PEM)
        directory.add_certificate(tenant=TENANT_ID, app=CLIENT_ID, certificate_pem_or_der=cert_pem)
        private = key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
        write_private_file(home / KEY_FILE, private + cert_pem)

        # Many more registrations, in one transaction (the directory API commits per object).
        with platform.database.session() as session:
            for index in range(apps):
                app_object, app_id = new_guid(), new_guid()
                session.add(
                    Application(
                        id=app_object,
                        tenant_id=TENANT_ID,
                        app_id=app_id,
                        display_name=f"filler app {index}",
                        created_at=now,
                    )
                )
                session.add(
                    ServicePrincipal(
                        id=new_guid(),
                        tenant_id=TENANT_ID,
                        app_id=app_id,
                        application_id=app_object,
                        display_name=f"filler app {index}",
                        app_owner_organization_id=TENANT_ID,
                        service_principal_names=[app_id],
                        created_at=now,
                    )
                )
                filler_key = new_guid()
                session.add(
                    PasswordCredential(
                        key_id=filler_key,
                        application_id=app_object,
                        hint="fil",
                        secret_digest=directory.secret_digests.digest(new_guid()),
                        start_at=now,
                        end_at=now + 86400,
                    )
                )
            bump_revision(session)
        platform.keys.active(TENANT_ID)
        # The first start of the cloud app creates the portal's administrator (an argon2id hash,
        # 64 MiB for a moment); do it here so the measured servers' peak RSS does not include it.
        from tenantlab.server import create_cloud_app

        create_cloud_app(platform)
    finally:
        platform.close()


def serve(home: Path, port: int, workers: int, tls: bool, sign_ins: bool = True) -> None:
    """Bind, then fork: the parent stays a small supervisor (it imports nothing heavy)."""
    import socket

    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", port))
    sock.listen(2048)

    def run_one() -> None:
        import uvicorn

        from tenantlab.keys import ensure_tls
        from tenantlab.listening import forwarded_headers
        from tenantlab.logs import UVICORN_LOGGING, AccessLog, configure
        from tenantlab.platform import Platform
        from tenantlab.server import create_cloud_app

        # As `tenantlab serve --log-level warning` (the access log's line per request is off).
        configure("warning", "text")
        files = ensure_tls(home) if tls else None
        platform = Platform.open(_settings(home, port, tls))  # type: ignore[arg-type]
        platform.keys.active(TENANT_ID)
        if not sign_ins:
            # Bench only, to price the sign-in log: a closed log takes no records (no queue,
            # no writer thread); everything else on the request path is unchanged.
            platform.sign_ins.close()
        config = uvicorn.Config(
            AccessLog(create_cloud_app(platform)),
            ssl_certfile=str(files.server_cert) if files else None,
            ssl_keyfile=str(files.server_key) if files else None,
            loop="uvloop",
            http="httptools",
            lifespan="off",
            # As `tenantlab serve` without --forwarded-allow-ips: no proxy's headers trusted.
            **forwarded_headers(None),
            **UVICORN_LOGGING,
        )
        uvicorn.Server(config).run(sockets=[sock])

    if workers == 1:
        run_one()
        return
    children = []
    for _ in range(workers):
        pid = os.fork()
        if pid == 0:
            run_one()
            os._exit(0)
        children.append(pid)

    def stop(signum: int, _frame: object) -> None:
        for child in children:
            os.kill(child, signal.SIGTERM)

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    for child in children:
        os.waitpid(child, 0)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    seeding = sub.add_parser("seed")
    seeding.add_argument("--home", type=Path, required=True)
    seeding.add_argument("--apps", type=int, default=0)
    seeding.add_argument("--groups", type=int, default=0)
    serving = sub.add_parser("serve")
    serving.add_argument("--home", type=Path, required=True)
    serving.add_argument("--port", type=int, default=18090)
    serving.add_argument("--workers", type=int, default=1)
    serving.add_argument("--tls", action="store_true")
    serving.add_argument(
        "--sign-ins",
        choices=("on", "off"),
        default="on",
        help="record sign-ins (as the product does) or not (to price the recording)",
    )
    args = parser.parse_args()
    if args.command == "seed":
        seed(args.home, args.apps, args.groups)
    else:
        serve(args.home, args.port, args.workers, args.tls, args.sign_ins == "on")
    sys.exit(0)


if __name__ == "__main__":
    main()
