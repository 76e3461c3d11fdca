"""What the command line says when a setting or the database is wrong: one short line
each, naming the variable (or flag), the value and what would work, instead of a
validation dump or a traceback.

Secrets are never echoed: a value of a key, secret or token setting is shown as
"(hidden)", and a database URL's password as "***".
"""

from __future__ import annotations

import errno
import socket
import sqlite3
from collections.abc import Iterator
from typing import Any
from urllib.parse import unquote, urlsplit

from pydantic import ValidationError

from hookline.cli_flags import env_of, flag_of
from hookline.settings import Settings, sqlite_path

_HIDDEN = ("key", "secret", "token")

_EXPECTED = {
    "int_parsing": "a whole number",
    "int_from_float": "a whole number",
    "int_type": "a whole number",
    "float_parsing": "a number",
    "float_type": "a number",
    "bool_parsing": "true or false",
    "bool_type": "true or false",
    "string_type": "text",
    "path_type": "a path",
}
_LENGTHS = {
    "string_too_short": ("min_length", "at least {} characters"),
    "string_too_long": ("max_length", "at most {} characters"),
}
_BOUNDS = {
    **_LENGTHS,
    "greater_than_equal": ("ge", "at least {}"),
    "greater_than": ("gt", "more than {}"),
    "less_than_equal": ("le", "at most {}"),
    "less_than": ("lt", "less than {}"),
}


def safe_url(url: str) -> str:
    """`url` with its password replaced by ***."""
    if "://" not in url or "@" not in url:
        return url
    scheme, rest = url.split("://", 1)
    credentials, host = rest.rsplit("@", 1)
    if ":" not in credentials:
        return url
    return f"{scheme}://{credentials.split(':', 1)[0]}:***@{host}"


def _shown(name: str, value: Any) -> str:
    if any(word in name for word in _HIDDEN):
        return "(hidden)"
    if name == "database_url" and isinstance(value, str):
        return repr(safe_url(value))
    return repr(value)


def _expected(name: str, error: Any) -> str:
    kind = error["type"]
    ctx = error.get("ctx") or {}
    if kind == "value_error":  # a validator's own sentence says what would do
        return str(ctx.get("error", error["msg"]))
    if kind == "literal_error":
        return f"expected one of {ctx.get('expected')}"
    if kind in _BOUNDS:
        key, words = _BOUNDS[kind]
        bound = ctx.get(key)
        return "expected " + words.format(f"{bound:g}" if isinstance(bound, float) else bound)
    message = str(error["msg"])
    return "expected " + _EXPECTED.get(kind, message[:1].lower() + message[1:])


def setting_problems(exc: ValidationError, *, flags: dict[str, Any]) -> list[str]:
    """One line per bad setting: where it came from, its value, what would do."""
    lines = []
    for error in exc.errors():
        name = str(error["loc"][0]) if error["loc"] else ""
        field = Settings.model_fields.get(name)
        where = f"{flag_of(name)} " if name in flags else f"{env_of(name)}="
        about = ""
        if field is not None and field.description and error["type"] != "value_error":
            # (a validator's own sentence already says what it wants)
            about = f" ({_sentence_case(field.description)})"
        lines.append(
            f"Bad setting {where}{_shown(name, error.get('input'))}: "
            f"{_expected(name, error)}{about}."
        )
    return lines


def _sentence_case(text: str) -> str:
    """ "The TCP port" as it reads inside a sentence; "DEBUG, INFO" stays."""
    return text[:1].lower() + text[1:] if text[1:2].islower() else text


def _chain(exc: BaseException) -> Iterator[BaseException]:
    seen: set[int] = set()
    todo: list[BaseException | None] = [exc]
    while todo:
        current = todo.pop()
        if current is None or id(current) in seen or len(seen) > 20:
            continue
        seen.add(id(current))
        yield current
        todo.extend([getattr(current, "orig", None), current.__cause__, current.__context__])
        if isinstance(current, BaseExceptionGroup):
            todo.extend(current.exceptions)
        todo.extend(e for e in getattr(current, "exceptions", ()) if isinstance(e, BaseException))


def database_problem(exc: BaseException, url: str) -> str | None:
    """A short explanation, with the fix, of why the database at `url` cannot be used;
    None when `exc` is not one of the known configuration problems."""
    if url.startswith("sqlite"):
        return _sqlite_problem(exc, url)
    parts = urlsplit(url)
    host, port = parts.hostname or "localhost", parts.port or 5432
    user = unquote(parts.username or "") or "(the default user)"
    database = parts.path.lstrip("/") or "(the default database)"
    where = f"PostgreSQL at {host}:{port}"
    for error in _chain(exc):
        state = getattr(error, "sqlstate", None)
        message = str(getattr(error, "message", "") or error).strip()
        if state == "3D000":
            return (
                f"{where} has no database {database!r}: create it "
                f"(createdb -h {host} -p {port} -U {user} {database}) "
                "or correct the database name in HOOKLINE_DATABASE_URL."
            )
        if state == "28P01":
            return (
                f"{where} refused the password of user {user!r}: correct it in "
                "HOOKLINE_DATABASE_URL (percent-encode special characters: @ as %40)."
            )
        if state == "28000":
            return (
                f"{where} refused user {user!r} ({message}): create the role or correct "
                "the user in HOOKLINE_DATABASE_URL."
            )
        if state is not None and state.startswith(("08", "28", "53", "57")):
            return f"{where} refused the connection ({message}): check HOOKLINE_DATABASE_URL."
    for error in _chain(exc):
        if isinstance(error, socket.gaierror):
            return (
                f"The database host {host!r} is not known (DNS lookup failed): correct "
                "the host in HOOKLINE_DATABASE_URL."
            )
        if isinstance(error, ConnectionRefusedError) or (
            isinstance(error, OSError) and error.errno == errno.ECONNREFUSED
        ):
            return (
                f"Nothing accepts connections at {host}:{port} (connection refused): start "
                "PostgreSQL there, or correct the host and port in HOOKLINE_DATABASE_URL."
            )
        if isinstance(error, TimeoutError):
            return (
                f"{where} did not answer in time: check that the host and port in "
                "HOOKLINE_DATABASE_URL are right and reachable from here."
            )
    return None


def _sqlite_problem(exc: BaseException, url: str) -> str | None:
    path = sqlite_path(url)
    for error in _chain(exc):
        if isinstance(error, (sqlite3.OperationalError, OSError)):
            return (
                f"Cannot open the SQLite database {str(path)!r} ({error}): make sure its "
                "folder exists and is writable, or set HOOKLINE_DATABASE_URL elsewhere."
            )
        if isinstance(error, sqlite3.DatabaseError):
            return (
                f"{str(path)!r} is not a SQLite database Hookline can use ({error}): "
                "point HOOKLINE_DATABASE_URL at Hookline's own file."
            )
    return None
