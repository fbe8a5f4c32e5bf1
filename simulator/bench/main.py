"""`python -m simulator.bench`: run the sections asked for, then print one table of figures.

Sections (`--only` picks some, in this order): startup, generation, delivery, report, backlog,
replay, realtime, workers; `week` (the full-rate week, many minutes) runs only when named. A
section that breaks is reported as a failed figure and the others still run; the exit code is 0
whatever the figures say, because the bench reports and `make test` judges.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from simulator.bench import child, delivery, memory, realtime, replays, workers
from simulator.bench.child import marketo_sim
from simulator.bench.figures import Figure, amount, at_least, at_most, skipped, table
from simulator.runfile import flagtypes

MB = 1_000_000
RSS_TARGET = 256 * MB
REPLAY_RATE = 150_000.0  # events per second
FLAT = 1.1  # the 6-hour replay's peak RSS over the 1-hour one's


@dataclass(frozen=True, slots=True)
class Options:
    rounds: int
    batches: int
    subscriptions: int
    realtime_subscriptions: int
    rss_limit: int  # bytes: a child past this is killed
    tty: bool
    work: Path  # where children write their logs


def startup(o: Options) -> list[Figure]:
    figures = []
    for args in (("--version",), ("check", str(memory.SCENARIOS / "quickstart.yaml"))):
        seconds = child.best_wall(marketo_sim(*args), rounds=5)
        name = f"start-up: marketo-sim {args[0]}"
        figures.append(at_most(name, seconds, 0.3, "s", note="a fresh process, best of 5"))
    return figures


def generation(o: Options) -> list[Figure]:
    cost = delivery.generation_cost()
    note = "the payloads' batch encoder, 500-event batches of every activity type; best of 3"
    return [at_most("generation + encoding per event", cost, 1.5, "us", note=note)]


def delivery_rate(o: Options) -> list[Figure]:
    r = delivery.delivery_rates(batches=o.batches, subscriptions=o.subscriptions, rounds=o.rounds)
    per_body = r.engine_sink.body_bytes / max(r.engine_sink.requests, 1)
    note = (
        f"engine {amount(r.engine, 'ev/s')}, raw {amount(r.raw, 'ev/s')}; "
        f"{r.subscriptions} subscription(s), {r.events:,} events, {per_body / 1000:,.0f} kB "
        f"bodies; best of {o.rounds}"
    )
    return [at_least("delivery rate: engine / raw aiohttp", r.engine / r.raw, 0.5, "", note=note)]


def report(o: Options) -> list[Figure]:
    rendered = memory.report_render(memory.big_recording())
    note = "7 days, 2 subscriptions, 100k attempts and 10k samples each; best of 3"
    return [
        at_most("HTML report: render time", rendered.seconds, 0.8, "s", note=note),
        at_most("HTML report: page size", rendered.size, 1_000_000, "B"),
    ]


def backlog(o: Options) -> list[Figure]:
    figures = []
    for row in memory.backlog_memory():
        figures.append(
            Figure(
                f"7-day outage queue, {row.label}",
                f"{row.held / 1024:,.1f} KiB",
                note=f"{row.queued:,} events queued: {row.held / max(row.queued, 1):.6f} B/event",
            )
        )
    replayed = memory.retention_replay()
    ledger = next(iter(replayed.recording.ledgers.values()))
    passed = replayed.recording.passed and ledger.balanced
    note = f"{memory.RETENTION.name} on the virtual clock: {ledger.produced:,} events, " + (
        "every check passed" if passed else "CHECKS FAIL"
    )
    figures.append(
        at_most("7-day retention scenario: replay", replayed.seconds, 10.0, "s", note=note)
    )
    return figures


def replay(o: Options) -> list[Figure]:
    short = replays.replay_scenario(
        replays.OUTAGE_1H, work=o.work, rss_limit=o.rss_limit, timeout=1800.0
    )
    figures = replay_figures("replay outage-1h", short)
    if short.child.killed:
        why = f"not replayed: the 1-hour outage was {short.child.killed}"
        figures.append(skipped("replay outage-6h", "", why))
        return figures
    long = replays.replay_scenario(
        replays.OUTAGE_6H, work=o.work, rss_limit=o.rss_limit, timeout=3600.0
    )
    figures += replay_figures("replay outage-6h", long)
    name, target = "replay peak RSS, 6h / 1h", f"<= {FLAT:.2f}x"
    if long.child.killed:
        figures.append(skipped(name, target, f"the 6-hour outage was {long.child.killed}"))
        return figures
    ratio = long.child.peak_rss / max(short.child.peak_rss, 1)
    note = "memory follows subscriptions and windows, not events"
    figures.append(at_most(name, ratio, FLAT, "x", note=note))
    return figures


def replay_figures(name: str, r: replays.Replay, *, rate_target: bool = True) -> list[Figure]:
    wall = Figure(f"{name}: wall time", amount(r.child.wall, "s"), note=r.verdict)
    checks = Figure(f"{name}: checks", "pass" if r.child.ok else "FAIL", "all pass", r.child.ok)
    rss = at_most(f"{name}: peak RSS", r.child.peak_rss, RSS_TARGET, "MB")
    if r.child.killed:
        rate = skipped(f"{name}: events/s", f">= {amount(REPLAY_RATE, 'ev/s')}", r.child.killed)
        return [wall, rate, rss, checks]
    note = f"{r.acknowledged:,} events acknowledged / wall time"
    if r.own_seconds is not None:
        note += f" (the replay's own count, without start-up: {r.own_seconds:.2f} s)"
    rate = at_least(f"{name}: events/s", r.rate, REPLAY_RATE, "ev/s", note=note)
    if not rate_target:
        rate = Figure(rate.name, rate.measured, note=note)
    return [wall, rate, rss, checks]


def realtime_figures(o: Options) -> list[Figure]:
    n = o.realtime_subscriptions
    r = realtime.realtime_run(
        subscriptions=n, rate=10.0, work=o.work, rss_limit=o.rss_limit, tty=o.tty
    )
    busy = r.sink.cpu / r.child.wall if r.child.wall else 0.0
    used = r.child.cpu / r.child.wall if r.child.wall else 0.0
    about = (
        f"{n:,} subscriptions at 10 ev/s, {realtime.WINDOW:g} s window; {r.attempts:,} pushes, "
        f"{r.failures:,} failed; marketo-sim used {used * 100:.0f} % of a core, the bare sink "
        f"{busy * 100:.0f} %"
    )
    if r.child.killed:
        about += f"; {r.child.killed}"
    return [
        at_least(f"{n:,} subscriptions: push slots used", r.slots_used, 0.999, "%", note=about),
        Figure(f"{n:,} subscriptions: cadence error p50", amount(r.cadence_p50, "ms")),
        at_most(f"{n:,} subscriptions: cadence error p99", r.cadence_p99, 0.050, "ms"),
        at_most(
            f"{n:,} subscriptions: first push after launch",
            r.first_push,
            1.0,
            "s",
            note=f"t = {r.first_push_t:.3f} s on the run's clock",
        ),
        Figure(f"{n:,} subscriptions: peak RSS", amount(r.child.peak_rss, "MB")),
    ]


def workers_figures(o: Options) -> list[Figure]:
    r = workers.workers_run(work=o.work, rss_limit=o.rss_limit)
    load = os.getloadavg()[0]
    note = (
        f"{workers.SUBSCRIPTIONS} subscriptions at {workers.RATE:g} ev/s, a 40-minute outage "
        f"drained, virtual clock: {r.produced:,} events; 1 worker {r.one.wall:.1f} s, "
        f"2 workers {r.two.wall:.1f} s (start-up and merge included), using "
        f"{_cores(r.one):.2f} and {_cores(r.two):.2f} cores (CPU / wall: 2 workers can use at "
        f"most the cores the machine leaves free); "
        f"{'the same merged ledger' if r.same_ledger else 'LEDGERS DIFFER'}; "
        f"load average {load:.2f} after"
    )
    if not (r.one.ok or r.one.code == 1) or not (r.two.ok or r.two.code == 1):
        why = r.one.killed or r.two.killed or f"exit {r.one.code} / {r.two.code}"
        return [skipped("workers: 2 against 1, same load", ">= 1.70x", why)]
    return [at_least("workers: 2 against 1, same load", r.ratio, 1.7, "x", note=note)]


def _cores(run: child.ChildRun) -> float:
    return run.cpu / run.wall if run.wall > 0 else 0.0


def week(o: Options) -> list[Figure]:
    r = replays.replay_scenario(
        replays.WEEK, work=o.work, rss_limit=o.rss_limit, timeout=4 * 3600.0
    )
    # The week's targets are the issue's: it replays, within 256 MB, with a balanced ledger.
    return replay_figures("replay week-full-rate", r, rate_target=False)


SECTIONS: dict[str, Callable[[Options], list[Figure]]] = {
    "startup": startup,
    "generation": generation,
    "delivery": delivery_rate,
    "report": report,
    "backlog": backlog,
    "replay": replay,
    "realtime": realtime_figures,
    "workers": workers_figures,
    "week": week,
}
BY_HAND = {"week"}  # sections that run only when named


def run_section(name: str, options: Options) -> list[Figure]:
    print(f"bench: {name} ...", file=sys.stderr, flush=True)
    started = time.perf_counter()
    try:
        return SECTIONS[name](options)
    except Exception as exc:  # the bench reports a broken section and goes on with the others
        traceback.print_exc()
        return [skipped(f"{name} (section broke)", "", f"{type(exc).__name__}: {exc}")]
    finally:
        took = time.perf_counter() - started
        print(f"bench: {name} took {took:.0f} s", file=sys.stderr, flush=True)


def parse(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m simulator.bench", description=__doc__)
    parser.add_argument(
        "--only",
        action="append",
        metavar="SECTION",
        help=f"run these sections only (repeat, or comma-separate): {', '.join(SECTIONS)}",
    )
    parser.add_argument(
        "--rounds",
        type=flagtypes.int_between(1, 1000, "rounds"),
        default=3,
        help="delivery: rounds of each side",
    )
    parser.add_argument(
        "--batches",
        type=flagtypes.int_between(1, 1_000_000, "batches"),
        default=400,
        help="delivery: batches a round",
    )
    parser.add_argument(
        "--subscriptions",
        type=flagtypes.int_between(1, 10_000, "subscriptions"),
        default=1,
        help="delivery: subscriptions side by side",
    )
    parser.add_argument(
        "--realtime-subscriptions",
        type=flagtypes.int_between(1, 100_000, "subscriptions"),
        default=1000,
        help="realtime: how many",
    )
    parser.add_argument(
        "--rss-limit-mb",
        type=flagtypes.int_between(1, 1_000_000, "megabytes"),
        default=6000,
        help="kill a child past this RSS (default 6000)",
    )
    parser.add_argument(
        "--no-tty", action="store_true", help="realtime: output to a file, not a terminal"
    )
    parser.add_argument("--keep", type=Path, metavar="DIR", help="keep the children's logs in DIR")
    args = parser.parse_args(argv)
    unknown = _named(args.only) - set(SECTIONS)
    if unknown:
        parser.error(f"unknown section(s): {', '.join(sorted(unknown))}")
    return args


def _named(only: list[str] | None) -> set[str]:
    return {part.strip() for item in only or () for part in item.split(",") if part.strip()}


def chosen(only: list[str] | None) -> list[str]:
    """The sections to run, in table order: those named, or every one but the by-hand ones."""
    named = _named(only)
    if not named:
        return [name for name in SECTIONS if name not in BY_HAND]
    return [name for name in SECTIONS if name in named]


def main(argv: list[str] | None = None) -> int:
    args = parse(argv)
    sections = chosen(args.only)
    with tempfile.TemporaryDirectory(prefix="marketo-bench-") as tmp:
        work = args.keep or Path(tmp)
        work.mkdir(parents=True, exist_ok=True)
        options = Options(
            rounds=args.rounds,
            batches=args.batches,
            subscriptions=args.subscriptions,
            realtime_subscriptions=args.realtime_subscriptions,
            rss_limit=args.rss_limit_mb * MB,
            tty=not args.no_tty,
            work=work,
        )
        load = os.getloadavg()
        figures = [f for name in sections for f in run_section(name, options)]
    loads = f"load average {load[0]:.2f} at the start, {os.getloadavg()[0]:.2f} at the end"
    print(f"machine: {os.cpu_count()} cores; {loads}")
    print(table(figures))
    return 0
