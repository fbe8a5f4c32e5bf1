"""How simulated times read to people: offsets, short durations, ISO instants."""

from datetime import UTC, datetime

import pytest

from simulator.core.timefmt import duration, hours_offset, iso, offset


@pytest.mark.parametrize(
    ("seconds", "shown"),
    [
        pytest.param(0.0, "+00:00:00.000", id="start"),
        pytest.param(3723.5, "+01:02:03.500", id="hours"),
        pytest.param(90_061.25, "+1d01:01:01.250", id="a-day-and-more"),
    ],
)
def test_an_offset_reads_as_hours_minutes_and_seconds(seconds: float, shown: str) -> None:
    """+HH:MM:SS.mmm since the start, with the days in front once there are any."""
    assert offset(seconds) == shown


@pytest.mark.parametrize(
    ("seconds", "shown"),
    [
        pytest.param(45.0, "45s", id="seconds"),
        pytest.param(182.0, "3m02s", id="minutes"),
        pytest.param(7500.0, "2h05m", id="hours"),
        pytest.param(604_000.0, "6d23h", id="days"),
    ],
)
def test_a_duration_reads_in_its_two_largest_units(seconds: float, shown: str) -> None:
    """45s, 3m02s, 2h05m, 6d23h: short enough for a table cell."""
    assert duration(seconds) == shown


def test_an_instant_reads_as_iso_8601_in_utc_with_milliseconds() -> None:
    """A quarter second after midnight, 1 January 2026."""
    assert iso(datetime(2026, 1, 1, tzinfo=UTC).timestamp() + 0.25) == "2026-01-01T00:00:00.250Z"


def test_log_offsets_let_hours_grow_past_99() -> None:
    """100 hours and half a second in: +100:00:00.500, never wrapped into days."""
    assert hours_offset(360_000.5) == "+100:00:00.500"
