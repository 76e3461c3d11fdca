"""Connecting to a host with several addresses the way RFC 8305 (Happy Eyeballs v2)
asks: the addresses are tried in turn, the next one `ATTEMPT_DELAY` after the previous
attempt began (or at once when it failed) without waiting for it to time out; the first
to connect wins and the others are closed.

Only the TCP connection is raced, as Go's and Python's own dialers do: TLS is then
set up once, on the winner, so a slow handshake never opens a second connection.
The addresses are the ones the network policy checked (`resolver.AddressBook`).
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
from collections.abc import Sequence

from hookline.domain.network_policy import IPAddress

ATTEMPT_DELAY = 0.25  # RFC 8305 §5: "a recommended default of 250 milliseconds"


def interleaved(addresses: Sequence[IPAddress]) -> list[IPAddress]:
    """RFC 8305 §4: the families alternate, the first answer's family first, each
    family in the order the resolver gave."""
    if len(addresses) < 2:
        return list(addresses)
    first = addresses[0].version
    same = [a for a in addresses if a.version == first]
    other = [a for a in addresses if a.version != first]
    out: list[IPAddress] = []
    for i in range(max(len(same), len(other))):
        out.extend(group[i] for group in (same, other) if i < len(group))
    return out


async def connect_tcp(ip: IPAddress, port: int) -> socket.socket:
    """A connected, non-blocking TCP socket to `ip`; closed again if this fails or is
    cancelled."""
    loop = asyncio.get_running_loop()
    family = socket.AF_INET6 if ip.version == 6 else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    try:
        sock.setblocking(False)
        # Each request is one write: waiting for an ACK first (Nagle) costs ~40 ms.
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        await loop.sock_connect(sock, (str(ip), port))
    except BaseException:
        sock.close()
        raise
    return sock


async def connect_first(
    addresses: Sequence[IPAddress], port: int, *, delay: float = ATTEMPT_DELAY
) -> socket.socket:
    """The socket of the first address to connect. Raises the last OSError when every
    address failed; a cancellation (the caller's deadline) closes every attempt."""
    order = interleaved(addresses)
    if len(order) == 1:
        return await connect_tcp(order[0], port)
    if not order:
        raise OSError("no address to connect to")
    loop = asyncio.get_running_loop()
    waiting = list(reversed(order))
    running: set[asyncio.Task[socket.socket]] = set()
    failure: BaseException | None = None
    try:
        while waiting or running:
            if waiting:
                running.add(loop.create_task(connect_tcp(waiting.pop(), port)))
            done, running = await asyncio.wait(
                running,
                timeout=delay if waiting else None,
                return_when=asyncio.FIRST_COMPLETED,
            )
            winner: socket.socket | None = None
            for task in done:
                error = task.exception()
                if error is not None:
                    failure = error
                elif winner is None:
                    winner = task.result()
                else:  # two connected in the same turn of the loop: one is enough
                    task.result().close()
            if winner is not None:
                return winner
    finally:
        for task in running:  # the ones still trying when another won, or cancelled
            task.add_done_callback(_discard)
            task.cancel()
    if isinstance(failure, OSError):
        raise failure
    raise OSError(str(failure) if failure is not None else "no address to connect to")


def _discard(task: asyncio.Task[socket.socket]) -> None:
    """A losing attempt ended: its socket, if it connected after all, is closed, and
    its error (it has no one else to tell) is taken."""
    if task.cancelled():
        return
    if task.exception() is None:
        with contextlib.suppress(OSError):
            task.result().close()
