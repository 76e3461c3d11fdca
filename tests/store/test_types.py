"""UTCDateTime on SQLite: the text it binds is SQLAlchemy's own DATETIME text, so rows
written before and after its fast bind path compare and sort alike."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.dialects import sqlite

from hookline.store.types import UTCDateTime

VALUES = [
    datetime(2026, 11, 24, 16, 50, 0, 9523, tzinfo=UTC),
    datetime(2026, 11, 24, 16, 50, 0, tzinfo=UTC),  # no microseconds: still six digits
    datetime(2026, 11, 24, 18, 50, 0, 1, tzinfo=timezone(timedelta(hours=2))),
    datetime(2026, 11, 24, 16, 50, 0, 999999),  # naive: taken as UTC
    datetime(999, 1, 2, 3, 4, 5, 6, tzinfo=UTC),
    datetime(9999, 12, 31, 23, 59, 59, 999999, tzinfo=UTC),
]


def test_binds_what_sqlalchemys_datetime_would_for_the_same_utc_time():
    dialect = sqlite.dialect()
    ours = UTCDateTime().bind_processor(dialect)
    generic = sa.DateTime().dialect_impl(dialect).bind_processor(dialect)
    assert ours is not None and generic is not None
    # Twice over and back again: the rows of a batch share one `now`, which is formatted
    # once; the next value is not answered with the last one's text.
    for value in [v for v in VALUES for _ in range(2)] + VALUES[::-1]:
        utc = value if value.tzinfo is None else value.astimezone(UTC).replace(tzinfo=None)
        assert ours(value) == generic(utc), value
    assert ours(None) is None


def test_round_trips_and_sorts_in_time_order_in_a_real_file(tmp_path: Path):
    engine = sa.create_engine(f"sqlite:///{tmp_path / 't.db'}")
    table = sa.Table("t", sa.MetaData(), sa.Column("n", sa.Integer), sa.Column("at", UTCDateTime))
    table.metadata.create_all(engine)
    with engine.begin() as conn:
        conn.execute(table.insert(), [{"n": i, "at": v} for i, v in enumerate(VALUES)])
        back = conn.execute(sa.select(table.c.n, table.c.at).order_by(table.c.at)).all()
        later = conn.execute(
            sa.select(table.c.n).where(table.c.at > datetime(2026, 11, 24, 16, 50, tzinfo=UTC))
        ).scalars()
        assert set(later) == {0, 2, 3, 5}
    expected = sorted(
        range(len(VALUES)),
        key=lambda i: VALUES[i] if VALUES[i].tzinfo else VALUES[i].replace(tzinfo=UTC),
    )
    assert [n for n, _ in back] == expected
    for n, at in back:
        v = VALUES[n] if VALUES[n].tzinfo else VALUES[n].replace(tzinfo=UTC)
        assert at == v and at.tzinfo is UTC
