"""Server-rendered SVG charts of an endpoint's last 24 hours (no JavaScript needed).

Three small pictures: attempts per hour (succeeded and failed stacked), success rate per
hour, and latency p50/p95 per hour. Each is an `<svg role="img">` with a title and a
description that say in words what the picture shows; the page puts the same numbers
in a table beside it. Series differ by line style or a text legend as well as colour.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from html import escape

from markupsafe import Markup

from hookline.services.stats import EndpointStats, HourFigures

# The attempts chart spans the card; the two line charts share a row beneath it. Each is
# drawn at about the size it is shown, so its 12-unit text reads as 12 pixels.
WIDE = 1000
NARROW = 520
HEIGHT = 200
LEFT = 60
RIGHT = 12
TOP = 14
BOTTOM = 26
FONT = 12
MIN_TOP = 5.0  # counts and milliseconds: no axis finer than whole units

SUCCEEDED = "#1e7e34"
FAILED = "#c5221f"
RATE = "#1a5fb4"
P50 = "#1a5fb4"
P95 = "#a34700"
GRID = "#d9dde3"
INK = "#3c4043"


@dataclass(frozen=True, slots=True)
class _Frame:
    """The plotting area and the mapping of (hour index, value) into it."""

    width: int
    top_value: float
    slots: int = 24

    @property
    def plot_w(self) -> float:
        return self.width - LEFT - RIGHT

    @property
    def plot_h(self) -> float:
        return HEIGHT - TOP - BOTTOM

    def x(self, index: float) -> float:
        return LEFT + (index + 0.5) * self.plot_w / self.slots

    def y(self, value: float) -> float:
        share = 0.0 if self.top_value <= 0 else value / self.top_value
        return TOP + self.plot_h * (1 - share)

    def slot_w(self) -> float:
        return self.plot_w / self.slots


def _nice_top(value: float) -> float:
    """A round axis maximum at or above `value`: 1, 2, 2.5 or 5 × 10^n, at least MIN_TOP."""
    value = max(value, MIN_TOP)
    magnitude = 1.0
    while magnitude * 10 <= value:
        magnitude *= 10
    for step in (1, 2, 2.5, 5, 10):
        if step * magnitude >= value:
            return step * magnitude
    return 10 * magnitude


def _ticks(top: float) -> list[float]:
    """Evenly spaced round values from 0 to `top` (4 steps for a top of 2 × 10^n, else 5)."""
    mantissa = top
    while mantissa >= 10:
        mantissa /= 10
    steps = 4 if mantissa == 2 else 5
    return [top * i / steps for i in range(steps + 1)]


def _number(value: float) -> str:
    return f"{value:.0f}" if value == int(value) else f"{value:.1f}"


def _svg(frame: _Frame, title: str, desc: str, body: list[str], ident: str) -> Markup:
    head = (
        f'<svg class="chart" viewBox="0 0 {frame.width} {HEIGHT}" role="img" '
        f'aria-labelledby="{ident}-title {ident}-desc" xmlns="http://www.w3.org/2000/svg">'
        f'<title id="{ident}-title">{escape(title)}</title>'
        f'<desc id="{ident}-desc">{escape(desc)}</desc>'
    )
    return Markup(head + "".join(body) + "</svg>")


def _milliseconds(value: float) -> str:
    return f"{_number(value / 1000)} s" if value >= 1000 else f"{_number(value)} ms"


def _percent(value: float) -> str:
    return f"{_number(value)} %"


def _axes(
    frame: _Frame, hours: Sequence[HourFigures], label: Callable[[float], str] = _number
) -> list[str]:
    """Horizontal grid lines with their values, and an hour label every six hours."""
    out = []
    for value in _ticks(frame.top_value):
        y = frame.y(value)
        out.append(
            f'<line x1="{LEFT}" x2="{frame.width - RIGHT}" y1="{y:.1f}" y2="{y:.1f}" '
            f'stroke="{GRID}" stroke-width="1"/>'
            f'<text x="{LEFT - 6}" y="{y + 4:.1f}" text-anchor="end" font-size="{FONT}" '
            f'fill="{INK}">{escape(label(value))}</text>'
        )
    for i, hour in enumerate(hours):
        if i % 6 == 0 or i == len(hours) - 1:
            out.append(
                f'<text x="{frame.x(i):.1f}" y="{HEIGHT - 8}" text-anchor="middle" '
                f'font-size="{FONT}" fill="{INK}">{hour.hour:%H}:00</text>'
            )
    return out


def attempts_chart(stats: EndpointStats) -> Markup:
    hours = stats.hours
    peak = max((h.figures.attempts for h in hours), default=0)
    frame = _Frame(WIDE, _nice_top(peak), len(hours))
    body = _axes(frame, hours)
    bar_w = frame.slot_w() * 0.7
    for i, h in enumerate(hours):
        f = h.figures
        if not f.attempts:
            continue
        x = frame.x(i) - bar_w / 2
        ok_top = frame.y(f.succeeded)
        all_top = frame.y(f.attempts)
        base = frame.y(0)
        label = (
            f"{h.hour:%H}:00 — {f.attempts} attempts, {f.succeeded} succeeded, {f.failed} failed"
        )
        body.append(f"<g><title>{escape(label)}</title>")
        if f.succeeded:
            body.append(
                f'<rect x="{x:.1f}" y="{ok_top:.1f}" width="{bar_w:.1f}" '
                f'height="{base - ok_top:.1f}" fill="{SUCCEEDED}"/>'
            )
        if f.failed:
            body.append(
                f'<rect x="{x:.1f}" y="{all_top:.1f}" width="{bar_w:.1f}" '
                f'height="{ok_top - all_top:.1f}" fill="{FAILED}"/>'
            )
        body.append("</g>")
    total = stats.total
    desc = (
        f"{total.attempts} attempts in the last 24 hours: {total.succeeded} succeeded and "
        f"{total.failed} failed; the busiest hour had {peak}."
    )
    return _svg(frame, "Attempts per hour, last 24 hours", desc, body, "chart-attempts")


def _polyline(points: list[tuple[float, float] | None], colour: str, dash: str = "") -> list[str]:
    """Lines through consecutive points; a None (an hour without data) breaks the line."""
    out: list[str] = []
    run: list[tuple[float, float]] = []
    dashing = f' stroke-dasharray="{dash}"' if dash else ""

    def flush() -> None:
        if len(run) > 1:
            coords = " ".join(f"{x:.1f},{y:.1f}" for x, y in run)
            out.append(
                f'<polyline points="{coords}" fill="none" stroke="{colour}" '
                f'stroke-width="2"{dashing}/>'
            )
        for x, y in run:
            out.append(f'<circle cx="{x:.1f}" cy="{y:.1f}" r="3" fill="{colour}"/>')
        run.clear()

    for point in points:
        if point is None:
            flush()
        else:
            run.append(point)
    flush()
    return out


def success_rate_chart(stats: EndpointStats) -> Markup:
    hours = stats.hours
    frame = _Frame(NARROW, 100.0, len(hours))
    body = _axes(frame, hours, _percent)
    points: list[tuple[float, float] | None] = []
    for i, h in enumerate(hours):
        rate = h.figures.success_rate
        points.append(None if rate is None else (frame.x(i), frame.y(rate * 100)))
    body += _polyline(points, RATE)
    rate = stats.total.success_rate
    desc = (
        "No attempts in the last 24 hours."
        if rate is None
        else f"{rate * 100:.1f} % of attempts succeeded over the last 24 hours."
    )
    return _svg(frame, "Success rate per hour, last 24 hours", desc, body, "chart-rate")


def latency_chart(stats: EndpointStats) -> Markup:
    hours = stats.hours
    peak = max((h.figures.p95_ms or 0 for h in hours), default=0)
    frame = _Frame(NARROW, _nice_top(peak), len(hours))
    body = _axes(frame, hours, _milliseconds)
    p50 = [
        None if h.figures.p50_ms is None else (frame.x(i), frame.y(h.figures.p50_ms))
        for i, h in enumerate(hours)
    ]
    p95 = [
        None if h.figures.p95_ms is None else (frame.x(i), frame.y(h.figures.p95_ms))
        for i, h in enumerate(hours)
    ]
    body += _polyline(p95, P95, dash="5 3")
    body += _polyline(p50, P50)
    total = stats.total
    desc = (
        "No attempts in the last 24 hours."
        if total.p50_ms is None
        else f"Over the last 24 hours the median attempt took {total.p50_ms} ms "
        f"and the 95th percentile {total.p95_ms} ms."
    )
    return _svg(frame, "Latency per hour (p50 and p95), last 24 hours", desc, body, "chart-latency")
