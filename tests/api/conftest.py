"""Shared checks for the API tests: every error is RFC 9457 problem+json."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx
import pytest

ProblemCheck = Callable[..., dict[str, Any]]


def check_problem(resp: httpx.Response, status: int, *locations: str) -> dict[str, Any]:
    """Assert `resp` is a problem+json of `status`; with `locations`, that each one is
    named in `errors[].location`. Returns the problem body."""
    assert resp.status_code == status, f"expected {status}, got {resp.status_code}: {resp.text}"
    assert resp.headers["content-type"].startswith("application/problem+json"), resp.headers
    body: dict[str, Any] = resp.json()
    for name in ("type", "title", "status", "detail"):
        assert name in body, f"problem without {name!r}: {body}"
    assert body["status"] == status
    assert isinstance(body["title"], str)
    assert body["title"]
    assert isinstance(body["detail"], str)
    assert body["detail"]
    if locations:
        found = {e["location"] for e in body.get("errors", [])}
        for e in body.get("errors", []):
            assert set(e) >= {"location", "message"}, e
        missing = [loc for loc in locations if loc not in found]
        assert not missing, f"no error at {missing}; errors: {body.get('errors')}"
    return body


@pytest.fixture
def problem() -> ProblemCheck:
    """`problem(resp, 422, "body.name")` checks a problem+json answer."""
    return check_problem
