"""Every setting as a flag of the same name: `HOOKLINE_MAX_PAYLOAD_BYTES` is
`--max-payload-bytes` on `hookline serve`, `api` and `worker`.

The flags are made from the `Settings` model, so a new setting is a new flag without a
line here. A flag's value is text, judged by `Settings` exactly as the variable's would
be (and explained alike by `cli_errors`); a flag given wins over its variable.
"""

from __future__ import annotations

import contextvars
import functools
import inspect
from collections.abc import Callable
from typing import Any, TypeVar

import typer
from pydantic.fields import FieldInfo

from hookline.settings import Settings

F = TypeVar("F", bound=Callable[..., Any])

# The flags the running command was given (one command per process).
_given: contextvars.ContextVar[dict[str, Any]] = contextvars.ContextVar("hookline_flags")


def flag_of(name: str) -> str:
    return "--" + name.replace("_", "-")


def env_of(name: str) -> str:
    return "HOOKLINE_" + name.upper()


def given() -> dict[str, Any]:
    """The settings the running command was given as flags."""
    return dict(_given.get({}))


def _is_bool(field: FieldInfo) -> bool:
    return field.annotation is bool


def _help(name: str, field: FieldInfo) -> str:
    what = field.description or name.replace("_", " ")
    default = field.get_default(call_default_factory=True)
    hidden = default in (None, "") or any(word in name for word in ("key", "secret", "token"))
    shown = "" if hidden else f"default {default}; "
    return f"{what} ({shown}overrides {env_of(name)})"


def _parameter(name: str, field: FieldInfo) -> inspect.Parameter:
    if _is_bool(field):
        option: Any = typer.Option(
            None, f"{flag_of(name)}/--no-{flag_of(name)[2:]}", help=_help(name, field)
        )
        annotation: Any = bool | None
    else:
        option = typer.Option(
            None, flag_of(name), help=_help(name, field), metavar="TEXT", show_default=False
        )
        annotation = str | None
    return inspect.Parameter(
        name, inspect.Parameter.KEYWORD_ONLY, default=option, annotation=annotation
    )


def with_setting_flags(command: F) -> F:
    """Give `command` a flag for every setting it does not already take itself; the
    values given are what `given()` returns while it runs."""
    signature = inspect.signature(command, eval_str=True)
    own = set(signature.parameters)
    extra = {
        name: _parameter(name, field)
        for name, field in Settings.model_fields.items()
        if name not in own
    }

    @functools.wraps(command)
    def run(**kwargs: Any) -> Any:
        flags = {n: kwargs.pop(n) for n in extra if n in kwargs}
        token = _given.set({n: v for n, v in flags.items() if v is not None})
        try:
            return command(**kwargs)
        finally:
            _given.reset(token)

    run.__signature__ = signature.replace(  # type: ignore[attr-defined]
        parameters=[*signature.parameters.values(), *extra.values()]
    )
    return run  # type: ignore[return-value]
