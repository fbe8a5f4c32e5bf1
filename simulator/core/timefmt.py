"""How simulated times read to people: offsets since the start, short durations, ISO instants."""

from __future__ import annotations

from datetime import UTC, datetime


def offset(t: float) -> str:
    """Simulated seconds since the start as +HH:MM:SS.mmm (days when needed)."""
    days, rest = divmod(t, 86_400)
    hours, rest = divmod(rest, 3600)
    minutes, seconds = divmod(rest, 60)
    text = f"+{int(hours):02d}:{int(minutes):02d}:{seconds:06.3f}"
    return f"+{int(days)}d{text[1:]}" if days else text


def duration(seconds: float) -> str:
    """A short human duration: 45s, 3m02s, 2h05m, 6d23h."""
    s = round(seconds)
    if s < 60:
        return f"{s}s"
    if s < 3600:
        return f"{s // 60}m{s % 60:02d}s"
    if s < 86_400:
        return f"{s // 3600}h{s % 3600 // 60:02d}m"
    return f"{s // 86_400}d{s % 86_400 // 3600:02d}h"


def iso(wall: float) -> str:
    return (
        datetime.fromtimestamp(wall, UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
    )


def hours_offset(seconds: float) -> str:
    """Endpoint and publisher log time as `+HH:MM:SS.mmm` (hours grow past 99 rather than wrap)."""
    millis = round(seconds * 1000)
    hours, rest = divmod(millis, 3_600_000)
    minutes, rest = divmod(rest, 60_000)
    return f"+{hours:02d}:{minutes:02d}:{rest // 1000:02d}.{rest % 1000:03d}"
