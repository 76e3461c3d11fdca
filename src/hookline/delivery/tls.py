"""The TLS settings of attempts: certificates verified against the system's trust store,
plus the operator's own CAs (`HOOKLINE_CA_BUNDLE`) for receivers behind a private CA.
The bundle adds to the system store; it never replaces it."""

from __future__ import annotations

import ssl
from pathlib import Path


class TrustStoreError(ValueError):
    """The CA bundle cannot be read as PEM certificates."""


def client_context(ca_bundle: Path | str | None = None) -> ssl.SSLContext:
    """Loading the system store takes milliseconds: make one context per sender."""
    context = ssl.create_default_context()
    if ca_bundle is not None:
        try:
            context.load_verify_locations(cafile=str(ca_bundle))
        except (OSError, ssl.SSLError) as exc:
            raise TrustStoreError(f"cannot load the CA bundle {ca_bundle}: {exc}") from exc
    return context
