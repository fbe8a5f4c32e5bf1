"""The sustained-rate check's pacing: phases of subscriptions pushing on a period, played on the
virtual clock against a fake consumer that answers after a set latency."""

from __future__ import annotations

import pytest
from fake_consumer import Answer, FakeConsumer, probe_of
from loopback import virtual

from simulator.contract.probe import ADOBE_IO, LEGACY, Probe, RatePlan, Target
from simulator.contract.rate import Phase, percentile, play
from simulator.core.outcome import Outcome, OutcomeKind


def probe(consumer: FakeConsumer, *, profile: str = LEGACY, events: int = 500) -> Probe:
    """A probe of every activity type, pushing `events` a tick through the fake consumer."""
    target = Target(endpoint="http://127.0.0.1:9/hook", profile=profile)
    return probe_of(consumer, target, rate=RatePlan(events=events))


def fail_from(first: int) -> Answer:
    """200 until request `first`, 500 from it on."""
    return lambda number, post: 500 if number >= first else 200


@pytest.mark.parametrize(
    ("q", "value"),
    [
        pytest.param(0, 1.0, id="p0"),
        pytest.param(50, 5.0, id="p50"),
        pytest.param(90, 9.0, id="p90"),
        pytest.param(99, 10.0, id="p99"),
    ],
)
def test_percentiles_are_nearest_rank(q: float, value: float) -> None:
    """The value at rank ceil(q% of n), whatever order the values came in."""
    assert percentile([3.0, 1.0, 2.0, 10.0, 9.0, 8.0, 7.0, 4.0, 5.0, 6.0], q) == value


def test_a_phase_compares_what_it_achieved_with_the_producers_rate() -> None:
    """Two subscriptions of 500 events every 2 s: 500 events/s asked; acknowledging them all in
    the planned 6 s keeps up, and the description says how it went."""
    phase = Phase(2, 3, 2.0, 500, [Outcome(OutcomeKind.SUCCESS, 200, 0.1)] * 6, 3000, 4.1)
    assert (phase.target, phase.rate, phase.p99, phase.kept_up) == (500.0, 500.0, 0.1, True)
    assert phase.describe(20.0) == (
        "2 subscriptions x 3 pushes of 500 events: 6 requests, 500 of 500 events/s, "
        "latency p50 0.100s, p99 0.100s of the 20s limit"
    )


def test_a_phase_below_95_percent_of_the_rate_fell_behind() -> None:
    """Acknowledged events over the longer of the span and the plan: 94% is behind, 95% keeps
    up, and a failure never does."""
    assert not Phase(1, 1, 2.0, 500, events=470, span=2.0).kept_up
    assert Phase(1, 1, 2.0, 500, events=475, span=2.0).kept_up
    assert not Phase(1, 1, 2.0, 500, events=500, span=2.0, failure="x").kept_up


@virtual
async def test_each_subscription_pushes_a_batch_every_period() -> None:
    """Two legacy subscriptions, three ticks: a 500-event batch each at 0, 2 and 4 s."""
    consumer = FakeConsumer()
    phase = await play(probe(consumer), 2, 3)
    assert [post.at for post in consumer.posts] == [0.0, 0.0, 2.0, 2.0, 4.0, 4.0]
    assert {len(post.events) for post in consumer.posts} == {500}
    assert (phase.events, phase.failure, phase.kept_up) == (3000, "", True)
    assert phase.span == pytest.approx(4.1)


@virtual
async def test_a_slow_answer_delays_the_next_push_and_the_phase_falls_behind() -> None:
    """One push in flight per legacy subscription: 3 s answers push at 0, 3 and 6 s, so 1500
    events take 9 s instead of 6."""
    consumer = FakeConsumer(latency=3.0)
    phase = await play(probe(consumer), 1, 3)
    assert [post.at for post in consumer.posts] == [0.0, 3.0, 6.0]
    assert phase.rate == pytest.approx(1500 / 9)
    assert not phase.kept_up


@virtual
async def test_the_first_failure_stops_every_subscription() -> None:
    """The third request fails: it is described, and no push starts after it."""
    consumer = FakeConsumer(answer=fail_from(3))
    phase = await play(probe(consumer), 1, 5)
    assert len(consumer.posts) == 3
    assert phase.failure == "subscription 1, push at +4.0s: HTTP 500 after 0.100s"
    assert phase.events == 1000


@virtual
async def test_an_io_subscription_splits_a_tick_into_full_deliveries() -> None:
    """50 events a tick go as deliveries of 20, 20 and 10 events, all at the tick."""
    consumer = FakeConsumer()
    phase = await play(probe(consumer, profile=ADOBE_IO, events=50), 1, 1)
    assert [(post.at, len(post.events)) for post in consumer.posts] == [
        (0.0, 20),
        (0.0, 20),
        (0.0, 10),
    ]
    assert phase.events == 50
