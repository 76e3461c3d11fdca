from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, Field

from hookline.services.stats import EndpointStats, Figures


class FiguresOut(BaseModel):
    attempts: int
    succeeded: int
    failed: int
    success_rate: float | None = Field(description="Succeeded / attempts; null without attempts")
    p50_ms: int | None = Field(description="Median attempt duration in milliseconds")
    p95_ms: int | None = Field(description="95th percentile attempt duration in milliseconds")

    @classmethod
    def of(cls, f: Figures) -> FiguresOut:
        return cls(
            attempts=f.attempts,
            succeeded=f.succeeded,
            failed=f.failed,
            success_rate=None if f.success_rate is None else round(f.success_rate, 4),
            p50_ms=f.p50_ms,
            p95_ms=f.p95_ms,
        )


class HourOut(FiguresOut):
    hour: datetime = Field(description="Start of the hour (UTC)")


class StatsOut(BaseModel):
    endpoint_id: str
    since: datetime = Field(description="Start of the window (the oldest hour)")
    until: datetime = Field(description="End of the window (exclusive)")
    hours: list[HourOut] = Field(description="Every hour of the last 24, oldest first")
    total: FiguresOut = Field(description="The whole window")

    @classmethod
    def of(cls, s: EndpointStats) -> StatsOut:
        return cls(
            endpoint_id=s.endpoint_id,
            since=s.since,
            until=s.until,
            hours=[HourOut(hour=h.hour, **FiguresOut.of(h.figures).model_dump()) for h in s.hours],
            total=FiguresOut.of(s.total),
        )
