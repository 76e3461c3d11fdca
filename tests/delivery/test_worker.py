"""The worker's lifecycle as a process sees it: readiness while it runs, and what its
end says (the subprocess cases are in tests/operations/test_supervision.py)."""

from __future__ import annotations

import asyncio

from support.waiting import until

ADMIN = "worker-faults-test-admin-key-0123456789"


async def test_readyz_says_503_once_the_worker_has_stopped(start):
    hl = await start(admin_key=ADMIN)
    ready = await hl.client.get("/readyz")
    assert ready.status_code == 200 and ready.json()["worker"] == "running"
    hl.runtime.stop_server = None  # an embedding that does not stop its server
    (recorder,) = [t for t in asyncio.all_tasks() if t.get_name() == "hookline-recorder"]
    recorder.cancel()  # one of the worker's own tasks ends

    async def stopped() -> bool:
        return (await hl.client.get("/readyz")).status_code == 503

    await until("503", stopped, timeout=15)
    body = (await hl.client.get("/readyz")).json()
    assert body == {"status": "unavailable", "database": "ok", "worker": "stopped"}

    async def failed() -> bool:
        return hl.runtime.worker_failure is not None

    await until("the failure noted", failed, timeout=15)
    assert "recorder" in str(hl.runtime.worker_failure)
