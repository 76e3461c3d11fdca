"""The one stand-in of the security tests: DNS (this machine has no public DNS).

`dns` answers from a table a test may change at any moment; the server under test
asks it for endpoint hosts at registration and at delivery. `stored` reads what the
database really holds, table by table, without going through Hookline.
"""

from __future__ import annotations

import socket
from collections.abc import Awaitable, Callable
from ipaddress import ip_address
from typing import Any

import pytest

from hookline.domain.network_policy import IPAddress
from hookline.store.database import Database
from hookline.store.schema import metadata

PUBLIC_V4 = "93.184.216.34"
PUBLIC_V6 = "2606:2800:220:1:248:1893:25c8:1946"

RECORDS: dict[str, list[str]] = {
    "hooks.public.example": [PUBLIC_V4],
    "dual.example": [PUBLIC_V4, PUBLIC_V6],
    "v6only.example": [PUBLIC_V6],
    "xn--bcher-kva.example": ["151.101.1.69"],  # bücher.example
    "xn--mnchen-3ya.example": ["151.101.65.69"],  # münchen.example
    "private.example": ["10.0.0.5"],
    "metadata.example": ["169.254.169.254"],
    "loopback.example": ["127.0.0.1"],
    "zero.example": ["0.0.0.0"],
    "mixed.example": [PUBLIC_V4, "10.1.2.3"],
    "v6-local.example": [PUBLIC_V4, "fd00::1"],
    "v6-loopback.example": [PUBLIC_V4, "::1"],
    "mapped.example": ["::ffff:10.0.0.1"],
    "cgnat.example": ["100.64.3.4"],
    "nat64.example": ["64:ff9b::a9fe:a9fe"],
    "empty.example": [],
    "xn--bcher-intern-dlb.example": ["192.168.1.10"],  # bücher-intern.example
}


class StandInDNS:
    """A `HostResolver` answering from `records`; unknown names do not resolve."""

    def __init__(self, records: dict[str, list[str]]) -> None:
        self.records = dict(records)
        self.asked: list[str] = []

    async def resolve(self, host: str) -> list[IPAddress]:
        self.asked.append(host)
        if host not in self.records:
            raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")
        return [ip_address(a) for a in self.records[host]]


@pytest.fixture
def dns() -> StandInDNS:
    return StandInDNS(RECORDS)


@pytest.fixture
async def strict(start: Callable[..., Awaitable[Any]], dns: StandInDNS) -> Any:
    """Hookline with the production network policy (https only, public addresses only)."""
    return await start(
        allow_http=False, allow_private_targets=False, resolver=dns, max_endpoints_per_tenant=0
    )


Rows = dict[str, list[dict[str, Any]]]


@pytest.fixture
def stored(db_url: str) -> Callable[[], Awaitable[Rows]]:
    """Every row of every table of this test's database, as the database holds it."""

    async def read() -> Rows:
        db = Database(db_url)
        try:
            async with db.read() as conn:
                return {
                    table.name: [
                        dict(r._mapping)
                        for r in await conn.exec_driver_sql(f'SELECT * FROM "{table.name}"')
                    ]
                    for table in metadata.sorted_tables
                }
        finally:
            await db.dispose()

    return read
