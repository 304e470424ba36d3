"""OData query options as Graph reads them: $top, $select, $filter, $orderby, $count, $skiptoken,
$search.

`$filter` is parsed here into the directory's expression tree (`tenantlab.directory.queries`),
which the directory turns into SQL; nothing is filtered in Python. The grammar is the part of
OData v4 Graph accepts on directory objects without advanced queries:

    expr       := and_expr ("or" and_expr)*
    and_expr   := unary ("and" unary)*
    unary      := "not" unary | "(" expr ")" | "startswith(" prop "," literal ")"
                | prop ("eq"|"ne"|"ge"|"le") literal | prop "in" "(" literal ("," literal)* ")"
                | prop "/any(" var ":" var "eq" literal ")"      (a collection holds the value)
    literal    := 'text' ('' escapes a quote) | true | false | null | GUID | number

A filter is bounded before it reaches SQL: at most `MAX_FILTER_DEPTH` nested `(`/`not` and
`MAX_FILTER_TERMS` comparisons (each value of an `in` list counts). Deeper or longer filters get
Graph's 400 `BadRequest` envelope; without the bounds they would exhaust Python's recursion or
SQLite's expression depth (1,000) and surface as a 500.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from tenantlab.directory.queries import Comparison, Expression, Junction, Negation, PageQuery
from tenantlab.graph.errors import InvalidRequest
from tenantlab.ids import b64url, b64url_decode

MAX_TOP = 999
DEFAULT_TOP = 100
KNOWN_OPTIONS = frozenset(
    {"$top", "$select", "$filter", "$orderby", "$count", "$skiptoken", "$search", "$expand"}
)

_TOKEN = re.compile(
    r"""\s*(?:
        (?P<string>'(?:[^']|'')*')
      | (?P<punct>[(),:])
      | (?P<word>[A-Za-z_][A-Za-z0-9_./-]*|-?\d+(?:\.\d+)?)
    )""",
    re.VERBOSE,
)
_COMPARATORS = frozenset({"eq", "ne", "ge", "le"})
MAX_FILTER_DEPTH = 32
MAX_FILTER_TERMS = 200
_SKIPTOKEN_PREFIX = "tl1."


@dataclass(frozen=True)
class ListOptions:
    """What a list request asked for, already validated."""

    page: PageQuery
    select: tuple[str, ...] | None
    raw: Mapping[str, str]


def _invalid_filter(detail: str) -> InvalidRequest:
    return InvalidRequest(f"Invalid filter clause: {detail}", code="BadRequest")


class _FilterParser:
    def __init__(self, text: str) -> None:
        self.tokens: list[tuple[str, str]] = []
        position = 0
        end = len(text.rstrip())
        while position < end:
            match = _TOKEN.match(text, position)
            if match is None or match.end() == position:
                raise _invalid_filter(f"syntax error at position {position} in '{text}'.")
            kind = match.lastgroup or "word"
            self.tokens.append((kind, match.group(kind)))
            position = match.end()
        self.index = 0
        self.depth = 0  # open `(` and `not` around the current token
        self.terms = 0  # comparisons so far (`in` counts each value)

    def peek(self) -> tuple[str, str] | None:
        return self.tokens[self.index] if self.index < len(self.tokens) else None

    def take(self) -> tuple[str, str]:
        token = self.peek()
        if token is None:
            raise _invalid_filter("the expression ends too early.")
        self.index += 1
        return token

    def expect(self, value: str) -> None:
        _, text = self.take()
        if text.lower() != value:
            raise _invalid_filter(f"expected '{value}' but found '{text}'.")

    def keyword(self, value: str) -> bool:
        token = self.peek()
        if token is not None and token[0] == "word" and token[1].lower() == value:
            self.index += 1
            return True
        return False

    def parse(self) -> Expression:
        expression = self.expression()
        if self.peek() is not None:
            raise _invalid_filter(f"unexpected '{self.peek()[1]}'.")  # type: ignore[index]
        if self.terms > MAX_FILTER_TERMS:
            raise InvalidRequest(
                f"Too many child clauses specified in search filter expression: {self.terms}. "
                f"Max allowed: {MAX_FILTER_TERMS}.",
                code="BadRequest",
            )
        return expression

    def nested(self) -> None:
        """One level deeper; refused before recursing, so no depth can exhaust the stack."""
        self.depth += 1
        if self.depth > MAX_FILTER_DEPTH:
            raise InvalidRequest(
                f"Search filter expression has excessive height: more than {MAX_FILTER_DEPTH} "
                f"nested levels. Max allowed: {MAX_FILTER_DEPTH}.",
                code="BadRequest",
            )

    def expression(self) -> Expression:
        operands = [self.conjunction()]
        while self.keyword("or"):
            operands.append(self.conjunction())
        return operands[0] if len(operands) == 1 else Junction("or", tuple(operands))

    def conjunction(self) -> Expression:
        operands = [self.unary()]
        while self.keyword("and"):
            operands.append(self.unary())
        return operands[0] if len(operands) == 1 else Junction("and", tuple(operands))

    def unary(self) -> Expression:
        if self.keyword("not"):
            self.nested()
            negated = Negation(self.unary())
            self.depth -= 1
            return negated
        token = self.peek()
        if token == ("punct", "("):
            self.take()
            self.nested()
            inner = self.expression()
            self.expect(")")
            self.depth -= 1
            return inner
        self.terms += 1
        kind, name = self.take()
        if kind != "word":
            raise _invalid_filter(f"expected a property name, found '{name}'.")
        if name.lower() == "startswith" and self.peek() == ("punct", "("):
            self.take()
            prop = self.property_name()
            self.expect(",")
            value = self.literal()
            self.expect(")")
            return Comparison(prop, "startswith", value)
        if name.lower().endswith("/any") and self.peek() == ("punct", "("):
            return self.any_lambda(name[: -len("/any")])
        _, operator = self.take()
        operator = operator.lower()
        if operator == "in":
            self.expect("(")
            values = [self.literal()]
            while self.peek() == ("punct", ","):
                self.take()
                values.append(self.literal())
            self.expect(")")
            self.terms += len(values) - 1
            return Comparison(name, "in", tuple(values))
        if operator not in _COMPARATORS:
            raise _invalid_filter(f"the operator '{operator}' is not supported.")
        return Comparison(name, operator, self.literal())

    def any_lambda(self, prop: str) -> Comparison:
        """`groupTypes/any(c:c eq 'Unified')`: the collection holds the literal."""
        self.expect("(")
        variable = self.property_name()
        self.expect(":")
        if self.property_name() != variable:
            raise _invalid_filter(f"the lambda must compare its variable '{variable}'.")
        _, operator = self.take()
        if operator.lower() != "eq":
            raise _invalid_filter(f"the operator '{operator}' is not supported in any().")
        value = self.literal()
        self.expect(")")
        return Comparison(prop, "any", value)

    def property_name(self) -> str:
        kind, name = self.take()
        if kind != "word":
            raise _invalid_filter(f"expected a property name, found '{name}'.")
        return name

    def literal(self) -> Any:
        kind, text = self.take()
        if kind == "string":
            return text[1:-1].replace("''", "'")
        lowered = text.lower()
        if lowered in ("true", "false"):
            return lowered == "true"
        if lowered == "null":
            return None
        if kind == "word" and re.fullmatch(r"-?\d+(?:\.\d+)?", text):
            return float(text) if "." in text else int(text)
        raise _invalid_filter(f"'{text}' is not a literal value.")


def parse_filter(text: str) -> Expression:
    return _FilterParser(text).parse()


_SEARCH_CLAUSE = re.compile(r'\s*"(?P<prop>[A-Za-z]+):(?P<term>[^"]*)"\s*')
_SEARCH_OPERATOR = re.compile(r"(?P<op>AND|OR)\b", re.IGNORECASE)


def _invalid_search(detail: str) -> InvalidRequest:
    return InvalidRequest(f"Invalid $search clause: {detail}", code="BadRequest")


def parse_search(text: str) -> Expression:
    """`"displayName:adele" OR "mail:vance"`: quoted `property:term` clauses joined by AND/OR
    (AND binds tighter), as Graph takes `$search` on directory objects. Each clause becomes a
    `search` comparison, matched by tokens in SQL (`directory.queries`)."""
    ors: list[Expression] = []
    ands: list[Expression] = []
    position, terms = 0, 0
    while True:
        clause = _SEARCH_CLAUSE.match(text, position)
        if clause is None:
            raise _invalid_search(
                f"expected a quoted \"property:term\" at position {position} in '{text}'."
            )
        terms += 1
        if terms > MAX_FILTER_TERMS:
            raise _invalid_search(f"more than {MAX_FILTER_TERMS} clauses.")
        ands.append(Comparison(clause.group("prop"), "search", clause.group("term")))
        position = clause.end()
        if position == len(text):
            break
        operator = _SEARCH_OPERATOR.match(text, position)
        if operator is None:
            raise _invalid_search(f"expected AND or OR at position {position} in '{text}'.")
        position = operator.end()
        if operator.group("op").upper() == "OR":
            ors.append(ands[0] if len(ands) == 1 else Junction("and", tuple(ands)))
            ands = []
    ors.append(ands[0] if len(ands) == 1 else Junction("and", tuple(ands)))
    return ors[0] if len(ors) == 1 else Junction("or", tuple(ors))


def parse_top(value: str | None) -> int:
    if value is None:
        return DEFAULT_TOP
    try:
        top = int(value)
    except ValueError:
        raise InvalidRequest(f"Invalid page size specified: '{value}'.") from None
    if not 1 <= top <= MAX_TOP:
        raise InvalidRequest(
            f"Invalid page size specified: '{value}'. Must be between 1 and {MAX_TOP} inclusive."
        )
    return top


def parse_select(value: str | None) -> tuple[str, ...] | None:
    if value is None:
        return None
    names = tuple(part.strip() for part in value.split(",") if part.strip())
    return names or None


def parse_orderby(value: str | None) -> tuple[str | None, bool]:
    if value is None or not value.strip():
        return None, False
    clauses = [c.strip() for c in value.split(",") if c.strip()]
    if len(clauses) != 1:
        raise InvalidRequest(
            "Sorting not supported for current query.", code="Request_UnsupportedQuery"
        )
    parts = clauses[0].split()
    if len(parts) > 2 or (len(parts) == 2 and parts[1].lower() not in ("asc", "desc")):
        raise InvalidRequest(f"Invalid $orderby clause: '{value}'.", code="BadRequest")
    return parts[0], len(parts) == 2 and parts[1].lower() == "desc"


def encode_skiptoken(after: tuple[Any, str], order_by: str | None, descending: bool) -> str:
    """Opaque to clients (use it verbatim); carries the last (sort value, id) and the sort."""
    body = json.dumps([after[0], after[1], order_by, descending], separators=(",", ":"))
    return _SKIPTOKEN_PREFIX + b64url(body.encode())


def decode_skiptoken(token: str, order_by: str | None, descending: bool) -> tuple[Any, str]:
    invalid = InvalidRequest("The specified page token value is invalid or has expired.")
    if not token.startswith(_SKIPTOKEN_PREFIX):
        raise invalid
    try:
        encoded = token[len(_SKIPTOKEN_PREFIX) :]
        value, last_id, token_order, token_descending = json.loads(b64url_decode(encoded))
    except (ValueError, TypeError):
        raise invalid from None
    if token_order != order_by or token_descending != descending or not isinstance(last_id, str):
        raise invalid
    return value, last_id


def list_options(
    params: Mapping[str, str], headers: Mapping[str, str], *, expandable: bool = False
) -> ListOptions:
    """Validate a collection request's query options the way Graph does; `$expand` is refused
    unless the caller expands (`graph/expand.py`)."""
    for name in params:
        if name.startswith("$") and name.lower() not in KNOWN_OPTIONS:
            raise InvalidRequest(f"Query option '{name}' is not allowed.", code="BadRequest")
    if "$skip" in params:
        raise InvalidRequest("'$skip' is not supported by the service.", code="BadRequest")
    if "$expand" in params and not expandable:
        raise InvalidRequest(
            "$expand is not supported by tenantlab's Graph.", code="Request_UnsupportedQuery"
        )
    search = None
    if "$search" in params:
        if headers.get("consistencylevel", "").lower() != "eventual":
            raise InvalidRequest(
                "Request with $search query parameter only works through MSGraph with a special "
                "request header: 'ConsistencyLevel: eventual'",
                code="Request_UnsupportedQuery",
            )
        search = parse_search(params["$search"])
    count_text = params.get("$count")
    count = False
    if count_text is not None:
        if count_text.lower() not in ("true", "false"):
            raise InvalidRequest(f"Invalid value for $count: '{count_text}'.", code="BadRequest")
        count = count_text.lower() == "true"
        if count and headers.get("consistencylevel", "").lower() != "eventual":
            raise InvalidRequest("$count is not currently supported.", code="Request_BadRequest")
    order_by, descending = parse_orderby(params.get("$orderby"))
    filter_text = params.get("$filter")
    if filter_text is not None and not filter_text.strip():
        raise _invalid_filter("the expression is empty.")
    expression = parse_filter(filter_text) if filter_text else None
    if search is not None:
        expression = search if expression is None else Junction("and", (expression, search))
    skiptoken = params.get("$skiptoken")
    after = decode_skiptoken(skiptoken, order_by, descending) if skiptoken else None
    page = PageQuery(
        top=parse_top(params.get("$top")),
        filter=expression,
        order_by=order_by,
        descending=descending,
        after=after,
        count=count,
    )
    return ListOptions(page=page, select=parse_select(params.get("$select")), raw=params)
