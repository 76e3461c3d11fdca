"""Page cursors: opaque to callers, versioned, and refused (422) when not one this
server handed out. The store pages by them and the Svix door builds its iterators from
them, so they live here, below both."""

from __future__ import annotations

import base64
import binascii

from hookline.domain.errors import FieldError, InvalidInput

__all__ = ["decode_cursor", "encode_cursor"]

_VERSION = "c1:"


def encode_cursor(last_id: str) -> str:
    return base64.urlsafe_b64encode((_VERSION + last_id).encode()).decode().rstrip("=")


def decode_cursor(cursor: str) -> str:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
    except (binascii.Error, UnicodeDecodeError, ValueError):
        raw = ""
    if not raw.startswith(_VERSION) or not raw.isprintable() or len(raw) > 200:
        raise InvalidInput(
            "The cursor is not one this server handed out.",
            errors=[FieldError("query.cursor", "unknown cursor", cursor)],
        )
    return raw[len(_VERSION) :]
