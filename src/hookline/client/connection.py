"""Where both clients connect and how they introduce themselves: the base URL and API key
(from the arguments, else HOOKLINE_URL and HOOKLINE_API_KEY), the User-Agent, the
timeout, as the options of an httpx client."""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any

from hookline import __version__

DEFAULT_URL = "http://127.0.0.1:8780"
USER_AGENT = f"hookline-python/{__version__}"


def http_options(
    url: str | None, api_key: str | None, headers: Mapping[str, str] | None, timeout: float
) -> dict[str, Any]:
    """The keyword arguments of `httpx.Client` (or `httpx.AsyncClient`)."""
    base = (url or os.environ.get("HOOKLINE_URL") or DEFAULT_URL).rstrip("/")
    key = api_key or os.environ.get("HOOKLINE_API_KEY")
    sent = {"User-Agent": USER_AGENT, "Accept": "application/json"}
    if key:
        sent["Authorization"] = f"Bearer {key}"
    sent.update(headers or {})
    return {"base_url": base, "headers": sent, "timeout": timeout}
