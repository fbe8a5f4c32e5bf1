"""Production: a steady rate puts event k at k / rate; bursts add events at instants."""

import pytest

from simulator.core.traffic import Burst, Production, Traffic


def test_steady_rate_counts_events_up_to_and_including_t1() -> None:
    """250 events per second produce exactly 500 events in the first 2 seconds."""
    (line,) = Traffic(rate=250).between(None, 2.0)
    assert line == Production(500, 0.0, 1, 1 / 250)


def test_windows_do_not_overlap() -> None:
    """(0, 2] and (2, 4] together hold every event once."""
    traffic = Traffic(rate=3)
    first = traffic.between(None, 2.0)
    second = traffic.between(2.0, 4.0)
    assert [(p.count, p.k0) for p in first + second] == [(6, 1), (6, 7)]


def test_no_rate_produces_nothing() -> None:
    """A subscription with rate 0 and no bursts never produces."""
    assert Traffic().between(None, 1e9) == []
    assert Traffic().next_event_after(0.0) is None


def test_a_burst_splits_the_steady_line_in_time_order() -> None:
    """Steady events before the burst come first, then the burst, then the rest."""
    traffic = Traffic(rate=1, bursts=(Burst(count=100, at=2.5),))
    lines = traffic.between(None, 4.0)
    assert [(p.count, p.origin, p.k0) for p in lines] == [(2, 0.0, 1), (100, 2.5, 0), (2, 0.0, 3)]


def test_a_burst_at_zero_is_produced_in_the_first_window() -> None:
    """The first window starts before t=0, so a burst at 0 is included."""
    lines = Traffic(bursts=(Burst(count=5, at=0.0),)).between(None, 0.0)
    assert [p.count for p in lines] == [5]


@pytest.mark.parametrize(
    ("t0", "t1", "expected"),
    [
        pytest.param(None, 25.0, [0.0, 10.0, 20.0], id="from-start"),
        pytest.param(10.0, 30.0, [20.0, 30.0], id="exclusive-start-inclusive-end"),
    ],
)
def test_repeating_bursts(t0: float | None, t1: float, expected: list[float]) -> None:
    """A burst with `every` repeats from `start`."""
    traffic = Traffic(bursts=(Burst(count=1, every=10.0),))
    assert [p.origin for p in traffic.between(t0, t1)] == expected


def test_next_event_after_takes_the_earliest_source() -> None:
    """The next event is the sooner of the next steady event and the next burst."""
    traffic = Traffic(rate=0.1, bursts=(Burst(count=1, at=4.0),))
    assert traffic.next_event_after(0.0) == 4.0
    assert traffic.next_event_after(4.0) == 10.0


def test_a_rate_change_starts_a_new_line_at_its_time() -> None:
    """1/s until 10 s, then 5/s: 10 events, then events at 10.2, 10.4, ..."""
    traffic = Traffic(rate=1, changes=((10.0, 5.0),))
    lines = traffic.between(None, 11.0)
    assert [(p.count, p.origin, p.k0, p.spacing) for p in lines] == [
        (10, 0.0, 1, 1.0),
        (5, 10.0, 1, 0.2),
    ]


def test_a_rate_change_to_zero_stops_production() -> None:
    """After a change to 0 nothing is produced, and the next event is never."""
    traffic = Traffic(rate=2, changes=((5.0, 0.0),))
    assert sum(p.count for p in traffic.between(None, 100.0)) == 10
    assert traffic.next_event_after(5.0) is None


def test_next_event_after_crosses_into_the_next_rate() -> None:
    """Silent until 60 s, then 1/s: the next event after 0 is at 61 s."""
    traffic = Traffic(rate=0, changes=((60.0, 1.0),))
    assert traffic.next_event_after(0.0) == 61.0
