"""The Svix door is not in the native OpenAPI, and the native API changed, for issue 20,
by `channels` alone: the document as served, with channels taken out, is the document
committed on the commit this work started from.

When other changes to the native API are merged after that commit, BASE moves to the
commit this comparison should start from (the document's history says which).
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

import pytest

from hookline.cli_openapi import render_openapi

ROOT = Path(__file__).resolve().parents[3]
# The integration of issues 17, 18 and 19, just before issue 20 joined it: the native API
# with everything but channels (docs/openapi.json as it was there).
BASE = "2739957c4919"


def _without_channels(value: Any) -> Any:
    """The document with every `channels` field and the `channel` filter taken out."""
    if isinstance(value, dict):
        out = {}
        for key, item in value.items():
            if key == "channels" and isinstance(item, dict):
                continue  # a property
            if key == "required" and isinstance(item, list):
                item = [name for name in item if name != "channels"]
            if key == "parameters" and isinstance(item, list):
                item = [p for p in item if p.get("name") != "channel"]
            out[key] = _without_channels(item)
        return out
    if isinstance(value, list):
        return [_without_channels(item) for item in value]
    return value


def _base_document() -> dict[str, Any]:
    shown = subprocess.run(
        ["git", "show", f"{BASE}:docs/openapi.json"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=30,
    )
    if shown.returncode != 0:
        pytest.skip(f"no git history with {BASE} here: {shown.stderr.strip()}")
    document: dict[str, Any] = json.loads(shown.stdout)
    return document


def test_the_native_openapi_changed_by_channels_alone():
    current = json.loads(render_openapi())
    assert "channels" in json.dumps(current)  # there is something to take out
    assert _without_channels(current) == _base_document()


async def test_no_svix_route_or_shape_is_in_the_native_document(hookline):
    served = await hookline.call("GET", "/openapi.json", 200)
    assert not [p for p in served["paths"] if p.startswith("/api/")]
    schemas = set(served["components"]["schemas"])
    svix_only = {
        "ApplicationOut",
        "AppPortalAccessOut",
        "EndpointHeadersOut",
        "EndpointSecretOut",
        "MessageAttemptOut",
        "ListResponse_ApplicationOut_",
        "ListResponse_MessageAttemptOut_",
    }
    assert not schemas & svix_only
    # While the door answers beside it.
    assert (await hookline.client.get("/api/v1/app")).status_code == 200
