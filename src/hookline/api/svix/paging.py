"""Svix's iterator paging over Hookline's keyset cursors.

An `iterator` is the key (id, or event-type name) of the last item of the page before;
`-` and a key (`prevIterator`) pages the other way, from the first item of a page.
Both become the store's own cursor after that key, read in the list's order or against
it; a page read against the order is turned round before it is answered.
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Annotated, TypeVar

from fastapi import Query

from hookline.api.svix.schemas.common import ListResponse
from hookline.domain.cursors import encode_cursor

T = TypeVar("T")

MAX_LIMIT = 250  # Svix's own cap
DEFAULT_LIMIT = 50


class Order(enum.StrEnum):
    ASCENDING = "ascending"
    DESCENDING = "descending"


Limit = Annotated[int, Query(ge=1, le=MAX_LIMIT, description="Limit the number of items")]
Iterator = Annotated[
    str | None,
    Query(
        pattern=r"^-?[A-Za-z0-9_.\-]{1,256}$",
        description="The iterator returned from a prior invocation",
    ),
]
OrderParam = Annotated[Order | None, Query(description="The sorting order of the items")]


@dataclass(frozen=True, slots=True)
class Window:
    """Where to read a page from: the store's cursor, the direction to read in, and
    whether that is against the list's order (a `prevIterator`)."""

    cursor: str | None
    descending: bool
    backwards: bool


def window(iterator: str | None, order: Order | None, *, default: Order) -> Window:
    descending = (order or default) is Order.DESCENDING
    if iterator is None:
        return Window(None, descending, backwards=False)
    if iterator.startswith("-"):
        return Window(encode_cursor(iterator[1:]), not descending, backwards=True)
    return Window(encode_cursor(iterator), descending, backwards=False)


def list_response(
    items: Sequence[T],
    *,
    more: bool,
    at: Window,
    key: Callable[[T], str],
) -> ListResponse[T]:
    """The envelope of a page read at `at`; `more` says whether the store had more
    items beyond it in the direction read."""
    data = list(reversed(items)) if at.backwards else list(items)
    return ListResponse(
        data=data,
        iterator=key(data[-1]) if data else None,
        prev_iterator="-" + key(data[0]) if data else None,
        done=not more,
    )


def event_types_of(values: list[str] | None) -> list[str] | None:
    """`event_types` as SDKs send it: repeated, or one comma-separated value."""
    if not values:
        return None
    names = [name.strip() for value in values for name in value.split(",") if name.strip()]
    return names or None
