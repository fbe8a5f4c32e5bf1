"""Memory of the delivery core through a week-long outage, the 7-day retention scenario's replay
time, and the HTML report's render time and size for a large recording.

* Backlog memory: the pure delivery machine alone, driven through a 7-day outage at 250 events
  per second (a failing probe every 3 minutes), with tracemalloc counting what it holds at the
  end. The queue stores spans of sequence numbers, so a steady backlog costs a few hundred bytes
  whatever its length; bursts leave one span per burst.
* Retention: `scenarios/retention-7d.yaml` replayed in this process on the virtual clock.
* Report: `render_html` of a recording the size of a busy week (100,000 attempts and 10,000
  samples for each of two subscriptions), built by hand as the report tests build theirs
  (tests/recordings.py: when `Recording` changes shape, change both).
"""

from __future__ import annotations

import functools
import gc
import time
import tracemalloc
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from simulator.core.delivery import DAY, Ledger, Subscription
from simulator.core.outcome import OutcomeKind
from simulator.core.recording import Recording, Sample
from simulator.core.records import AttemptRecord
from simulator.core.tracks import Tracks
from simulator.core.traffic import Burst, Traffic
from simulator.reports.html import render_html
from simulator.runfile.scenario import load_run
from simulator.shell import clock
from simulator.timeline.replay import replay

SCENARIOS = Path(__file__).resolve().parent.parent.parent / "scenarios"
RETENTION = SCENARIOS / "retention-7d.yaml"


# -- backlog memory -------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Backlog:
    label: str
    queued: int  # events queued (and in flight) at the end of the outage
    held: int  # bytes the machine holds for them


def _held_bytes(build: Callable[[], Subscription]) -> tuple[int, Subscription]:
    gc.collect()
    tracemalloc.start()
    before = tracemalloc.get_traced_memory()[0]
    kept = build()
    gc.collect()
    after = tracemalloc.get_traced_memory()[0]
    tracemalloc.stop()
    return after - before, kept


def _outage(traffic: Traffic, days: float = 7.0) -> Subscription:
    """A subscription whose endpoint is down for `days`: every attempt fails."""
    machine = Subscription("outage", traffic=traffic)
    t = 0.0
    while t < days * DAY:
        push = machine.poll(t)
        if push is not None:
            machine.record(push, ok=False, now=t)
        t = machine.wakeup() or t + 180.0
    return machine


def backlog_memory() -> list[Backlog]:
    """What a 7-day outage's queue holds, for a steady rate and for a bursty worst case."""
    cases = {
        "steady 250/s": Traffic(rate=250),
        "bursty: 500 every 2 s": Traffic(bursts=(Burst(count=500, every=2.0),)),
    }
    rows = []
    for label, traffic in cases.items():
        held, machine = _held_bytes(functools.partial(_outage, traffic))
        ledger = machine.ledger()
        rows.append(Backlog(label, ledger.queued + ledger.in_flight, held))
    return rows


# -- the 7-day retention scenario -----------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Replayed:
    seconds: float  # real seconds to replay it
    recording: Recording


def retention_replay(path: Path = RETENTION) -> Replayed:
    """Real seconds to replay the 7-day retention scenario on the virtual clock."""
    run = load_run(path)
    started = time.perf_counter()
    recording = clock.run_virtual(replay(run))
    return Replayed(time.perf_counter() - started, recording)


# -- the HTML report ------------------------------------------------------------------------------

START = 1_767_225_600.0  # 2026-01-01T00:00:00Z


def big_recording() -> Recording:
    """Seven days, two subscriptions, 100k attempts and 10k samples each (the report tests'
    `big_recording`)."""
    end = 7 * DAY
    subs = ("leads", "opportunities")
    rec = Recording("week.yaml", "123-ABC-456", 1, START, end, list(subs))
    kinds = list(OutcomeKind)
    step = end / 100_000
    rec.tracks = Tracks.of(  # positional and with one messageId: 100k records stay cheap
        (
            AttemptRecord(
                i * step, START + i * step, subs[i % 2], "m", 1, "push", 100, kinds[i % 97 % 5],
                None, 0.05, "active",
            )
            for i in range(100_000)
        ),
        horizon=end,
    )  # fmt: skip
    rec.samples = {
        name: [Sample(j * end / 10_000, "active", j % 700, j % 300) for j in range(10_000)]
        for name in subs
    }
    for name in subs:
        rec.ledgers[name] = Ledger(5, 5, 0, 0, 0, 0, 0)
    rec.steps = [(d * DAY, f"day {d}") for d in range(1, 7)]
    return rec


@dataclass(frozen=True, slots=True)
class Rendered:
    seconds: float  # best of the rounds
    size: int  # bytes of the page, UTF-8


def report_render(recording: Recording, rounds: int = 3) -> Rendered:
    """The best of `rounds` renders of `recording`, and the page's size."""
    best, page = float("inf"), ""
    for _ in range(rounds):
        started = time.perf_counter()
        page = render_html(recording)
        best = min(best, time.perf_counter() - started)
    return Rendered(best, len(page.encode()))
