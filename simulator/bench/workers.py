"""`--workers 2` against `--workers 1`: the same CPU-bound load played in one shard process and in
two, on this machine, as the ratio of their wall times (the issue's target: at least 1.7 on two
cores).

The load is a backlog drain on the virtual clock, where nothing waits on real time and every
second is CPU: `SUBSCRIPTIONS` subscriptions at the real producer's full rate (250 events/s)
against the embedded endpoint, which answers 503 for `OUTAGE`, then drains every backlog at once.
The names are chosen so that each of the two shards holds exactly half of them (the partition
is by a hash of the name: `simulator.fleet.shard`), so the ratio measures the processes, not an
uneven split. Both sides are `marketo-sim run --virtual --workers N` in a fresh child, start-up,
the spawned workers and the merge included, as a user waits for them.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import orjson

from simulator.bench.child import ChildRun, marketo_sim, run_child
from simulator.fleet.shard import Shard

SUBSCRIPTIONS = 8
RATE = 250.0  # events per second each
DURATION = "60m"
OUTAGE = ("1m", "41m")  # the consumer answers 503 from the first to the second


@dataclass(frozen=True, slots=True)
class WorkersRun:
    one: ChildRun  # --workers 1
    two: ChildRun  # --workers 2
    produced: int  # events, from the merged --json document of the two-worker run
    same_ledger: bool  # both runs' merged totals are equal

    @property
    def ratio(self) -> float:
        """How many times faster two workers played the load than one."""
        return self.one.wall / self.two.wall if self.two.wall > 0 else 0.0


def balanced_names(count: int, shards: int = 2) -> list[str]:
    """`count` subscription names, as many in each of `shards` shards."""
    per = count // shards
    found: dict[int, list[str]] = {i: [] for i in range(1, shards + 1)}
    k = 0
    while any(len(names) < per for names in found.values()):
        name = f"drain-{k}"
        for index, names in found.items():
            if Shard(index, shards).holds(name) and len(names) < per:
                names.append(name)
        k += 1
    return [name for names in found.values() for name in names]


def run_file(path: Path) -> Path:
    """The load's run file, written at `path`."""
    start, end = OUTAGE
    subscriptions = "".join(
        f"  - {{name: {name}, rate: {RATE:g}}}\n" for name in balanced_names(SUBSCRIPTIONS)
    )
    path.write_text(
        "munchkinId: 123-ABC-456\n"
        "seed: 17\n"
        f"duration: {DURATION}\n"
        "subscriptions:\n"
        f"{subscriptions}"
        "timeline:\n"
        f"  - {{at: {start}, endpoint: {{status: 503}}}}\n"
        f"  - {{at: {end}, endpoint: normal}}\n"
    )
    return path


def workers_run(*, work: Path, rss_limit: int, timeout: float = 1800.0) -> WorkersRun:
    """The load with one worker, then with two; each in a fresh child process."""
    path = run_file(work / "workers.yaml")
    runs, totals = {}, {}
    for n in (1, 2):
        document = work / f"workers-{n}.json"
        runs[n] = run_child(
            marketo_sim(
                "run", str(path), "--virtual", "--workers", str(n), "--json", str(document)
            ),
            output=work / f"workers-{n}.out",
            rss_limit=rss_limit,
            timeout=timeout,
        )
        totals[n] = orjson.loads(document.read_bytes())["totals"] if document.exists() else None
    produced = totals[2]["ledger"]["produced"] if totals[2] else 0
    return WorkersRun(runs[1], runs[2], produced, totals[1] is not None and totals[1] == totals[2])
