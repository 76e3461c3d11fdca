"""The limits of one connection of the delivery client against hostile receivers on
loopback (raw asyncio sockets): past a limit the exchange fails at once, with a message
naming the limit, and the connection is dropped; up to the limit everything is read.
What one exchange holds in memory is measured with the receiver in a process of its own.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import time
import tracemalloc
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator

import pytest

from hookline.delivery.http_client import READ_LIMIT, HttpSender, SendError
from hookline.delivery.http_connection import HEAD_LIMIT, MAX_FIELDS, MAX_INTERIM
from support.hostile import HostileProcess, HostileServer

TIMEOUT = 30.0  # far beyond what any test below may take: "at once" is under a second
AT_ONCE = 1.0

Script = Callable[[asyncio.StreamReader, asyncio.StreamWriter], Awaitable[None]]


@pytest.fixture
async def hostile() -> AsyncIterator[HostileServer]:
    server = await HostileServer().start()
    yield server
    await server.stop()


@pytest.fixture
async def sender() -> AsyncIterator[HttpSender]:
    sender = HttpSender(allow_private_targets=True)
    await sender.start()
    yield sender
    await sender.close()


@pytest.fixture
async def scripted() -> AsyncIterator[Callable[[Script], Awaitable[str]]]:
    """A server answering every request with `script(reader, writer)`; gives its URL."""
    servers: list[asyncio.Server] = []

    async def start(script: Script) -> str:
        async def on_connect(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            try:
                while True:
                    head = await reader.readuntil(b"\r\n\r\n")
                    length = next(
                        (
                            int(line.split(b":", 1)[1])
                            for line in head.split(b"\r\n")
                            if line.lower().startswith(b"content-length:")
                        ),
                        0,
                    )
                    await reader.readexactly(length)
                    await script(reader, writer)
            except (ConnectionError, asyncio.IncompleteReadError):
                pass
            finally:
                writer.close()

        server = await asyncio.start_server(on_connect, "127.0.0.1", 0)
        servers.append(server)
        return f"http://127.0.0.1:{server.sockets[0].getsockname()[1]}/in"

    yield start
    for server in servers:
        server.close()


def answer(raw: bytes) -> Script:
    async def script(_reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        writer.write(raw)
        await writer.drain()

    return script


async def post(sender: HttpSender, url: str):  # type: ignore[no-untyped-def]
    return await sender.post(url, body=b"{}", headers={}, timeout=TIMEOUT)


async def failing_at_once(sender: HttpSender, url: str) -> str:
    started = time.monotonic()
    with pytest.raises(SendError) as caught:
        await post(sender, url)
    assert time.monotonic() - started < AT_ONCE
    assert not caught.value.timed_out
    return str(caught.value)


async def dropped(server: HostileServer, behaviour: str) -> None:
    """The receiver saw the client hang up on it, long before it would have stopped."""
    for _ in range(200):
        ended = [e for e in server.ended if e.behaviour == behaviour]
        if ended:
            assert ended[0].dropped, ended
            assert ended[0].seconds < AT_ONCE, ended
            return
        await asyncio.sleep(0.01)
    raise AssertionError(f"the {behaviour} connection was not dropped: {server.ended}")


# -- hostile receivers: each fails at once, naming the limit --------------------------

pytestmark = pytest.mark.both_loops


async def test_an_endless_header_line_fails_at_the_head_limit(hostile, sender):
    message = await failing_at_once(sender, hostile.url("endless-header-line"))
    assert message == "response head over 64 KiB"
    await dropped(hostile, "endless-header-line")


async def test_a_header_line_sent_slowly_fails_at_the_head_limit_not_at_the_timeout(
    hostile, sender
):
    started = time.monotonic()
    with pytest.raises(SendError, match="response head over 64 KiB"):
        await post(sender, hostile.url("slow-header-line"))
    # 64 reads of 1 KiB, 5 ms apart: the limit, not the 30 s timeout, ended it.
    assert time.monotonic() - started < 3
    await dropped(hostile, "slow-header-line")


async def test_ten_thousand_header_fields_fail_at_the_field_limit(hostile, sender):
    message = await failing_at_once(sender, hostile.url("many-headers"))
    assert message == "response head has more than 100 fields"


async def test_an_endless_run_of_interim_answers_fails_at_the_eleventh(hostile, sender):
    message = await failing_at_once(sender, hostile.url("interim-loop"))
    assert message == "more than 10 interim (1xx) answers"
    await dropped(hostile, "interim-loop")


async def test_a_4_mib_location_fails_at_the_head_limit(hostile, sender):
    message = await failing_at_once(sender, hostile.url("huge-location-4mib"))
    assert message == "response head over 64 KiB"


async def test_a_long_location_within_the_head_limit_is_an_answer(hostile, sender):
    resp = await post(sender, hostile.url("huge-location"))
    assert resp.status == 302
    assert resp.location is not None
    assert len(resp.location) == 60_000  # whole here; the attempt stores 1 KiB of it


async def test_a_huge_error_is_read_up_to_the_body_limit_and_dropped(hostile, sender):
    started = time.monotonic()
    resp = await post(sender, hostile.url("huge-error"))
    assert time.monotonic() - started < AT_ONCE
    assert resp.status == 500
    assert resp.body == b"a" * READ_LIMIT
    await dropped(hostile, "huge-error")


async def test_an_endless_trailer_ends_the_exchange_with_what_was_read(hostile, sender):
    started = time.monotonic()
    resp = await post(sender, hostile.url("endless-trailer"))
    assert time.monotonic() - started < AT_ONCE
    assert (resp.status, resp.body) == (200, b"ok")
    await dropped(hostile, "endless-trailer")


# -- the limits themselves: up to them everything is read -----------------------------


def _head_of(size: int) -> bytes:
    """A 200 head of exactly `size` bytes (status line, one padding field, the end)."""
    start, end = b"HTTP/1.1 200 OK\r\nX-Pad: ", b"\r\nContent-Length: 2\r\n\r\n"
    return start + b"p" * (size - len(start) - len(end)) + end


async def test_a_head_of_exactly_the_limit_is_read_one_byte_more_is_not(scripted, sender):
    exact = await scripted(answer(_head_of(HEAD_LIMIT) + b"ok"))
    resp = await post(sender, exact)
    assert (resp.status, resp.body) == (200, b"ok")
    over = await scripted(answer(_head_of(HEAD_LIMIT + 1) + b"ok"))
    assert await failing_at_once(sender, over) == "response head over 64 KiB"


async def test_a_head_near_the_limit_with_its_body_in_the_same_read(scripted, sender):
    body = b"b" * (3 * READ_LIMIT)
    raw = _head_of(HEAD_LIMIT - 10).replace(b"Content-Length: 2", b"Content-Length: %d" % len(body))
    url = await scripted(answer(raw + body))
    resp = await post(sender, url)
    assert resp.status == 200
    assert resp.body == b"b" * READ_LIMIT


async def test_a_head_in_many_small_reads_is_counted_all_the_same(scripted, sender):
    async def trickle(_reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        writer.write(b"HTTP/1.1 200 OK\r\n")
        for i in range(2000):  # 2,000 fields of 40 bytes, 100 a write
            writer.write(b"X-%05d: %s\r\n" % (i, b"v" * 29))
            if i % 100 == 0:
                await writer.drain()
                await asyncio.sleep(0)
        await writer.drain()

    url = await scripted(trickle)
    message = await failing_at_once(sender, url)
    assert message == f"response head has more than {MAX_FIELDS} fields"


async def test_one_hundred_fields_are_read_one_more_is_not(scripted, sender):
    fields = b"".join(b"X-F%d: %d\r\n" % (i, i) for i in range(MAX_FIELDS - 1))
    url = await scripted(answer(b"HTTP/1.1 200 OK\r\n" + fields + b"Content-Length: 0\r\n\r\n"))
    resp = await post(sender, url)
    assert resp.status == 200
    assert len(resp.fields) == MAX_FIELDS
    assert resp.fields[0] == b"X-F0: 0"
    assert resp.fields[-1] == b"Content-Length: 0"
    more = await scripted(answer(b"HTTP/1.1 200 OK\r\nX-One: more\r\n" + fields + b"C: 0\r\n\r\n"))
    assert await failing_at_once(sender, more) == "response head has more than 100 fields"


async def test_ten_interim_answers_are_read_an_eleventh_is_not(scripted, sender):
    interim = b"HTTP/1.1 100 Continue\r\n\r\n"
    final = b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"
    ten = await scripted(answer(interim * MAX_INTERIM + final))
    assert (await post(sender, ten)).body == b"ok"
    eleven = await scripted(answer(interim * (MAX_INTERIM + 1) + final))
    assert await failing_at_once(sender, eleven) == "more than 10 interim (1xx) answers"


async def test_a_second_answer_to_one_request_is_not_taken_for_the_next(scripted, sender):
    connections: list[int] = []

    async def twice(_reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        connections.append(id(writer))
        writer.write(
            b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"
            b"HTTP/1.1 500 Stray\r\nContent-Length: 0\r\n\r\n"
        )
        await writer.drain()

    url = await scripted(twice)
    assert (await post(sender, url)).status == 200
    await asyncio.sleep(0.05)
    assert (await post(sender, url)).status == 200  # not the stray 500
    assert len(set(connections)) == 2  # the first connection was dropped


# -- memory: what one exchange in flight can hold -------------------------------------


@pytest.fixture(scope="module")
def hostile_process() -> Iterator[HostileProcess]:
    process = HostileProcess()
    yield process
    process.stop()


@pytest.mark.parametrize(
    "behaviour",
    [
        "endless-header-line",
        "many-headers",
        "interim-loop",
        "huge-location",
        "huge-location-4mib",
        "huge-error",
        "endless-trailer",
    ],
)
async def test_one_exchange_holds_under_1_mib_whatever_the_receiver_sends(
    hostile_process, behaviour
):
    sender = HttpSender(allow_private_targets=True)
    await sender.start()
    gc.collect()
    tracemalloc.start()
    try:
        before, _ = tracemalloc.get_traced_memory()
        tracemalloc.reset_peak()
        with contextlib.nullcontext() if behaviour in _ANSWERED else pytest.raises(SendError):
            await sender.post(hostile_process.url(behaviour), body=b"{}", headers={}, timeout=10)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
        await sender.close()
    print(f"{behaviour}: {(peak - before) / 1024:.0f} KiB at most")
    assert peak - before < 1024 * 1024, f"{behaviour}: {(peak - before) / 1024:.0f} KiB"


_ANSWERED = ("huge-location", "huge-error", "endless-trailer")
