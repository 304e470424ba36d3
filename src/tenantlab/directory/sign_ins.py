"""Sign-in logs: every token request's outcome, written off the request path, read by keyset.

The token service fills a `SignInFacts` as a request proceeds (which app, which credential, which
resource, which user) and hands it to `SignInLog.record` with the outcome once the answer is known.
`record` only appends to a bounded in-memory queue; one writer thread inserts the queue in
batches. A full queue or a failing write never fails (nor slows) the token request: the record is
dropped, counted, and the first failure is reported once in the server log.

The stored fields are Graph's `signIn` ones that apply to app-only, managed identity and password
sign-ins. Nothing secret is ever handed to this module: no client secret, assertion, password or
token reaches `SignInFacts`.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, and_, delete, insert, or_, select
from sqlalchemy.orm import Session

from tenantlab.clock import Clock
from tenantlab.ids import new_guid
from tenantlab.storage import Database
from tenantlab.storage.schema import DirectoryAudit, SignIn

log = logging.getLogger("tenantlab.sign_ins")

# signInEventTypes values (Graph beta) and clientCredentialType values.
SERVICE_PRINCIPAL = "servicePrincipal"
MANAGED_IDENTITY = "managedIdentity"
INTERACTIVE_USER = "interactiveUser"
EVENT_TYPES = (SERVICE_PRINCIPAL, MANAGED_IDENTITY, INTERACTIVE_USER)
CLIENT_SECRET = "clientSecret"
CLIENT_ASSERTION = "clientAssertion"  # a certificate-signed assertion
FEDERATED_CREDENTIAL = "federatedIdentityCredential"
MANAGED_IDENTITY_CREDENTIAL = "managedIdentity"
NO_CREDENTIAL = "none"

DEFAULT_RETENTION_DAYS = 30  # Entra keeps sign-in logs 30 days (P1/P2)
MAX_FAILURE_REASON = 1024


@dataclass
class SignInFacts:
    """What a token request has revealed so far; grants fill it as they learn more."""

    tenant_id: str | None = None
    app_id: str | None = None
    app_display_name: str | None = None
    service_principal_id: str | None = None
    resource_id: str | None = None  # the resource's appId
    resource_display_name: str | None = None
    client_credential_type: str = NO_CREDENTIAL
    event_type: str = SERVICE_PRINCIPAL
    grant_type: str | None = None
    ip_address: str | None = None
    user_id: str | None = None
    user_principal_name: str | None = None


@dataclass(frozen=True)
class SignInQuery:
    """A page of one tenant's sign-ins, newest first; `after` is the last (created_at, id) seen."""

    tenant_id: str
    top: int = 100
    after: tuple[float, str] | None = None
    since: float | None = None  # createdDateTime ge
    until: float | None = None  # createdDateTime le
    app_id: str | None = None
    error_code: int | None = None
    error_code_not: int | None = None
    event_type: str | None = None


