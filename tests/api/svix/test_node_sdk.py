"""Svix's quickstart run by Svix's JavaScript SDK (npm `svix`, pinned by
tests/package-lock.json and installed by `make test` with `npm ci`) under node, against
a real Hookline on each database. The flow itself is `quickstart.mjs`.

The npm SDK pinned is of the 1.x generation (`filterTypes`, `rateLimit`, `version`),
the Python one of 2.x (`eventTypes`, `throttleRate`): between them both of Svix's
vocabularies are exercised against the same door.
"""

from __future__ import annotations

import asyncio
import json
import os
import shutil
from pathlib import Path

SCRIPT = Path(__file__).with_name("quickstart.mjs")
TESTS = Path(__file__).resolve().parents[2]
SDK = TESTS / "node_modules" / "svix" / "package.json"


async def test_the_quickstart_under_node(hookline):
    node = shutil.which("node")
    assert node, "node is needed for the npm SDK's test"
    assert SDK.exists(), "the npm SDK is not installed: run `npm ci` in tests/ (make test does)"
    assert json.loads(SDK.read_text())["version"] == _locked_version()
    env = {**os.environ, "HOOKLINE_URL": hookline.url, "HOOKLINE_KEY": hookline.admin_key}
    proc = await asyncio.create_subprocess_exec(
        node,
        str(SCRIPT),
        env=env,
        cwd=TESTS,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    try:
        out, err = await asyncio.wait_for(proc.communicate(), timeout=90)
    except TimeoutError:
        proc.kill()
        await proc.wait()
        raise
    assert proc.returncode == 0, f"node failed:\n{err.decode()}\n{out.decode()}"
    summary = json.loads(out.decode().strip().splitlines()[-1])
    assert summary["messages"] == 120
    assert summary["otherChannel"] == 0  # its channel was never published to
    assert summary["hook"] == 3  # first, resent, and after the rotation
    assert summary["lostAttempts"] == 4  # three failures, then recovered
    # The application is gone, as the script deleted it.
    resp = await hookline.client.get(f"/v1/tenants/{summary['app']}")
    assert resp.status_code == 404


def _locked_version() -> str:
    lock = json.loads((TESTS / "package-lock.json").read_text())
    version: str = lock["packages"]["node_modules/svix"]["version"]
    return version
