"""The database URLs the store opens: SQLite files and PostgreSQL, in the forms users
write them (`sqlite:///…`, `postgresql://…`), each turned into its async driver's."""

from __future__ import annotations

from pathlib import Path

SCHEMES = (
    "sqlite",
    "sqlite+aiosqlite",
    "postgresql",
    "postgres",
    "postgresql+asyncpg",
    "postgresql+psycopg",
    "postgresql+psycopg2",
)


def async_url(url: str) -> str:
    """Accept plain `sqlite:///` and `postgresql://` URLs; use the async drivers."""
    if url.startswith("sqlite:"):
        return "sqlite+aiosqlite:" + url[len("sqlite:") :]
    for head in (
        "postgresql://",
        "postgres://",
        "postgresql+psycopg://",
        "postgresql+psycopg2://",
    ):
        if url.startswith(head):
            return "postgresql+asyncpg://" + url[len(head) :]
    return url


def sqlite_path(url: str) -> Path | None:
    """The file of a `sqlite:///path` URL (None for in-memory databases)."""
    for head in ("sqlite+aiosqlite:///", "sqlite:///"):
        if url.startswith(head):
            rest = url[len(head) :].split("?", 1)[0]
            return None if rest in ("", ":memory:") else Path(rest)
    return None
