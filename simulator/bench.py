"""`make bench`: speed and memory, measured side by side in one run and printed as ratios.

* delivery rate: the engine draining a backlog to the dev endpoint over loopback, next to the raw
  aiohttp rate for the same bodies posted back-to-back by a bare loop (same session settings,
  same endpoint, same concurrency of one push in flight per subscription);
* memory held per queued event during a 7-day outage at 250 events per second (about 150 million
  events), for a steady rate and for a bursty worst case;
* generation cost per event, which must stay small next to the transport.
"""

from __future__ import annotations

import argparse
import functools
import gc
import time
import tracemalloc
from collections.abc import Callable
from pathlib import Path

import aiohttp

from simulator.core.delivery import DAY, Policy, Subscription
from simulator.core.recording import Recording
from simulator.core.timefmt import offset
from simulator.core.traffic import Burst, Traffic
from simulator.endpoint.receiver import Receiver
from simulator.payloads.events import ActivityStream
from simulator.payloads.formats import CONTENT_TYPE, legacy_batch
from simulator.payloads.world import World
from simulator.runfile.scenario import load_run
from simulator.shell import clock
from simulator.shell.engine import Engine, LegacyLane
from simulator.shell.transport import HttpTransport
from simulator.timeline.replay import replay

MUNCHKIN = "123-ABC-456"
EPOCH = clock.VIRTUAL_EPOCH.timestamp()


def _stream(world: World, name: str) -> ActivityStream:
    from simulator.payloads.catalog import ACTIVITY_TYPES

    return ActivityStream(world, ACTIVITY_TYPES, seed=1, stream=name)


def _bodies(stream: ActivityStream, batches: int, size: int) -> list[bytes]:
    return [
        legacy_batch(
            munchkin_id=MUNCHKIN,
            message_id=str(b),
            created_at=EPOCH,
            activities=stream.activities((b * size + i, EPOCH + b) for i in range(size)),
        )
        for b in range(batches)
    ]


async def _raw_rate(url: str, bodies: list[bytes], size: int) -> float:
    """Events per second for pre-encoded bodies posted one after another."""
    headers = {"Content-Type": CONTENT_TYPE}
    async with aiohttp.ClientSession() as session:
        elapsed = clock.stopwatch()
        for body in bodies:
            async with session.post(
                url, data=body, headers=headers, allow_redirects=False
            ) as response:
                await response.read()
                assert response.status == 200
        return len(bodies) * size / elapsed()


async def _engine_rate(url: str, stream: ActivityStream, events: int, size: int) -> float:
    """Events per second for the engine draining a backlog of `events` (materialised and encoded
    as it goes, exactly as in a run)."""
    machine = Subscription(
        "bench", Policy(batch_size=size), Traffic(bursts=(Burst(count=events, at=0.0),))
    )
    async with HttpTransport() as transport:
        engine = Engine(
            [LegacyLane(machine, stream, url, timeout=20.0)],
            munchkin_id=MUNCHKIN,
            clock=clock.LoopClock(start=clock.VIRTUAL_EPOCH),
            transport=transport,
        )
        started = time.perf_counter()
        await engine.run(until=None)
        elapsed = time.perf_counter() - started
    ledger = machine.ledger()
    if ledger.acknowledged != events or not ledger.balanced:
        raise RuntimeError(f"the bench run lost events: {ledger}")
    return events / elapsed


async def delivery_rates(batches: int, size: int, rounds: int) -> tuple[float, float]:
    world = World.build(1)
    stream = _stream(world, "bench")
    bodies = _bodies(stream, batches, size)
    receiver = Receiver(dedupe=False)
    url = await receiver.start()
    raw: list[float] = []
    ours: list[float] = []
    try:
        for _ in range(rounds):  # interleaved, so both see the same machine conditions
            raw.append(await _raw_rate(url, bodies, size))
            ours.append(await _engine_rate(url, _stream(world, "bench"), batches * size, size))
    finally:
        await receiver.stop()
    return max(raw), max(ours)


def generation_cost(events: int = 50_000, size: int = 500) -> float:
    """Microseconds to materialise and encode one event."""
    stream = _stream(World.build(1), "gen")
    started = time.perf_counter()
    _bodies(stream, events // size, size)
    return (time.perf_counter() - started) / events * 1e6


def _held_bytes(build: Callable[[], object]) -> tuple[int, object]:
    gc.collect()
    tracemalloc.start()
    before = tracemalloc.get_traced_memory()[0]
    kept = build()
    gc.collect()
    after = tracemalloc.get_traced_memory()[0]
    tracemalloc.stop()
    return after - before, kept


def _outage(traffic: Traffic, days: float = 7.0) -> Subscription:
    """A subscription whose endpoint is down for `days`: probes every 3 minutes, all failing."""
    machine = Subscription("outage", traffic=traffic)
    t = 0.0
    while t < days * DAY:
        push = machine.poll(t)
        if push is not None:
            machine.record(push, ok=False, now=t)
        t = machine.wakeup() or t + 180.0
    return machine


def backlog_memory() -> list[tuple[str, int, int]]:
    cases = {
        "steady 250/s": Traffic(rate=250),
        "bursty: 500 every 2 s": Traffic(bursts=(Burst(count=500, every=2.0),)),
    }
    rows = []
    for label, traffic in cases.items():
        held, machine = _held_bytes(functools.partial(_outage, traffic))
        assert isinstance(machine, Subscription)
        ledger = machine.ledger()
        rows.append((label, ledger.queued + ledger.in_flight, held))
    return rows


RETENTION_SCENARIO = Path(__file__).resolve().parent.parent / "scenarios" / "retention-7d.yaml"


def week_long_outage(path: Path = RETENTION_SCENARIO) -> tuple[float, Recording]:
    """Real seconds to replay the 7-day retention scenario on the virtual clock."""
    run = load_run(path)
    elapsed = clock.stopwatch()
    recording = clock.run_virtual(replay(run))
    return elapsed(), recording


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m simulator.bench")
    parser.add_argument("--batches", type=int, default=120, help="batches per round")
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args(argv)

    size = 500
    raw, ours = clock.run(delivery_rates(args.batches, size, args.rounds))
    print(f"delivery over loopback, {args.batches} batches of {size}, best of {args.rounds}:")
    print(f"  raw aiohttp, pre-encoded bodies   {raw:>12,.0f} events/s")
    print(f"  engine (generate, encode, push)   {ours:>12,.0f} events/s")
    print(f"  ratio engine / raw                {ours / raw:>12.2f}   (target >= 0.25)")
    print(f"generation + encoding               {generation_cost():>12.2f} us/event")

    if RETENTION_SCENARIO.exists():
        seconds, recording = week_long_outage()
        ledger = next(iter(recording.ledgers.values()))
        verdict = "all checks pass" if recording.passed else "CHECKS FAIL"
        balance = "balanced" if ledger.balanced else "UNBALANCED"
        print(f"7-day retention scenario ({RETENTION_SCENARIO.name}), virtual clock:")
        print(f"  {offset(recording.ended_at)} simulated in {seconds:.2f} s real   (target < 10 s)")
        print(
            f"  produced {ledger.produced:,}, acknowledged {ledger.acknowledged:,}, "
            f"expired {ledger.expired:,}; ledger {balance}; {verdict}"
        )
    print("backlog memory, 7-day outage (probes every 3 min):")
    for label, queued, held in backlog_memory():
        print(
            f"  {label:<24} {queued:>13,} events queued  {held / 1024:>9,.1f} KiB  "
            f"{held / max(queued, 1):.6f} bytes/event"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
