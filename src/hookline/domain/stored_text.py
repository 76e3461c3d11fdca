"""Text taken from a peer (a receiver's answer, an error about it) cut to a bound before
it is stored, and marked where it was cut, so nobody takes a cut text for the whole.

DESIGN §6: every stored text taken from a response or an error (error message, redirect
location, response headers) is at most 1 KiB.
"""

from __future__ import annotations

STORED_TEXT_LIMIT = 1024  # bytes of UTF-8, the mark included


def cut_mark(total: int) -> str:
    return f" …[cut: {total} bytes in all]"


def storable(text: str) -> str:
    """`text` with NUL characters replaced (PostgreSQL stores none in a text column, and
    one refused row would fail the whole batch of attempts written with it)."""
    return text.replace("\x00", "\ufffd") if "\x00" in text else text


def bounded(text: str, limit: int = STORED_TEXT_LIMIT) -> str:
    """`text` itself when its UTF-8 fits in `limit` bytes; otherwise as much of its
    beginning as fits together with a mark saying how long the whole was. Either way
    storable (no NUL)."""
    text = storable(text)
    if len(text) <= limit // 4:  # four bytes a character at most: surely fits
        return text
    raw = text.encode("utf-8", errors="replace")
    if len(raw) <= limit:
        return text
    mark = cut_mark(len(raw))
    kept = raw[: max(0, limit - len(mark.encode("utf-8")))]
    # A character cut in two is dropped whole rather than stored as a stray byte.
    return kept.decode("utf-8", errors="ignore") + mark
