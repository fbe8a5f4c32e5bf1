"""Traffic changed while a run goes (a burst or a rate given through the control API) drives the
pure machines as the same change planned in advance does: `inject` and `change_rate` at time t
give the pushes that a `Traffic` holding that burst or rate change from the start gives."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from simulator.core.delivery import Policy, Subscription
from simulator.core.outcome import Outcome, OutcomeKind
from simulator.core.records import Machine
from simulator.core.registration import IoPolicy, Registration
from simulator.core.traffic import Burst, Traffic

AT = 3.3  # when the change comes: off the 2 s push slots and the 1 s flushes
UNTIL = 30.0
Change = Callable[[Machine, float], None]
Push = tuple[float, int]  # when, how many events


def legacy_pushes(traffic: Traffic, change: Change | None = None) -> list[Push]:
    """Every push of a legacy subscription, all acknowledged at once, until UNTIL; `change` is
    applied at AT, when the machine is asleep, as the director applies a live step."""
    machine = Subscription("leads", Policy(), traffic)
    pushes: list[Push] = []
    pending = change
    for _ in range(1_000):  # bounded: 30 s of 2 s slots is 15 pushes
        wake = machine.wakeup()
        if pending is not None and (wake is None or wake > AT):
            pending(machine, AT)
            pending = None
            continue
        if wake is None or wake > UNTIL:
            return pushes
        push = machine.poll(wake)
        if push is not None:
            pushes.append((wake, push.batch.count))
            machine.record(push, ok=True, now=wake)
    raise AssertionError("more wake-ups than slots")


def io_pushes(traffic: Traffic, change: Change | None = None) -> list[Push]:
    """The same for an Adobe I/O registration (verified, every delivery answered 200)."""
    machine = Registration("io", IoPolicy(), traffic)
    machine.verified(0.0)
    pushes: list[Push] = []
    pending = change
    for _ in range(1_000):
        wake = machine.wakeup()
        if pending is not None and (wake is None or wake > AT):
            pending(machine, AT)
            pending = None
            continue
        if wake is None or wake > UNTIL:
            return pushes
        for delivery in machine.poll(wake):
            pushes.append((wake, delivery.batch.count))
            machine.record(delivery, Outcome(OutcomeKind.SUCCESS, 200), wake)
    raise AssertionError("more wake-ups than flushes")


def burst(machine: Machine, now: float) -> None:
    machine.inject(50, now)


def rate(value: float) -> Change:
    return lambda machine, now: machine.change_rate(value, now)


CASES = [
    pytest.param(0.0, burst, Traffic(0.0, (Burst(count=50, at=AT),)), id="burst-when-idle"),
    # A sparse rate: the machine sleeps until the next event (10 s); the burst comes first.
    pytest.param(0.1, burst, Traffic(0.1, (Burst(count=50, at=AT),)), id="burst-before-the-next"),
    pytest.param(3.0, burst, Traffic(3.0, (Burst(count=50, at=AT),)), id="burst-amid-traffic"),
    pytest.param(0.0, rate(5.0), Traffic(0.0, (), ((AT, 5.0),)), id="rate-from-idle"),
    pytest.param(0.1, rate(5.0), Traffic(0.1, (), ((AT, 5.0),)), id="rate-up-from-sparse"),
    pytest.param(5.0, rate(0.0), Traffic(5.0, (), ((AT, 0.0),)), id="rate-down-to-none"),
    pytest.param(5.0, rate(0.2), Traffic(5.0, (), ((AT, 0.2),)), id="rate-down-to-sparse"),
]


@pytest.mark.parametrize(("base", "change", "planned"), CASES)
def test_a_legacy_subscription_pushes_a_live_change_as_a_planned_one(
    base: float, change: Change, planned: Traffic
) -> None:
    """The pushes (time, events) with the change applied at AT equal those with it planned."""
    live = legacy_pushes(Traffic(base), change)
    assert live == legacy_pushes(planned)
    assert live  # something was pushed: the comparison says something


@pytest.mark.parametrize(("base", "change", "planned"), CASES)
def test_an_io_registration_delivers_a_live_change_as_a_planned_one(
    base: float, change: Change, planned: Traffic
) -> None:
    """The deliveries (time, events) with the change applied at AT equal those planned."""
    live = io_pushes(Traffic(base), change)
    assert live == io_pushes(planned)
    assert live
