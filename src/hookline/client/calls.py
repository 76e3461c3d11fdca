"""A request described as data (`Call`): method, path, query, body, headers, how to read
the answer, and whether it is safe to send twice. `Client` and `AsyncClient` send the same
calls, the one blocking and the other awaited; lists are described page by page (`Pages`).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Generic, TypeVar
from urllib.parse import quote

import httpx

from hookline.client.models import Model

T = TypeVar("T")
M = TypeVar("M", bound=Model)


@dataclass(frozen=True, slots=True)
class Call(Generic[T]):
    """One API request and how to read its answer, for either client to send."""

    method: str
    path: str
    parse: Callable[[httpx.Response], T]
    body: Any = None
    params: Mapping[str, Any] | None = None
    headers: Mapping[str, str] | None = None
    # Whether sending it twice does no more than sending it once.
    repeatable: bool = False


@dataclass(frozen=True, slots=True)
class Page(Generic[T]):
    items: list[T]
    next_cursor: str | None


Pages = Callable[[str | None], Call[Page[T]]]


def segment(value: str) -> str:
    """`value` quoted as one segment of a path (a "/" in it does not start another)."""
    return quote(value, safe="")


def params(**values: Any) -> dict[str, Any]:
    """Query parameters (or a JSON body) without the ones left out."""
    out = {}
    for name, value in values.items():
        if value is None:
            continue
        if isinstance(value, datetime):
            value = value.isoformat()
        out[name] = value
    return out


def get(path: str, model: type[M]) -> Call[M]:
    return Call("GET", path, lambda r: model.from_json(r.json()), repeatable=True)


def send(method: str, path: str, model: type[M], body: Any = None, **query: Any) -> Call[M]:
    """A request that changes something; only POST is not safe to send twice."""
    parse: Callable[[httpx.Response], M] = lambda r: model.from_json(r.json())  # noqa: E731
    return Call(method, path, parse, body, params(**query), repeatable=method != "POST")


def delete(path: str) -> Call[None]:
    return Call("DELETE", path, lambda r: None, repeatable=True)


def pages(path: str, model: type[M], **query: Any) -> Pages[M]:
    """The request for each page of a list, given the cursor from the page before."""

    def parse(resp: httpx.Response) -> Page[M]:
        body = resp.json()
        return Page([model.from_json(d) for d in body["data"]], body.get("next_cursor"))

    def call(cursor: str | None) -> Call[Page[M]]:
        return Call("GET", path, parse, params=params(**query, cursor=cursor), repeatable=True)

    return call