class SignInLog:
    """The sign-in log of one platform: a bounded queue, one batch writer, retention pruning."""

    def __init__(
        self,
        database: Database,
        clock: Clock,
        *,
        retention_days: float = DEFAULT_RETENTION_DAYS,
        capacity: int = 10_000,
        batch_size: int = 500,
        linger: float = 0.05,
    ) -> None:
        self.database = database
        self.clock = clock
        self.retention_seconds = retention_days * 86_400
        self.batch_size = batch_size
        self.linger = linger
        self._queue: queue.Queue[dict[str, Any] | None] = queue.Queue(maxsize=capacity)
        self._thread: threading.Thread | None = None
        self._start_lock = threading.Lock()
        self._closed = False
        self._pruned_at = float("-inf")
        self.dropped = 0  # records lost to a full queue or a failing write
        self._reported = False

    # -- writing ----------------------------------------------------------------------------

    def record(
        self,
        facts: SignInFacts,
        *,
        correlation_id: str,
        error_code: int = 0,
        failure_reason: str | None = None,
    ) -> None:
        """Queue one sign-in; never raises, never blocks. Requests for no tenant are not kept."""
        if facts.tenant_id is None or self._closed:
            return
        row = {
            "id": new_guid(),
            "tenant_id": facts.tenant_id,
            "created_at": self.clock.now(),
            "app_id": facts.app_id,
            "app_display_name": facts.app_display_name,
            "service_principal_id": facts.service_principal_id,
            "resource_id": facts.resource_id,
            "resource_display_name": facts.resource_display_name,
            "ip_address": facts.ip_address,
            "client_credential_type": facts.client_credential_type,
            "event_type": facts.event_type,
            "grant_type": facts.grant_type,
            "error_code": error_code,
            "failure_reason": (failure_reason or None) and failure_reason[:MAX_FAILURE_REASON],
            "correlation_id": correlation_id,
            "user_id": facts.user_id,
            "user_principal_name": facts.user_principal_name,
        }
        self._ensure_writer()
        try:
            self._queue.put_nowait(row)
        except queue.Full:
            self._lost(1, "the queue is full (the database cannot keep up)")

    def flush(self, timeout: float = 10.0) -> None:
        """Wait until every record queued so far is written (or dropped); for tests and the CLI."""
        if self._thread is None:
            return
        waiter = threading.Thread(target=self._queue.join, daemon=True)
        waiter.start()
        waiter.join(timeout)

    def close(self) -> None:
        """Write what is queued and stop the writer."""
        if self._closed:
            return
        self._closed = True
        if self._thread is not None:
            self._queue.put(None)
            self._thread.join(timeout=10)

    def _ensure_writer(self) -> None:
        if self._thread is not None:
            return
        with self._start_lock:
            if self._thread is None:
                thread = threading.Thread(
                    target=self._run, name="tenantlab-sign-in-log", daemon=True
                )
                thread.start()
                self._thread = thread

    def _run(self) -> None:
        while True:
            first = self._queue.get()
            if first is not None and not self._closed:
                # Let a burst gather, then take it at once: one wake-up of this thread (and one
                # GIL hand-over from the serving thread) per batch, not one per record.
                time.sleep(self.linger)
            batch: list[dict[str, Any]] = [] if first is None else [first]
            taken = 1
            stop = first is None
            while not stop and len(batch) < self.batch_size:
                try:
                    item = self._queue.get_nowait()
                except queue.Empty:
                    break
                taken += 1
                if item is None:
                    stop = True
                else:
                    batch.append(item)
            if stop:  # drain what is left, then end
                while True:
                    try:
                        item = self._queue.get_nowait()
                    except queue.Empty:
                        break
                    taken += 1
                    if item is not None:
                        batch.append(item)
            self._write(batch)
            for _ in range(taken):
                self._queue.task_done()
            if stop:
                return

    def _write(self, batch: list[dict[str, Any]]) -> None:
        try:
            # Core, not the ORM's bulk insert: the rows are plain dicts already.
            with self.database.engine.begin() as connection:
                if batch:
                    connection.execute(insert(SignIn), batch)
                now = self.clock.now()
                if now - self._pruned_at >= 3_600:
                    self._pruned_at = now
                    _prune(connection, now - self.retention_seconds)
        except Exception as exc:
            self._lost(len(batch), f"the database refused the write: {exc.__class__.__name__}")

    def _lost(self, count: int, reason: str) -> None:
        self.dropped += count
        if not self._reported:
            self._reported = True
            log.warning(
                "sign-in log: %d record(s) not kept, %s; token requests are unaffected "
                "(reported once; see SignInLog.dropped for the running count)",
                count,
                reason,
            )

    # -- reading ----------------------------------------------------------------------------

    def prune(self) -> int:
        """Delete records (sign-ins and audits) older than the retention now; how many went."""
        with self.database.session() as session:
            return _prune(session, self.clock.now() - self.retention_seconds)


def _prune(session: Session | Connection, cutoff: float) -> int:
    """Delete sign-ins and directory audits older than `cutoff` (one retention for both, as
    Entra keeps both logs 30 days); returns how many records went."""
    gone = 0
    for statement in (
        delete(SignIn).where(SignIn.created_at < cutoff),
        delete(DirectoryAudit).where(DirectoryAudit.activity_at < cutoff),
    ):
        result = session.execute(statement)
        gone += int(getattr(result, "rowcount", 0) or 0)
    return gone


def list_sign_ins(database: Database, query: SignInQuery) -> list[SignIn]:
    """Up to `query.top + 1` records (one more tells the caller a next page exists)."""
    conditions = [SignIn.tenant_id == query.tenant_id]
    if query.after is not None:
        created, last_id = query.after
        conditions.append(
            or_(
                SignIn.created_at < created, and_(SignIn.created_at == created, SignIn.id < last_id)
            )
        )
        # The same bound once more, alone: an index range (the OR alone is no range to SQLite).
        conditions.append(SignIn.created_at <= created)
    if query.since is not None:
        conditions.append(SignIn.created_at >= query.since)
    if query.until is not None:
        conditions.append(SignIn.created_at <= query.until)
    if query.app_id is not None:
        conditions.append(SignIn.app_id == query.app_id)
    if query.error_code is not None:
        conditions.append(SignIn.error_code == query.error_code)
    if query.error_code_not is not None:
        conditions.append(SignIn.error_code != query.error_code_not)
    if query.event_type is not None:
        conditions.append(SignIn.event_type == query.event_type)
    statement = (
        select(SignIn)
        .where(*conditions)
        .order_by(SignIn.tenant_id, SignIn.created_at.desc(), SignIn.id.desc())
        .limit(query.top + 1)
    )
    with database.session() as session:
        return list(session.scalars(statement))
