"""How a call described once becomes a method of both clients' resource groups.

A resource group (`Group`) is written once, in `operations`, as methods that describe
their request (`@call`, returning a `Call`) or their list (`@listing`, returning its
`Pages`). The same group serves `Client` and `AsyncClient`: `Tenants` is
`TenantOperations[Blocking]` and `AsyncTenants` is `TenantOperations[Awaiting]`, and
the mode in brackets decides what mypy sees each method return: the answer itself, an
awaitable of it, an `Iterator` or an `AsyncIterator` of the items. At run time both
modes do the same thing: hand the described call to the client's `_run` (or the pages
to its `_iterate`), which blocks or awaits.
"""

from __future__ import annotations

import inspect
from collections.abc import AsyncIterator, Callable, Coroutine, Iterator
from typing import Any, Concatenate, Generic, ParamSpec, Protocol, Self, TypeVar, overload

from hookline.client.calls import Call, Pages

P = ParamSpec("P")
T = TypeVar("T")
Mode = TypeVar("Mode")


class Blocking(Protocol):
    """A client that sends a call and returns its answer: `Client`."""

    def _run(self, call: Call[T]) -> T: ...

    def _iterate(self, pages: Pages[T]) -> Iterator[T]: ...


class Awaiting(Protocol):
    """A client whose calls are awaited: `AsyncClient`."""

    def _run(self, call: Call[T]) -> Coroutine[Any, Any, T]: ...

    def _iterate(self, pages: Pages[T]) -> AsyncIterator[T]: ...


class Group(Generic[Mode]):
    """A resource group (`client.tenants`, ...) of a client that is `Blocking` or
    `Awaiting`."""

    def __init__(self, client: Mode) -> None:
        self._client = client


class _Described:
    """What `call` and `listing` share: the describing function, and how it is made a
    method of the group it is read from (named and documented as that group's)."""

    def __init__(self, describe: Callable[..., Any], doc: str | None) -> None:
        self._describe = describe
        self._doc = doc or describe.__doc__
        self._name = describe.__name__

    def __set_name__(self, owner: type[Any], name: str) -> None:
        self._name = name

    def _method(self, group: Group[Any], deliver: Callable[[Any], Any], returns: str) -> Any:
        """The method of `group`: what it describes, handed to `deliver` (and, when
        `deliver` is a coroutine function, itself one, as `inspect` sees it). `returns`
        is what it returns in words, for `help()`: `{}` stands for the described type."""
        bound = self._describe.__get__(group)
        method: Callable[..., Any]
        if inspect.iscoroutinefunction(deliver):

            async def method(*args: Any, **kwargs: Any) -> Any:
                return await deliver(bound(*args, **kwargs))

        else:

            def method(*args: Any, **kwargs: Any) -> Any:
                return deliver(bound(*args, **kwargs))

        signature = inspect.signature(bound)
        described = str(signature.return_annotation)
        of = described[described.index("[") + 1 : -1] if described.endswith("]") else described
        method.__signature__ = signature.replace(  # type: ignore[union-attr]
            return_annotation=returns.format(of)
        )
        method.__name__ = self._name
        method.__qualname__ = f"{type(group).__qualname__}.{self._name}"
        method.__module__ = type(group).__module__
        method.__doc__ = self._doc
        return method


class call(_Described, Generic[P, T]):
    """A method that sends the `Call` the decorated function describes and answers with
    what the call parses."""

    def __init__(
        self, describe: Callable[Concatenate[Any, P], Call[T]], doc: str | None = None
    ) -> None:
        super().__init__(describe, doc)

    @overload
    def __get__(self, group: None, owner: type[Any]) -> Self: ...
    @overload
    def __get__(self, group: Group[Blocking], owner: type[Any]) -> Callable[P, T]: ...
    @overload
    def __get__(
        self, group: Group[Awaiting], owner: type[Any]
    ) -> Callable[P, Coroutine[Any, Any, T]]: ...
    def __get__(self, group: Group[Any] | None, owner: type[Any]) -> Any:
        if group is None:
            return self
        return self._method(group, group._client._run, "{}")


class listing(_Described, Generic[P, T]):
    """A method that walks every page of the list the decorated function describes."""

    def __init__(
        self, describe: Callable[Concatenate[Any, P], Pages[T]], doc: str | None = None
    ) -> None:
        super().__init__(describe, doc)

    @overload
    def __get__(self, group: None, owner: type[Any]) -> Self: ...
    @overload
    def __get__(self, group: Group[Blocking], owner: type[Any]) -> Callable[P, Iterator[T]]: ...
    @overload
    def __get__(
        self, group: Group[Awaiting], owner: type[Any]
    ) -> Callable[P, AsyncIterator[T]]: ...
    def __get__(self, group: Group[Any] | None, owner: type[Any]) -> Any:
        if group is None:
            return self
        iterates = group._client._iterate
        return self._method(
            group,
            iterates,
            "AsyncIterator[{}]" if inspect.isasyncgenfunction(iterates) else "Iterator[{}]",
        )
