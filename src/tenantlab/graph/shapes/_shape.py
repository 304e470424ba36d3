"""A Graph resource's wire shape, declared once: its properties in Graph's order, how to read each.

Everything a resource's JSON needs follows from that one declaration: the property names (so
`$select` is checked here and nowhere else), the default set, and the rendering, which reads only
the properties asked for. Building a property Graph was not asked for is most of a page's cost
(dates formatted, lists copied, related objects looked up), so `render` never does.

Getters take a *source*: the row itself, or a small object that fetches related rows on first use.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

from tenantlab.graph.errors import InvalidRequest

S = TypeVar("S")

# A validated `$select`: Graph's spelling of each property, `id` included; None: the default set.
Selection = tuple[str, ...] | None


def null(_: object) -> None:
    """A property tenantlab does not model: Graph's null, so clients find what Entra gives."""
    return None


def empty(_: object) -> list[Any]:
    """A collection tenantlab does not model: Graph's empty list (a new one per object)."""
    return []


@dataclass(frozen=True)
class Shape(Generic[S]):
    """`type_name` (for messages), `properties` (name -> getter), `default` (empty: all)."""

    type_name: str
    properties: Mapping[str, Callable[[S], Any]]
    default: tuple[str, ...] = ()
    _by_lower: dict[str, str] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        unknown = [name for name in self.default if name not in self.properties]
        if unknown:
            raise ValueError(f"{self.type_name}: default names unknown properties {unknown}")
        if not self.default:
            object.__setattr__(self, "default", tuple(self.properties))
        object.__setattr__(self, "_by_lower", {n.lower(): n for n in self.properties})

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(self.properties)

    def choose(self, select: Sequence[str] | None) -> Selection:
        """Check a `$select` the way Graph does: names match case-insensitively, an unknown one is
        a 400 naming it, `id` is always returned. None (or empty) means the default set."""
        if not select:
            return None
        chosen: list[str] = []
        for wanted in select:
            name = self._by_lower.get(wanted.strip().lower())
            if name is None:
                raise InvalidRequest(
                    f"Could not find a property named '{wanted.strip()}' on type "
                    f"'{self.type_name}'."
                )
            chosen.append(name)
        if "id" in self.properties and "id" not in chosen:
            chosen.append("id")
        return tuple(dict.fromkeys(chosen))

    def render(self, source: S, selection: Selection = None) -> dict[str, Any]:
        """The JSON object with the selected properties only (the default set for None)."""
        properties = self.properties
        return {name: properties[name](source) for name in selection or self.default}
