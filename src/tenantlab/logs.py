"""Server logs: one setup for every serving command (serve, up, quickstart, todo-api).

Two kinds of lines, both through `logging`, on stderr:

- the access log (`tenantlab.access`, `AccessLog`): one line per HTTP request with the method,
  the path (never the query string: a careless client can put a `client_secret` or an assertion
  there), the status, the duration and the correlation id the response carries
  (`client-request-id`, the one in AADSTS error bodies);
- the token service's request log (`tenantlab.sts.requests`): per token request the tenant,
  client id, grant, result and AADSTS code, with the same correlation id. Never a secret, an
  assertion or a token: the STS logs named fields, not the request.

A record's structured fields travel in `extra={"fields": {...}}` (and `"in_message"` names those
the message already says). `--log-format text` appends the others to the message as `key=value`;
`--log-format json` writes one JSON object per line. Other
libraries' loggers (httpx, MSAL) are left alone: the quickstart's daemon runs in this process and
its client logs are not the server's. uvicorn's own chatter is shown only at `debug`.
"""

from __future__ import annotations

import json
import logging
import sys
import time
from collections.abc import Awaitable, Callable, MutableMapping
from datetime import UTC, datetime
from typing import Any, TextIO

LEVELS = ("debug", "info", "warning", "error")
FORMATS = ("text", "json")
DEFAULT_LEVEL = "info"

ACCESS = logging.getLogger("tenantlab.access")

# Keyword arguments for uvicorn.Config: keep uvicorn from installing its own handlers and access
# log over ours (`AccessLog` wraps the app instead).
UVICORN_LOGGING: dict[str, Any] = {"log_config": None, "log_level": None, "access_log": False}

_OURS = "_tenantlab_handler"


def _stamp(record: logging.LogRecord) -> str:
    moment = datetime.fromtimestamp(record.created, UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def _fields(record: logging.LogRecord) -> dict[str, object]:
    fields = getattr(record, "fields", None)
    return dict(fields) if isinstance(fields, dict) else {}


def _text_value(value: object) -> str:
    text = "".join(c if c.isprintable() else "?" for c in str(value))
    return json.dumps(text) if (" " in text or '"' in text or not text) else text


class TextFormatter(logging.Formatter):
    """`2026-12-04T18:00:00.123Z INFO tenantlab.access GET /x 200 key=value ...`"""

    def format(self, record: logging.LogRecord) -> str:
        message = "".join(c if c.isprintable() else "?" for c in record.getMessage())
        parts = [_stamp(record), record.levelname, record.name, message]
        shown = getattr(record, "in_message", ())
        parts += [
            f"{k}={_text_value(v)}"
            for k, v in _fields(record).items()
            if v is not None and k not in shown
        ]
        line = " ".join(parts)
        if record.exc_info:
            line += "\n" + self.formatException(record.exc_info)
        return line


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time, level, logger, message, then the record's fields."""

    def format(self, record: logging.LogRecord) -> str:
        payload: dict[str, object] = {
            "time": _stamp(record),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
        }
        for key, value in _fields(record).items():
            payload.setdefault(key, value)
        if record.exc_info:
            payload["exception"] = self.formatException(record.exc_info)
        return json.dumps(payload, default=str)


def configure(level: str = DEFAULT_LEVEL, fmt: str = "text", stream: TextIO | None = None) -> None:
    """Send tenantlab's (and uvicorn's) logs to `stream` (stderr) at `level` in format `fmt`.

    Idempotent: calling it again replaces the handler it installed, never adds a second one.
    """
    if level not in LEVELS:
        raise ValueError(f"log level must be one of {', '.join(LEVELS)}")
    if fmt not in FORMATS:
        raise ValueError(f"log format must be one of {', '.join(FORMATS)}")
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.setFormatter(JsonFormatter() if fmt == "json" else TextFormatter())
    setattr(handler, _OURS, True)
    numeric: int = logging.getLevelName(level.upper())
    # uvicorn says "Started server process" and the like at info: the commands say it better.
    levels = {
        "tenantlab": numeric,
        "uvicorn": numeric if level == "debug" else max(numeric, logging.WARNING),
    }
    for name, logger_level in levels.items():
        logger = logging.getLogger(name)
        for old in [h for h in logger.handlers if getattr(h, _OURS, False)]:
            logger.removeHandler(old)
        logger.addHandler(handler)
        logger.setLevel(logger_level)
        logger.propagate = False


Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
App = Callable[[Scope, Receive, Send], Awaitable[None]]


class AccessLog:
    """ASGI middleware: one access-log line per HTTP request, once its response has started."""

    def __init__(self, app: App, logger: logging.Logger = ACCESS) -> None:
        self.app = app
        self.logger = logger

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not self.logger.isEnabledFor(logging.INFO):
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        response: dict[str, object] = {"status": 500}

        async def observe(message: Message) -> None:
            if message["type"] == "http.response.start":
                response["status"] = message["status"]
                for name, value in message.get("headers", ()):
                    if bytes(name).lower() == b"client-request-id":
                        response["correlation"] = bytes(value).decode("latin-1")
            await send(message)

        try:
            await self.app(scope, receive, observe)
        finally:
            client = scope.get("client")
            self.logger.info(
                "%s %s %s",
                scope.get("method", "-"),
                scope.get("path", "-"),
                response["status"],
                extra={
                    "fields": {
                        "method": scope.get("method"),
                        "path": scope.get("path"),
                        "status": response["status"],
                        "duration_ms": round((time.perf_counter() - started) * 1000, 1),
                        "client": client[0] if client else None,
                        "correlation": response.get("correlation"),
                    },
                    "in_message": ("method", "path", "status"),
                },
            )
