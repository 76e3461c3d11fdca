"""What one worker holds under a lease, and keeping it: the deliveries it claimed (held
from the claim until their result is written) and the endpoint slots it took; renewed
together, handed back when the worker cannot act on them, let go at shutdown.

Leases end by the database's clock; this process only measures how long ago it last
renewed them (monotonic seconds). When that is close to a lease's length, what it holds
may already be someone else's, so nothing more is started (`valid`) until a renewal
succeeds, and what it holds is abandoned to the other workers.
"""

from __future__ import annotations

import asyncio
import logging
import secrets
import time
from collections.abc import Iterable, Sequence

from sqlalchemy.ext.asyncio import AsyncConnection

from hookline.delivery.claim_plan import ClaimPlanner
from hookline.store import queue, slots
from hookline.store.database import Database
from hookline.store.queue import Claimed
from hookline.store.slots import Grant

log = logging.getLogger(__name__)

# Starts stop once this share of a lease has passed since the last renewal began.
SAFE_SHARE = 0.8


class Leases:
    def __init__(
        self,
        db: Database,
        planner: ClaimPlanner,
        *,
        lease_seconds: float,
        default_limit: int,
    ) -> None:
        self.holder = secrets.token_hex(16)  # this process, in `endpoint_slots`
        self._db = db
        self._planner = planner
        self._lease = lease_seconds
        self._default_limit = default_limit
        self._held: dict[str, Claimed] = {}
        self._valid_until = 0.0  # (monotonic) no new attempt starts after it

    # -- the deliveries held ----------------------------------------------------------

    def hold(self, claimed: Iterable[Claimed], *, claim_began: float) -> None:
        """These were claimed by a transaction that began at `claim_began` (monotonic)
        and has committed."""
        kept = list(claimed)
        if kept and not self._held:
            self._valid_until = max(self._valid_until, claim_began + SAFE_SHARE * self._lease)
        for c in kept:
            self._held[c.id] = c

    def holds(self, c: Claimed) -> bool:
        held = self._held.get(c.id)
        return held is not None and held.lease_token == c.lease_token

    def claimed(self, delivery_id: str, token: str) -> Claimed | None:
        held = self._held.get(delivery_id)
        return held if held is not None and held.lease_token == token else None

    def forget(self, delivery_id: str, token: str) -> None:
        """Its result is written (or it was handed back): no longer renewed."""
        held = self._held.get(delivery_id)
        if held is not None and held.lease_token == token:
            del self._held[delivery_id]

    @property
    def count(self) -> int:
        return len(self._held)

    def valid(self) -> bool:
        """Whether what this worker holds is still surely its own."""
        return time.monotonic() < self._valid_until

    # -- slots ------------------------------------------------------------------------

    async def take(self, conn: AsyncConnection, wants: dict[str, int]) -> dict[str, Grant]:
        """Inside a claim's transaction: take the slots `wants` asks for."""
        return await slots.take(
            conn,
            holder=self.holder,
            wants=wants,
            default_limit=self._default_limit,
            lease_seconds=self._lease,
        )

    # -- renewing ---------------------------------------------------------------------

    async def renew_forever(self) -> None:
        """Renew every third of a lease; a failed renewal is tried again the next time
        (the database may be away), and starts stop once leases may have run out."""
        period = max(self._lease / 3, 0.5)
        while True:
            await asyncio.sleep(period)
            try:
                await self.renew()
            except Exception as exc:
                log.warning("could not renew leases (%s)", exc)
                if not self.valid() and self._held:
                    log.error(
                        "leases may have run out: not starting attempts; %d deliveries and "
                        "every slot are left to other workers",
                        len(self._held),
                    )
                    self.abandon_all()

    async def renew(self) -> None:
        began = time.monotonic()
        tokens = list({c.lease_token for c in self._held.values()})
        async with self._db.write() as conn:
            if tokens:
                await queue.renew_leases(conn, tokens=tokens, lease_seconds=self._lease)
            grants = await slots.renew(
                conn,
                holder=self.holder,
                lease_seconds=self._lease,
                default_limit=self._default_limit,
            )
        self._valid_until = began + SAFE_SHARE * self._lease
        self._planner.apply(grants.values())
        gone = [ep for ep, s in self._planner.shares.items() if s.slots and ep not in grants]
        self._planner.lost(gone)

    # -- giving back ------------------------------------------------------------------

    async def hand_back(self, claimed: Sequence[Claimed], *, delay: float | None = None) -> None:
        """Return deliveries this worker cannot act on to the queue (`delay`: due that
        many seconds from now); if even that fails, stop renewing them, and they come
        back when their leases run out. Never raises."""
        mine = [c for c in claimed if self.holds(c)]
        if not mine:
            return
        try:
            async with self._db.write() as conn:
                await queue.release(conn, [(c.id, c.lease_token) for c in mine], delay=delay)
        except Exception as exc:
            log.warning(
                "could not hand %d deliveries back (%s); they return when their leases run out",
                len(mine),
                exc,
            )
        for c in mine:
            self.forget(c.id, c.lease_token)

    def abandon_all(self) -> None:
        """Leave everything to the leases' end: not renewed, not started."""
        self._held.clear()
        self._valid_until = 0.0
        self._planner.lost(list(self._planner.shares))

    async def let_go(self, conn: AsyncConnection, endpoint_ids: Sequence[str]) -> None:
        """Inside a write transaction: give back the slots of idle endpoints."""
        await slots.release(conn, holder=self.holder, endpoint_ids=endpoint_ids)

    async def release_all(self, unsent: Sequence[Claimed]) -> None:
        """At shutdown: what was claimed but not sent goes back at once, and every slot."""
        held = [(c.id, c.lease_token) for c in unsent if self.holds(c)]
        try:
            async with self._db.write() as conn:
                await queue.release(conn, held)
                await slots.release(conn, holder=self.holder)
            if held:
                log.info("stopping: released %d deliveries to the queue", len(held))
        except Exception as exc:  # their leases will run out instead
            log.warning("stopping: could not release what this worker holds (%s)", exc)
        self._held.clear()
