"""The floor for Graph's `GET /v1.0/users?$top=100`: what the same page costs with nothing else.

A bare FastAPI endpoint that reads the same rows from the same SQLite file with one SQLAlchemy
Core keyset select (the columns of Graph's default property set, by id, after the `$skiptoken`'s
id) and returns JSON byte-identical to Graph's: same `@odata.context`, `@odata.nextLink` and
property order. No token check, no tenant rules, no throttling, no error envelope: the cost of a
page that a faster Graph could approach but not beat. `bench/graph_users.py` serves it next to
Graph (same TLS, uvicorn, uvloop, httptools, same core) and checks the bytes are identical.

    .venv/bin/python bench/graph_floor.py --home DIR --port PORT --tenant TID --origin URL
"""

from __future__ import annotations

import argparse
import base64
import json
from pathlib import Path

from fastapi import FastAPI, Request, Response  # module level: FastAPI reads the annotations

COLUMNS = (
    "business_phones",
    "display_name",
    "given_name",
    "job_title",
    "mail",
    "mobile_phone",
    "office_location",
    "preferred_language",
    "surname",
    "user_principal_name",
    "id",
)
NAMES = (
    "businessPhones",
    "displayName",
    "givenName",
    "jobTitle",
    "mail",
    "mobilePhone",
    "officeLocation",
    "preferredLanguage",
    "surname",
    "userPrincipalName",
    "id",
)
JSON_TYPE = (
    "application/json;odata.metadata=minimal;odata.streaming=true;IEEE754Compatible=false;"
    "charset=utf-8"
)


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def create_floor_app(home: Path, tenant_id: str, origin: str) -> FastAPI:
    from sqlalchemy import create_engine, select

    from tenantlab.storage.schema import User

    engine = create_engine(f"sqlite:///{home / 'tenantlab.db'}")
    columns = [getattr(User, name) for name in COLUMNS]
    app = FastAPI(openapi_url=None, docs_url=None, redoc_url=None)

    @app.get("/v1.0/users")
    async def users(request: Request) -> Response:  # on the event loop: the cheapest FastAPI way
        top = int(request.query_params.get("$top", "100"))
        query = select(*columns).where(User.tenant_id == tenant_id)
        skiptoken = request.query_params.get("$skiptoken")
        if skiptoken:
            encoded = skiptoken[4:]
            after = json.loads(base64.urlsafe_b64decode(encoded + "=" * (-len(encoded) % 4)))[1]
            query = query.where(User.id > after)
        query = query.order_by(User.id).limit(top + 1)
        with engine.connect() as connection:
            rows = connection.execute(query).all()
        body: dict[str, object] = {"@odata.context": f"{origin}/v1.0/$metadata#users"}
        if len(rows) > top:
            last = rows[top - 1].id
            cursor = json.dumps([last, last, None, False], separators=(",", ":"))
            token = "tl1." + _b64url(cursor.encode())
            body["@odata.nextLink"] = f"{origin}/v1.0/users?$top={top}&$skiptoken={token}"
        body["value"] = [dict(zip(NAMES, row, strict=True)) for row in rows[:top]]
        content = json.dumps(body, separators=(",", ":"), ensure_ascii=False).encode()
        return Response(content, media_type=JSON_TYPE)

    return app


def serve(home: Path, port: int, tenant_id: str, origin: str) -> None:
    import gc

    import uvicorn

    from tenantlab.keys import ensure_tls

    files = ensure_tls(home)
    config = uvicorn.Config(
        create_floor_app(home, tenant_id, origin),
        host="127.0.0.1",
        port=port,
        ssl_certfile=str(files.server_cert),
        ssl_keyfile=str(files.server_key),
        loop="uvloop",
        http="httptools",
        access_log=False,
        log_level="warning",
        lifespan="off",
    )
    gc.collect()
    gc.freeze()  # as `tenantlab serve` does: the floor gets every advantage Graph gets
    uvicorn.Server(config).run()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--home", type=Path, required=True)
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--tenant", required=True)
    parser.add_argument("--origin", required=True, help="Graph's origin, for identical links")
    args = parser.parse_args()
    serve(args.home, args.port, args.tenant, args.origin)


if __name__ == "__main__":
    main()
