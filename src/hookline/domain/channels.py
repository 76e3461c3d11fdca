"""Channels (DESIGN §3): free-form names a message carries beside its event type, and the
rule that decides which endpoints receive it.

A message names up to `MAX_CHANNELS` channels; an endpoint may listen to up to as many.
An endpoint that listens to channels receives only the messages that share at least one
of them (and match its events); an endpoint without channels receives every message.
Channel names follow the event-type name pattern.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from hookline.domain.errors import ValidationReport
from hookline.domain.matching import is_valid_name

MAX_CHANNELS = 10


def receives(listens_to: Sequence[str], carried: Iterable[str]) -> bool:
    """Whether an endpoint listening to `listens_to` (empty: every message) receives a
    message that carries `carried`."""
    if not listens_to:
        return True
    return not set(listens_to).isdisjoint(carried)


def check_channels(
    report: ValidationReport, channels: Sequence[str] | None, location: str
) -> tuple[str, ...]:
    """The channels as stored (in order, each once), with every problem in `report`.
    None and an empty list both mean "no channels"."""
    if channels is None:
        return ()
    if len(channels) > MAX_CHANNELS:
        report.add(location, f"at most {MAX_CHANNELS} channels", len(channels))
    for i, name in enumerate(channels):
        if not isinstance(name, str) or not is_valid_name(name):
            report.add(
                f"{location}.{i}",
                "a channel is 1–100 of letters, digits, '_', '.', '-' and starts alnum",
                name,
            )
    return tuple(dict.fromkeys(c for c in channels if isinstance(c, str)))


def checked_channels(channels: Sequence[str] | None, location: str) -> tuple[str, ...]:
    """`check_channels` on its own: the channels as stored, or InvalidInput (422)."""
    if not channels:
        return ()
    report = ValidationReport()
    checked = check_channels(report, channels, location)
    report.raise_if_any()
    return checked
