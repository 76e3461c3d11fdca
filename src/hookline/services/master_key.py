"""Master key rotation: re-encrypt every sealed value under the primary master key.

The operator puts the new key in HOOKLINE_SECRET_KEY and the old one(s) in
HOOKLINE_PREVIOUS_SECRET_KEYS, runs `hookline rotate-master-key`, and may then drop the
old keys. Values are rewritten in batches of short transactions, so the service can
keep running (with both keys configured) while it happens.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from hookline.domain.encryption import DecryptionError
from hookline.services.context import Context
from hookline.store import sealed_values

BATCH_SIZE = 200


@dataclass(frozen=True, slots=True)
class RotationReport:
    key_id: str  # the primary key's id: every rewritten value now names it
    rewritten: int = 0
    already_current: int = 0
    changed_meanwhile: int = 0  # rewritten through the API during the run: left as is
    # Values no configured key opens, by the key id they name: the run must be repeated
    # with that key in HOOKLINE_PREVIOUS_SECRET_KEYS.
    unreadable: dict[str, int] = field(default_factory=dict)

    @property
    def complete(self) -> bool:
        return not self.unreadable


def _key_id_of(sealed: str) -> str:
    parts = sealed.split(":", 3)
    return parts[2] if len(parts) == 4 else "?"


async def rotate(ctx: Context, *, batch_size: int = BATCH_SIZE) -> RotationReport:
    """Re-seal every endpoint secret and credential not yet sealed with the primary key."""
    cipher = ctx.cipher
    rewritten = current = changed = 0
    unreadable: Counter[str] = Counter()
    after: str | None = None
    while True:
        async with ctx.db.read() as conn:
            values, after_next = await sealed_values.list_sealed_values(
                conn, after_id=after, limit=batch_size
            )
        changes: list[tuple[sealed_values.SealedValue, str]] = []
        for value in values:
            if cipher.sealed_with_primary(value.sealed):
                current += 1
                continue
            try:
                plaintext = cipher.open(value.sealed, context=value.context)
            except (DecryptionError, ValueError):  # ValueError: not even base64
                unreadable[_key_id_of(value.sealed)] += 1
                continue
            changes.append((value, cipher.seal(plaintext, context=value.context)))
        if changes:
            async with ctx.db.write() as conn:
                done = await sealed_values.rewrite_sealed_values(conn, changes)
            rewritten += done
            changed += len(changes) - done
        if after_next is None:
            break
        after = after_next
    return RotationReport(
        key_id=cipher.primary_key_id,
        rewritten=rewritten,
        already_current=current,
        changed_meanwhile=changed,
        unreadable=dict(unreadable),
    )
