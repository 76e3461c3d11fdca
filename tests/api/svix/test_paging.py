"""Svix's iterator paging over Hookline's lists: `iterator` onwards, `prevIterator`
back, `done` at the end, `order` for the lists that take it, and Svix's default order
for each list."""

from __future__ import annotations

from hookline.api.svix.paging import Order, Window, list_response, window
from hookline.domain.cursors import encode_cursor


def test_windows():
    assert window(None, None, default=Order.DESCENDING) == Window(None, True, False)
    assert window(None, Order.ASCENDING, default=Order.DESCENDING) == Window(None, False, False)
    assert window("ep_1", None, default=Order.ASCENDING) == Window(
        encode_cursor("ep_1"), False, False
    )
    assert window("-ep_1", None, default=Order.ASCENDING) == Window(
        encode_cursor("ep_1"), True, True
    )
    back = window("-ep_5", None, default=Order.DESCENDING)
    page = list_response(["ep_6", "ep_7"], more=True, at=back, key=str)
    assert (page.data, page.iterator, page.prev_iterator, page.done) == (
        ["ep_7", "ep_6"],
        "ep_6",
        "-ep_7",
        False,
    )
    empty = list_response([], more=False, at=back, key=str)
    assert (empty.iterator, empty.prev_iterator, empty.done) == (None, None, True)


async def _walk(client, path: str, **params) -> tuple[list[str], list[dict]]:
    seen: list[str] = []
    pages = []
    iterator = None
    for _ in range(20):
        query = {**params, **({"iterator": iterator} if iterator else {})}
        page = (await client.get(path, params=query)).json()
        pages.append(page)
        seen += [item.get("id") or item["name"] for item in page["data"]]
        if page["done"]:
            return seen, pages
        iterator = page["iterator"]
    raise AssertionError("no end")


async def test_every_list_pages_forwards_and_back(hookline, svix_http, receivers):
    rx = await receivers()
    async with svix_http() as client:
        apps = [
            (await client.post("/api/v1/app", json={"name": f"App {n}"})).json()["id"]
            for n in range(7)
        ]
        # Applications: oldest first by default, as in Svix; descending when asked.
        seen, pages = await _walk(client, "/api/v1/app", limit=3)
        assert seen == apps
        assert [len(p["data"]) for p in pages] == [3, 3, 1]
        assert (await _walk(client, "/api/v1/app", limit=3, order="descending"))[0] == apps[::-1]
        # prevIterator pages back to where the page before began.
        second = pages[1]
        back = (
            await client.get("/api/v1/app", params={"limit": 3, "iterator": second["prevIterator"]})
        ).json()
        assert [a["id"] for a in back["data"]] == apps[:3]
        assert back["done"] is True  # nothing before the first page

        # Endpoints: newest first by default (Svix's order).
        eps = [
            (await client.post(f"/api/v1/app/{apps[0]}/endpoint", json={"url": rx.url})).json()[
                "id"
            ]
            for _ in range(5)
        ]
        assert (await _walk(client, f"/api/v1/app/{apps[0]}/endpoint", limit=2))[0] == eps[::-1]
        assert (await _walk(client, f"/api/v1/app/{apps[0]}/endpoint", limit=2, order="ascending"))[
            0
        ] == eps

        # Event types, by name.
        for name in ("b.two", "a.one", "c.three"):
            await client.post("/api/v1/event-type", json={"name": name, "description": ""})
        names, _ = await _walk(client, "/api/v1/event-type", limit=2)
        assert names == ["a.one", "b.two", "c.three", "webhook.test"]

        # Messages, newest first; then back from the last page.
        msgs = [
            (
                await client.post(
                    f"/api/v1/app/{apps[0]}/msg", json={"eventType": "a.one", "payload": {"n": n}}
                )
            ).json()["id"]
            for n in range(7)
        ]
        seen, pages = await _walk(client, f"/api/v1/app/{apps[0]}/msg", limit=3)
        assert seen == msgs[::-1]
        last = pages[-1]
        before_last = (
            await client.get(
                f"/api/v1/app/{apps[0]}/msg", params={"limit": 3, "iterator": last["prevIterator"]}
            )
        ).json()
        assert [m["id"] for m in before_last["data"]] == msgs[::-1][3:6]
        assert before_last["done"] is False  # the first page is still ahead, backwards
