"""What every Svix shape shares: camelCase names, inputs that ignore fields they do not
know (newer SDKs send more), and Svix's list envelope."""

from __future__ import annotations

from typing import Any, Generic, TypeVar

import orjson
from pydantic import BaseModel, ConfigDict
from pydantic.alias_generators import to_camel

T = TypeVar("T")


class SvixOut(BaseModel):
    """An answer: snake_case in Python, camelCase on the wire."""

    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True)


class SvixIn(SvixOut):
    """A request body. Svix's server takes fields it does not know without a word, and
    its SDKs rely on that as the API grows; so does this door."""

    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True, extra="ignore")

    def given(self, name: str) -> bool:
        """Whether the client sent this field (null counts as sent)."""
        return name in self.model_fields_set


class ListResponse(SvixOut, Generic[T]):
    """`ListResponse_…Out_`: a page, the iterator for the next one (the last item's
    key), `prevIterator` for the one before (`-` and the first item's key), and whether
    this was the last."""

    data: list[T]
    iterator: str | None
    prev_iterator: str | None
    done: bool


def string_map(values: dict[str, Any]) -> dict[str, str]:
    """Svix's metadata is a map of strings: Hookline's may hold any JSON value, which
    this door shows as its JSON text."""
    return {k: v if isinstance(v, str) else orjson.dumps(v).decode() for k, v in values.items()}
