"""Replays a scenario: the run file's producer, with a director playing the timeline and a sampler
drawing the picture, then the verdicts. Returns a `Recording`; printing and files are the CLI's.

What it keeps grows with the subscriptions, never the attempts: records are folded into `Tracks`
as they come (the verdicts' aggregates and the report's attempt buckets, spanning the planned
run), and each subscription's samples go into a bounded `SampleSeries`.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

from simulator.core.recording import Recording, Sample, Verdict
from simulator.core.records import Machine, Observer
from simulator.core.series import SampleSeries
from simulator.core.tracks import DEFAULT_HORIZON, Tracks
from simulator.producer import EMBEDDED, Producer, RunResult
from simulator.runfile.scenario import RunSpec
from simulator.shell import signals
from simulator.shell.clock import VIRTUAL_EPOCH
from simulator.timeline.director import Director, StepListener
from simulator.timeline.faulting import start_proxies, stop_proxies
from simulator.timeline.gate import cut_short, default_verdicts
from simulator.timeline.verdicts import Facts, judge_slice, watched

if TYPE_CHECKING:
    from simulator.endpoint.proxy import FaultProxy

SAMPLES = 600  # points per subscription in the report


def against(run: RunSpec, endpoint: str) -> RunSpec:
    """The same scenario pushed to a real consumer at `endpoint` instead of the embedded one."""
    subscriptions = tuple(s.model_copy(update={"endpoint": endpoint}) for s in run.subscriptions)
    copy = run.model_copy(update={"subscriptions": subscriptions})
    copy._file = run.file
    return copy


async def replay(
    run: RunSpec,
    *,
    virtual: bool = True,
    duration: float | None = None,
    observers: Sequence[Observer] = (),
    say: Callable[[float, str], None] = lambda t, text: None,
    on_start: Callable[[Producer], None] | None = None,
    default_gate: bool = False,
    receiver_log: Callable[[str], None] | None = None,
    sampled: bool = True,
    on_director: Callable[[Director], None] = lambda director: None,
    on_step: StepListener | None = None,
    steerable: bool = False,
) -> Recording:
    """Play `run` and judge it: its `expect:` block, or with `default_gate` and no block the
    default threshold (`gate`). Without `sampled` no samples are taken for the report's picture
    (`run` draws none; its thousand subscriptions' push slots keep the loop to themselves).
    Interrupted (its task cancelled), it ends with what it has and the
    checks left undecided are errors. `on_director` is given the director once the producer has
    started (a control API applies steps through it); `on_step` is told of each step applied.
    `steerable`: endpoint steps may come while the run goes, so a real consumer gets its fault
    proxy even when the file has nothing for one to do."""
    end = duration if duration is not None else run.duration
    here = {spec.name for spec in run.subscriptions}
    own = [e for e in run.expect if e.subscription is None or e.subscription in here]
    tracks = Tracks(end or DEFAULT_HORIZON, probes=watched(own))
    proxies: list[FaultProxy] = []
    if not virtual:  # faults against a real consumer: a fault proxy in front of it
        run, proxies = await start_proxies(run, steerable=steerable)
    # No verdict reads the bodies, so the embedded endpoint keeps none (it still counts them).
    producer = Producer(
        run, virtual=virtual, observers=[tracks, *observers], receiver_log=receiver_log
    )
    tasks: list[asyncio.Task[None]] = []
    initial: dict[str, str] = {}
    samples: dict[str, SampleSeries] = {}
    steps: list[tuple[float, str]] = []
    backfilled: list[dict[str, int]] = []

    def started(p: Producer) -> None:
        assert p.engine is not None
        machines = p.engine.machines()
        initial.update({name: str(m.state) for name, m in machines.items()})

        def said(t: float, text: str) -> None:
            steps.append((t, text))
            say(t, text)

        director = Director(p, say=said, proxies=proxies, on_step=on_step)
        backfilled.append(director.backfilled)
        on_director(director)
        tasks.append(asyncio.create_task(director.play(p.engine.clock)))
        every = max(1.0, (end or DEFAULT_HORIZON) / SAMPLES)
        if sampled:
            tasks.append(asyncio.create_task(_sample(p, machines, samples, every, end)))
        if on_start is not None:
            on_start(p)

    try:
        result = await producer.play(end, on_start=started)
    finally:
        for task in tasks:
            task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await asyncio.gather(*tasks, return_exceptions=True)
        await stop_proxies(proxies)
    counts = backfilled[0] if backfilled else {}
    if producer.engine is None:  # interrupted while starting: no push, nothing to judge
        return _never_started(run, result)
    recording = _recording(run, producer, result, tracks, initial, samples, steps, counts)
    if default_gate and not run.expect:
        recording.verdicts = default_verdicts(result.ledgers)
    if result.interrupted:
        recording.interrupted = signals.name() or "cancelled"
        why = f"interrupted by {recording.interrupted}"
        recording.verdicts = cut_short(recording.verdicts, result.ended_at, why)
    return recording


def _never_started(run: RunSpec, result: RunResult) -> Recording:
    """The recording of a run interrupted before its first push: one check in error."""
    why = signals.name() or "cancelled"
    verdict = Verdict(
        "the run", False, "a run", f"not started: interrupted by {why}", unfinished=True
    )
    start = (run.start or VIRTUAL_EPOCH).timestamp()
    return Recording(
        title=run.file,
        munchkin_id=run.munchkin_id,
        seed=run.seed,
        start_wall=start,
        ended_at=result.ended_at,
        subscriptions=[],
        verdicts=[verdict],
        interrupted=why,
    )


async def _sample(
    producer: Producer,
    machines: dict[str, Machine],
    samples: dict[str, SampleSeries],
    every: float,
    end: float | None,
) -> None:
    """Every `every` simulated seconds until the run's `end` (None: until cancelled), each
    machine's picture. Not past the end: a sample brings production up to its time, and the
    end may wait for a journal read still going (`Director.finish_reads`)."""
    assert producer.engine is not None
    clock = producer.engine.clock
    t = 0.0
    while True:
        for name, machine in machines.items():
            samples.setdefault(name, SampleSeries()).add(_sample_of(machine, clock.now()))
        t += every
        if end is not None and t > end:
            return
        await clock.sleep_until(t)


def _sample_of(machine: Machine, now: float) -> Sample:
    # Production is pulled in lazily at each poll; bring it up to now so the picture is smooth.
    # Time passing is path-independent in the machines, so this changes no decision.
    machine.advance(now)
    ledger = machine.ledger()
    oldest = machine.oldest_event_time()
    age = None if oldest is None else max(0.0, now - oldest)
    return Sample(now, str(machine.state), ledger.queued + ledger.in_flight, age)


def _recording(
    run: RunSpec,
    producer: Producer,
    result: RunResult,
    tracks: Tracks,
    initial: dict[str, str],
    samples: dict[str, SampleSeries],
    steps: list[tuple[float, str]],
    backfilled: dict[str, int],
) -> Recording:
    engine = producer.engine
    assert engine is not None
    endpoint = _endpoint_counts(producer)
    facts = Facts(
        ended_at=result.ended_at,
        initial_states=initial,
        final_states={name: str(m.state) for name, m in result.machines.items()},
        ledgers=result.ledgers,
        tracks=tracks,
        endpoint=endpoint,
        backfilled=backfilled,
    )
    return Recording(
        title=run.file,
        munchkin_id=run.munchkin_id,
        seed=run.seed,
        start_wall=engine.clock.wall(0.0),
        ended_at=result.ended_at,
        subscriptions=list(result.machines),
        samples=samples,
        tracks=tracks,
        steps=steps,
        ledgers=result.ledgers,
        verdicts=judge_slice(
            run.expect, facts, {s.name for s in run.subscriptions}, sliced=run.sliced
        ),
        endpoint=endpoint,
    )


def _endpoint_counts(producer: Producer) -> dict[str, int] | None:
    receiver = producer.receiver
    if receiver is None or all(s.endpoint != EMBEDDED for s in producer.run.subscriptions):
        return None
    stats = receiver.stats
    return {
        "batches": stats.batches,
        "events": stats.events,
        "duplicates": stats.duplicates,
        "unauthorized": stats.unauthorized,
        "signatures_invalid": stats.signatures_invalid,
        "signatures_valid": stats.signatures_valid,
    }
