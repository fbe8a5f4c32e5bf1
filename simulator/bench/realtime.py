"""Many subscriptions on the real clock: `marketo-sim run` of a generated run file, measured from
its attempt log.

The run file names `subscriptions` subscriptions at `rate` events per second each, every one
pushing to the bare sink (`simulator.bench.sink`). The command runs in a child process on a
pseudo-terminal, as a person runs it, with `--log`: every push's start time (`t`, seconds since
the run's clock started, and `time`, the same instant as wall time) per subscription is in the
log, and from it:

* slots used: a subscription has exactly `WINDOW / interval` push slots in any window of that
  length, whatever their phase. The window is [1 s, 1 s + WINDOW): at t = 0 nothing has been
  produced yet, so an aligned first slot has nothing to send. The share is the slots in which a
  push began, over all subscriptions, divided by the slots there were;
* cadence error: each gap between two consecutive pushes of one subscription, minus the push
  interval, as an absolute value; its p50 and p99 over every gap of the run;
* first push: the earliest push of the run, in seconds after the command was launched (start-up,
  imports and building the subscriptions included: what a person waits for);
* peak RSS of the command's process, and how busy the sink was (to show it kept up).
"""

from __future__ import annotations

import itertools
import math
from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import orjson

from simulator.bench.child import ChildRun, marketo_sim, run_child
from simulator.bench.figures import percentile
from simulator.bench.sink import Sink, SinkCounts

INTERVAL = 2.0  # seconds between push slots: the legacy contract
WINDOW = 30.0  # seconds over which slots are counted
SKIP = 1.0  # seconds at the start left out of the window (see the module docstring)


@dataclass(frozen=True, slots=True)
class Realtime:
    subscriptions: int
    child: ChildRun
    slots_used: float  # share of push slots in the window in which a push began
    cadence_p50: float  # seconds
    cadence_p99: float
    first_push: float  # seconds after launch
    first_push_t: float  # seconds after the run's clock started
    attempts: int
    failures: int
    sink: SinkCounts


def realtime_run(
    *, subscriptions: int, rate: float, work: Path, rss_limit: int, tty: bool = True
) -> Realtime:
    """Run `subscriptions` subscriptions at `rate` for the window, on the real clock."""
    with Sink() as sink:
        run_file = work / "realtime.yaml"
        run_file.write_text(run_file_text(subscriptions, rate, sink.url))
        log = work / "realtime.jsonl"
        duration = SKIP + WINDOW + 1.0
        argv = marketo_sim("run", str(run_file), "--log", str(log), "--duration", f"{duration:g}s")
        before = sink.counts()
        child = run_child(
            argv,
            output=work / "realtime.out",
            rss_limit=rss_limit,
            timeout=duration + 120.0,
            tty=tty,
        )
        took = sink.counts() - before
    return measured(subscriptions, child, log, took)


def run_file_text(subscriptions: int, rate: float, url: str) -> str:
    """`subscriptions` subscriptions of every activity type at `rate`, all pushing to `url`."""
    lines = ["munchkinId: 123-ABC-456", "seed: 10", "subscriptions:"]
    for i in range(subscriptions):
        lines += [f"  - name: sub-{i + 1:04d}", f"    endpoint: {url}", f"    rate: {rate:g}"]
    return "\n".join(lines) + "\n"


@dataclass(frozen=True, slots=True)
class Push:
    t: float  # seconds since the run's clock started
    wall: float  # the same instant, Unix time
    ok: bool


def read_log(log: Path) -> dict[str, list[Push]]:
    """Every attempt of the log, per subscription, in the order they began."""
    pushes: dict[str, list[Push]] = defaultdict(list)
    if log.exists():
        with log.open("rb") as lines:
            for line in lines:
                a = orjson.loads(line)
                if "outcome" not in a:  # a step's line, or the interruption's
                    continue
                wall = datetime.fromisoformat(a["time"]).timestamp()
                pushes[a["subscription"]].append(Push(a["t"], wall, a["outcome"] == "success"))
    for attempts in pushes.values():
        attempts.sort(key=lambda p: p.t)
    return pushes


def slots_used(pushes: dict[str, list[Push]], subscriptions: int) -> float:
    """The share of push slots in [SKIP, SKIP + WINDOW) in which a push began."""
    per_subscription = round(WINDOW / INTERVAL)
    used = 0
    for attempts in pushes.values():
        inside = sum(SKIP <= p.t < SKIP + WINDOW for p in attempts)
        used += min(inside, per_subscription)
    return used / (per_subscription * subscriptions)


def cadence_errors(pushes: dict[str, list[Push]]) -> list[float]:
    """|gap - interval| for every two consecutive pushes of one subscription."""
    return [
        abs(later.t - earlier.t - INTERVAL)
        for attempts in pushes.values()
        for earlier, later in itertools.pairwise(attempts)
    ]


def measured(subscriptions: int, child: ChildRun, log: Path, sink: SinkCounts) -> Realtime:
    pushes = read_log(log)
    every = [p for attempts in pushes.values() for p in attempts]
    first = min(every, key=lambda p: p.t, default=None)
    errors = cadence_errors(pushes)
    return Realtime(
        subscriptions=subscriptions,
        child=child,
        slots_used=slots_used(pushes, subscriptions),
        cadence_p50=percentile(errors, 0.50),
        cadence_p99=percentile(errors, 0.99),
        first_push=first.wall - child.launched if first else math.inf,
        first_push_t=first.t if first else math.inf,
        attempts=len(every),
        failures=sum(not p.ok for p in every),
        sink=sink,
    )
