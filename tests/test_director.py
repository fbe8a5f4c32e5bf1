"""The director plays a timeline's steps at their simulated times, each through its one handler;
burst and rate steps are traffic, planned before the run. Played on the virtual clock against
the embedded dev endpoint."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

from simulator.core.delivery import Ledger
from simulator.core.records import AttemptRecord, StateChange
from simulator.core.traffic import Burst
from simulator.producer import Producer, TrafficStep, traffic_step
from simulator.reports.console import Recorder
from simulator.runfile.scenario import parse_run
from simulator.runfile.steps import BurstStep, RateStep, StepSpec
from simulator.shell.clock import run_virtual
from simulator.timeline.director import HANDLERS, Director
from simulator.timeline.replay import replay

RUN = """\
munchkinId: 123-ABC-456
subscriptions:
  - name: leads
    rate: {rate}
    delivery: {{phase: aligned}}   # slots at 0, 2, 4 s: the times below are exact
timeline:
{steps}
"""


@dataclass(frozen=True, slots=True)
class Played:
    """What a test reads of a replay: its steps and ledgers, and every record (a recording keeps
    aggregates only, so a `Recorder` observer keeps the records)."""

    steps: list[tuple[float, str]]
    ledgers: dict[str, Ledger]
    attempts: list[AttemptRecord]
    changes: list[StateChange]


def played(steps: str, *, rate: float = 10, until: float) -> Played:
    """The run of one subscription with `steps` as its timeline, replayed until `until`."""
    run = parse_run(RUN.format(rate=rate, steps=steps))
    recorder = Recorder()
    recording = run_virtual(replay(run, duration=until, observers=[recorder]))
    return Played(recording.steps, recording.ledgers, recorder.attempts, recorder.changes)


def test_every_action_has_one_handler() -> None:
    """Each action of the step schema has its handler in the table: traffic steps too, which a
    file folds into the traffic but a step given while the run goes needs applied."""
    actions = set(StepSpec.model_fields) - {"at", "after", "note"}
    assert set(HANDLERS) == actions


def test_burst_and_rate_steps_are_traffic() -> None:
    """A burst step adds a burst at its time; a rate step changes the rate from its time."""
    burst = StepSpec(at=3.0, burst=BurstStep(subscription="leads", count=100))
    rate = StepSpec(at=8.0, rate=RateStep(subscription="leads", rate=2.5))
    assert traffic_step(3.0, burst) == TrafficStep("leads", burst=Burst(count=100, at=3.0))
    assert traffic_step(8.0, rate) == TrafficStep("leads", rate_change=(8.0, 2.5))
    assert traffic_step(8.0, StepSpec(at=8.0, deprovision="leads")) is None


def test_a_burst_step_is_said_at_its_time_and_leaves_with_the_next_push() -> None:
    """100 events at 3 s, no other traffic: one push of 100 at 4 s."""
    recording = played("  - {at: 3s, burst: {subscription: leads, count: 100}}", rate=0, until=10)
    assert recording.steps == [(3.0, "burst: subscription=leads, count=100")]
    assert [(a.at, a.events) for a in recording.attempts] == [(4.0, 100)]


def test_deprovision_and_reprovision_change_the_state_at_their_times() -> None:
    """Deprovisioned at 5 s (the 10 events queued since 4 s are discarded), back at 9 s."""
    recording = played(
        "  - {at: 5s, deprovision: leads}\n  - {at: 9s, reprovision: leads}", until=12
    )
    assert [(c.at, c.old, c.new, c.reason) for c in recording.changes] == [
        (5.0, "active", "deprovisioned", "deprovisioned by the scenario"),
        (9.0, "deprovisioned", "active", "reprovisioned by the scenario"),
    ]
    assert [a.at for a in recording.attempts] == [2.0, 4.0, 10.0]
    assert recording.ledgers["leads"].discarded == 10


def test_an_endpoint_step_changes_the_embedded_endpoint_until_normal() -> None:
    """503 from 5 s to 7 s: the push at 6 s fails, its retry at 186 s lands."""
    recording = played(
        "  - {at: 5s, endpoint: {status: 503}}\n  - {at: 7s, endpoint: normal}", until=187
    )
    assert [(a.at, a.kind, a.status) for a in recording.attempts[:4]] == [
        (2.0, "push", 200),
        (4.0, "push", 200),
        (6.0, "push", 503),
        (186.0, "retry", 200),
    ]


def test_an_anomaly_step_is_forced_on_the_lane_at_once() -> None:
    """A duplicate at 5 s: the batch acknowledged at 4 s goes again at 5 s, between slots."""
    steps = "  - {at: 5s, anomaly: {subscription: leads, kind: duplicate}}"
    recording = played(steps, until=7)
    assert [(a.at, a.kind, a.events) for a in recording.attempts] == [
        (2.0, "push", 20),
        (4.0, "push", 20),
        (5.0, "duplicate", 20),
        (6.0, "push", 20),
    ]


def test_a_step_that_cannot_apply_is_said_with_why() -> None:
    """Rotating keys with no Adobe I/O subscription does nothing, and the log says so."""
    recording = played("  - {at: 5s, rotateKeys: true}", until=6)
    assert recording.steps == [
        (5.0, "rotateKeys: True (skipped: no adobe-io subscription signs anything)")
    ]


def test_reached_returns_once_the_steps_due_by_then_are_played() -> None:
    """reached(5) waits for the deprovision at 5 s: it returns at 5 s, with the step said."""
    producer = Producer(parse_run(RUN.format(rate=10, steps="  - {at: 5s, deprovision: leads}")))
    said: list[tuple[float, str]] = []
    seen: list[tuple[float, int, str]] = []
    tasks: list[asyncio.Task[None]] = []

    async def watch(director: Director) -> None:
        await director.reached(5.0)
        assert producer.engine is not None
        seen.append(
            (producer.engine.clock.now(), len(said), producer.engine.machines()["leads"].state)
        )

    def start(p: Producer) -> None:
        assert p.engine is not None
        director = Director(p, say=lambda t, text: said.append((t, text)))
        tasks.append(asyncio.create_task(director.play(p.engine.clock)))
        tasks.append(asyncio.create_task(watch(director)))

    async def main() -> None:
        await producer.play(8.0, on_start=start)
        await asyncio.gather(*tasks)

    run_virtual(main())
    assert seen == [(5.0, 1, "deprovisioned")]
