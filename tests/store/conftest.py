"""The store's tests run on the SQLite transport `HOOKLINE_SQLITE_DRIVER` names (`fast`
unless set; `make test` runs tests/store a second time with `stock`): the tests that
open a `Database` themselves take it from the `sqlite_driver` fixture, and those that
start Hookline get it through the settings, which read the same variable."""

from __future__ import annotations

import os
from typing import cast, get_args

import pytest

from hookline.store.sqlite_driver import DEFAULT_SQLITE_DRIVER, SqliteDriver

DRIVERS: tuple[str, ...] = get_args(SqliteDriver)


def _chosen() -> SqliteDriver:
    name = os.environ.get("HOOKLINE_SQLITE_DRIVER", DEFAULT_SQLITE_DRIVER)
    if name not in DRIVERS:
        raise pytest.UsageError(f"HOOKLINE_SQLITE_DRIVER={name!r}: expected one of {DRIVERS}")
    return cast(SqliteDriver, name)


@pytest.fixture(scope="session")
def sqlite_driver() -> SqliteDriver:
    return _chosen()
