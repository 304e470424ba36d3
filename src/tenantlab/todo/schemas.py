"""The wire shape of a ToDo item: camelCase out; camelCase or PascalCase in (the .NET client)."""

from __future__ import annotations

import json
import uuid
from typing import Any

from pydantic import AliasChoices, BaseModel, ConfigDict, Field, ValidationError

from tenantlab.errors import TenantlabError

MAX_DESCRIPTION = 4000
MAX_BODY_BYTES = 64 * 1024


class BadRequest(TenantlabError):
    """Malformed input: answered 400 with this message, which names fields, never internals."""


class TodoOut(BaseModel):
    """A ToDo item as the API returns it (the sample's JSON: camelCase)."""

    id: int
    owner: uuid.UUID
    description: str


class TodoIn(BaseModel):
    """A ToDo item as clients send it; `id` is ignored, `owner` is honoured for apps only."""

    model_config = ConfigDict(extra="ignore", strict=False)

    id: int | None = Field(default=None, validation_alias=AliasChoices("id", "Id", "ID"))
    owner: uuid.UUID | None = Field(default=None, validation_alias=AliasChoices("owner", "Owner"))
    description: str = Field(
        max_length=MAX_DESCRIPTION,
        validation_alias=AliasChoices("description", "Description"),
    )


class Problem(BaseModel):
    """The body of every 4xx/5xx the API itself answers (RFC 9457 members)."""

    title: str
    status: int
    detail: str


class BearerError(BaseModel):
    """The body of a 401/403 from token validation (RFC 6750 error codes)."""

    error: str
    error_description: str


# The ids `parse_id` accepts, as OpenAPI states them: positive, at most 18 decimal digits.
MAX_ID = 10**18 - 1
ID_SCHEMA: dict[str, Any] = {"type": "integer", "minimum": 1, "maximum": MAX_ID}


def parse_todo(body: bytes) -> TodoIn:
    if len(body) > MAX_BODY_BYTES:
        raise BadRequest(f"the request body is larger than {MAX_BODY_BYTES} bytes")
    try:
        document: Any = json.loads(body)
    except (ValueError, RecursionError):
        raise BadRequest("the request body is not valid JSON") from None
    if not isinstance(document, dict):
        raise BadRequest("the request body must be a JSON object with a description")
    try:
        return TodoIn.model_validate(document)
    except ValidationError as exc:
        problems = []
        for error in exc.errors(include_url=False, include_input=False, include_context=False):
            field = ".".join(str(part) for part in error["loc"]) or "body"
            problems.append(f"{field}: {error['msg']}")
        raise BadRequest("invalid ToDo item: " + "; ".join(problems)) from None


def parse_id(text: str) -> int:
    """Ids are positive integers (`ID_SCHEMA`); anything else is a 400 (the sample's
    [ApiController] does so)."""
    if not text.isascii() or not text.isdigit() or len(text) > 18 or int(text) == 0:
        raise BadRequest("the id must be a positive integer")
    return int(text)
