"""One claim, inside a write transaction: lease due deliveries, take the slots of their
endpoints, give back in place what the shares have no room for, and let go of the slots
of endpoints that have been idle. Used by the claim loop (a transaction of its own) and
by the publishes that claim along (their transaction).

Nothing of it counts before the transaction commits: `commit` is called after.
"""

from __future__ import annotations

import secrets
import time
from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncConnection

from hookline.delivery.claim_plan import ClaimPlanner, ClaimRequest, Settled
from hookline.delivery.leases import Leases
from hookline.store import queue

HOLD_IDLE_SECONDS = 1.0  # slots of an endpoint with nothing held here are let go after this


@dataclass(frozen=True, slots=True)
class Claim:
    settled: Settled
    began: float  # (monotonic) when the claim started: its leases run from about then
    let_go: list[str]  # endpoints whose idle slots it gave back


async def claim_in(
    conn: AsyncConnection,
    *,
    planner: ClaimPlanner,
    leases: Leases,
    request: ClaimRequest,
    lease_seconds: float,
    among_messages: list[str] | None = None,
) -> Claim:
    began = time.monotonic()
    floors = planner.floors_ended()
    claimed = await queue.claim_due(
        conn,
        lease_seconds=lease_seconds,
        token=secrets.token_hex(16),
        limit=request.limit,
        skip_endpoints=request.skip,
        among_messages=among_messages or (),
        floor=request.floor,
    )
    wants = planner.wants(claimed)
    grants = await leases.take(conn, wants) if wants else {}
    settled = planner.settle(
        claimed,
        grants,
        request,
        claimed_at=claimed[0].claimed_at if claimed else None,
        floors_ended=floors,
        wanted=wants,
    )
    if settled.give_back:
        await queue.release(conn, [(c.id, c.lease_token) for c in settled.give_back])
    claiming = {c.endpoint_id for c in claimed}
    idle = [ep for ep in planner.idle(HOLD_IDLE_SECONDS) if ep not in claiming]
    if idle:
        await leases.let_go(conn, idle)
    return Claim(settled, began, idle)


def commit(claim: Claim, *, planner: ClaimPlanner, leases: Leases, along: bool) -> None:
    """The claim's transaction committed: hold what it kept and the slots it took."""
    planner.commit(claim.settled, along=along)
    leases.hold(claim.settled.keep, claim_began=claim.began)
    planner.lost(claim.let_go)
