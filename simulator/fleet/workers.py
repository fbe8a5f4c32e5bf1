"""`--workers N`: N shard processes on this machine (multiprocessing, spawned), each playing
`--shard i/N` into a directory of its own, then their outputs merged (`merge`) into the files
asked for, with one merged status while they run and one summary at the end.

* **Processes**: `multiprocessing`'s spawn context, one `Process` per shard that holds
  subscriptions (a shard without any is not started). Each starts in a process group of its own,
  so a terminal's Ctrl-C reaches the parent alone, which passes each signal on to every worker
  exactly once: the workers stop, write their files, and the parent merges what they wrote and
  exits 130 or 143. A worker whose parent is gone (killed with SIGKILL) stops as on SIGTERM.
* **Status**: each worker puts a `Snapshot` (states, ledgers, attempts by outcome) on a queue
  about twice a real second, and a last one when it ends; the parent draws the live view's
  totals line over the latest of each (`combined`): redrawn in place on a terminal, a line per
  simulated minute otherwise.

The function a worker runs is the command line's (`simulator.cli`), handed in: this room sits
below the faces and does not import them.
"""

from __future__ import annotations

import contextlib
import multiprocessing
import os
import queue
import signal
import sys
import threading
from collections import Counter
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TextIO

from simulator.core.delivery import Ledger
from simulator.core.records import AttemptRecord, Machine, StateChange
from simulator.fleet.shard import Shard

POLL_SECONDS = 0.2  # how often the parent reads the queue and looks at its workers
ORPHAN_POLL_SECONDS = 1.0  # how often a worker looks whether its parent is still there
ECHO_BYTES = 1 << 20  # the most of one worker's output echoed per look (`-v`): memory stays flat
SEND_SECONDS = 0.5  # how often a worker sends its totals, in real seconds


@dataclass(frozen=True, slots=True)
class Snapshot:
    """One worker's subscriptions at simulated time `t`: what the live view's totals are drawn
    from (each state's count, every ledger, attempts by outcome)."""

    shard: str
    t: float
    states: dict[str, int]
    ledgers: list[Ledger]
    outcomes: dict[str, int]
    done: bool = False


class Tally:
    """An observer in a worker: its attempts by outcome, for its snapshots."""

    def __init__(self) -> None:
        self.outcomes: Counter[str] = Counter()

    def attempt(self, record: AttemptRecord) -> None:
        self.outcomes[str(record.outcome)] += 1

    def state_changed(self, change: StateChange) -> None:
        return None


def snapshot(
    shard: str,
    machines: Mapping[str, Machine],
    outcomes: Mapping[str, int],
    t: float,
    *,
    done: bool = False,
) -> Snapshot:
    """The snapshot of `machines` (brought up to `t` by the caller)."""
    every = list(machines.values())
    states = Counter(str(machine.state) for machine in every)
    ledgers = [machine.ledger() for machine in every]
    return Snapshot(shard, t, dict(states), ledgers, dict(outcomes), done)


def combined(snapshots: Iterable[Snapshot]) -> str:
    """The live view's totals line (`reports.console.counted_totals`) over the latest snapshot
    of each worker; its time is the slowest worker's."""
    from simulator.core.timefmt import offset
    from simulator.reports.console import counted_totals

    latest = list(snapshots)
    if not latest:
        return "starting the workers"
    states: Counter[str] = Counter()
    outcomes: Counter[str] = Counter()
    books: list[Ledger] = []
    for each in latest:
        states.update(each.states)
        outcomes.update(each.outcomes)
        books += each.ledgers
    counted = counted_totals(states, books, outcomes, live=True)
    done = sum(each.done for each in latest)
    totals = "; ".join(f"{label} {text}" for label, text in counted)
    return (
        f"{offset(min(s.t for s in latest))} totals: {totals}; workers {len(latest)} ({done} done)"
    )


class StatusView:
    """The merged status: on a terminal one line redrawn in place; otherwise a line each time
    the slowest worker passes a whole simulated minute."""

    def __init__(self, out: TextIO) -> None:
        self.out = out
        self.tty = out.isatty()
        self.latest: dict[str, Snapshot] = {}
        self._minute = -1

    def update(self, snap: Snapshot) -> None:
        self.latest[snap.shard] = snap
        line = combined(self.latest.values())
        if self.tty:
            self.out.write(f"\r\x1b[K{line}")
            self.out.flush()
            return
        minute = int(min(s.t for s in self.latest.values()) // 60)
        if minute > self._minute:
            self._minute = minute
            self.out.write(line + "\n")
            self.out.flush()

    def close(self) -> None:
        if self.tty and self.latest:
            self.out.write("\n")
            self.out.flush()


# ---- the processes -------------------------------------------------------------------------------

# What a worker runs: (its shard, its directory, the status queue) -> exit code.
Target = Callable[[Shard, Path, Any], int]


def _worker(target: Target, shard: Shard, directory: Path, status: Any) -> None:
    """A worker process's body: its own process group (a terminal's Ctrl-C goes to the parent,
    which passes it on once), what it prints in its directory, its exit code the command's."""
    os.setpgrp()
    _orphan_watch(os.getppid())
    # Line-buffered: with `-v` the parent echoes each line as it comes (`Echo`).
    with (directory / "output.txt").open("w", encoding="utf-8", buffering=1) as output:
        sys.stdout = sys.stderr = output
        try:
            code = target(shard, directory, status)
        finally:
            sys.stdout, sys.stderr = sys.__stdout__, sys.__stderr__
    raise SystemExit(code)  # the process's exit code; the queue's last snapshot is flushed first


def _orphan_watch(parent: int) -> None:
    """Stop this worker as a signal would (its files written, exit 143) once its parent is gone:
    a parent killed with SIGKILL passes nothing on, and a worker in its own process group would
    otherwise push on alone. A daemon thread that looks once a second: portable, and it costs
    nothing the run would notice."""

    never = threading.Event()  # a real-time pause in a thread of its own, not protocol time

    def watch() -> None:
        while os.getppid() == parent:
            never.wait(ORPHAN_POLL_SECONDS)
        os.kill(os.getpid(), signal.SIGTERM)

    threading.Thread(target=watch, name="orphan watch", daemon=True).start()


@dataclass(slots=True)
class Finished:
    """How each worker ended: its exit code (negative: killed by that signal) and what it
    printed, by shard."""

    codes: dict[Shard, int] = field(default_factory=dict)
    output: dict[Shard, str] = field(default_factory=dict)
    signalled: int | None = None  # the signal passed on to the workers


def run_workers(
    target: Target,
    shards: list[Shard],
    workdir: Path,
    *,
    view: StatusView | None,
    received: Callable[[], int | None],
    echo: TextIO | None = None,
) -> Finished:
    """Start a worker per shard (directory `workdir/shard-I`), show their status until every
    one has ended, passing the first signal `received()` reports on to each of them once. With
    `echo` (`-v`), each worker's lines are passed on to it as they come, marked with its shard."""
    context = multiprocessing.get_context("spawn")
    status = context.Queue()
    processes: dict[Shard, Any] = {}
    for shard in shards:
        directory = workdir / f"shard-{shard.index}"
        directory.mkdir(parents=True, exist_ok=True)
        process = context.Process(
            target=_worker, args=(target, shard, directory, status), name=f"shard {shard}"
        )
        process.start()
        processes[shard] = process
    finished = Finished()
    echoed = Echo(workdir, echo)
    try:
        while any(p.is_alive() for p in processes.values()):
            _drain(status, view, timeout=POLL_SECONDS)
            echoed.look(processes)
            signum = received()
            if signum is not None and finished.signalled is None:
                finished.signalled = signum
                _pass_on(processes.values(), signum)
        _drain(status, view, timeout=0)
    except KeyboardInterrupt:
        # A second signal: the workers' clean-up is cut short too, then they are killed.
        _pass_on(processes.values(), signal.SIGINT)
        for process in processes.values():
            process.join(timeout=2)
            if process.is_alive():
                process.kill()
        raise
    finally:
        if view is not None:
            view.close()
        status.close()
    echoed.look(processes, to_the_end=True)
    for shard, process in processes.items():
        process.join()
        finished.codes[shard] = process.exitcode if process.exitcode is not None else 70
        output = workdir / f"shard-{shard.index}" / "output.txt"
        finished.output[shard] = output.read_text(encoding="utf-8") if output.exists() else ""
    return finished


@dataclass(slots=True)
class Echo:
    """`-v` with `--workers`: each worker prints into its own file; the parent passes on the
    complete lines written since its last look, `[1/2] ` before each, a bounded read at a time."""

    workdir: Path
    out: TextIO | None
    offsets: dict[Shard, int] = field(default_factory=dict)

    def look(self, processes: Mapping[Shard, Any], *, to_the_end: bool = False) -> None:
        if self.out is None:
            return
        for shard in processes:
            while self._pass_on(shard) and to_the_end:
                pass

    def _pass_on(self, shard: Shard) -> bool:
        """Echo what came since the last look; whether a full read was made (more may wait)."""
        assert self.out is not None
        path = self.workdir / f"shard-{shard.index}" / "output.txt"
        if not path.exists():
            return False
        with path.open("rb") as output:
            output.seek(self.offsets.get(shard, 0))
            chunk = output.read(ECHO_BYTES)
        complete = chunk[: chunk.rfind(b"\n") + 1]
        if not complete and len(chunk) == ECHO_BYTES:  # one line longer than a read: cut it
            complete = chunk
        self.offsets[shard] = self.offsets.get(shard, 0) + len(complete)
        for line in complete.decode(errors="replace").splitlines():
            print(f"[{shard}] {line}", file=self.out)
        return len(chunk) == ECHO_BYTES


def _drain(status: Any, view: StatusView | None, *, timeout: float) -> None:
    """Show every snapshot waiting on the queue (waiting up to `timeout` for the first)."""
    try:
        snap = status.get(timeout=timeout) if timeout > 0 else status.get_nowait()
        while True:
            if view is not None:
                view.update(snap)
            snap = status.get_nowait()
    except queue.Empty:
        return


def _pass_on(processes: Iterable[Any], signum: int) -> None:
    for process in processes:
        if process.is_alive() and process.pid is not None:
            with contextlib.suppress(ProcessLookupError):  # it ended meanwhile
                os.kill(process.pid, signum)


# ---- run and replay with --workers ---------------------------------------------------------------

WORKER_FILES = {"log": "attempts.jsonl", "json": "result.json", "junit": "junit.xml"}


@dataclass(frozen=True, slots=True)
class ShardCommand:
    """What a worker runs: `handler` (the command line's `run` or `replay`) on the parsed flags
    `values`, with `--shard` set and its files in its own directory. Pickled into the worker:
    `handler` travels by name."""

    handler: Callable[[Any], int]
    values: dict[str, Any]

    def __call__(self, shard: Shard, directory: Path, status: Any) -> int:
        import argparse

        from simulator.errors import SimulatorError
        from simulator.shell import signals

        args = argparse.Namespace(**self.values)
        args.shard, args.workers, args.status = shard, None, status
        for flag, name in WORKER_FILES.items():
            wanted = flag == "json" or getattr(args, flag, None) is not None
            setattr(args, flag, directory / name if wanted else None)
        with signals.handled():
            try:
                code = self.handler(args)
            except SimulatorError as exc:
                print(f"marketo-sim: error: {exc}")
                code = exc.exit_code
            except KeyboardInterrupt:
                code = signals.exit_code()
            return signals.exit_code() if signals.received() is not None else code


async def send_status(
    status: Any, shard: str, machines: Mapping[str, Machine], tally: Tally, clock: Any
) -> None:
    """A worker's totals on `status` about every SEND_SECONDS real seconds, looked at each
    simulated second (on the run's loop; the run cancels it when it ends)."""
    from simulator.reports.console import bring_up_to
    from simulator.shell.clock import stopwatch

    elapsed = stopwatch()
    sent = -SEND_SECONDS
    t = clock.now()
    while True:
        if elapsed() - sent >= SEND_SECONDS:
            sent = elapsed()
            bring_up_to(machines, clock.now())
            status.put(snapshot(shard, machines, tally.outcomes, clock.now()))
        t += 1.0
        await clock.sleep_until(t)


def play_workers(args: Any, run: Any, handler: Callable[[Any], int], *, out: TextIO) -> int:
    """`run` or `replay` FILE with `--workers N`: N shard processes, their files merged into
    the ones asked for, one summary on `out`; the exit code of the merged run (a worker's own
    when one could not play: bad input, an internal error)."""
    import contextlib
    import tempfile

    from simulator.errors import ConfigError
    from simulator.fleet.merge import Outputs, merge_into
    from simulator.fleet.shard import members
    from simulator.shell import signals

    if getattr(args, "report", None) is not None:
        raise ConfigError("--report draws one process's run: leave out --workers for it")
    count = args.workers
    names = [spec.name for spec in run.subscriptions]
    shards = [Shard(i, count) for i in range(1, count + 1) if members(names, Shard(i, count))]
    values = {k: v for k, v in vars(args).items() if k != "handler"}
    values["metrics_port"] = None  # the parent serves every worker's metrics, not each its own
    print(
        f"marketo-sim {args.file}: {len(names)} subscription(s) in {len(shards)} worker "
        f"process(es) ({', '.join(f'{s}: {len(members(names, s))}' for s in shards)})",
        file=out,
    )
    with contextlib.ExitStack() as stack:
        if getattr(args, "metrics_port", None) is not None:
            from simulator.reports.metrics import serving_workers

            fleet = stack.enter_context(serving_workers(args.metrics_port, args.metrics_host))
            print(f"metrics: {fleet.server.url} (simulated time, every worker)", file=out)
        workdir = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="marketo-sim-w-")))
        view = StatusView(out)
        finished = run_workers(
            ShardCommand(handler, values),
            shards,
            workdir,
            view=view,
            received=signals.received,
            echo=out if getattr(args, "verbose", False) else None,
        )
        broken = {s: c for s, c in finished.codes.items() if c not in (0, 1, 130, 143)}
        for shard, code in broken.items():
            print(f"worker {shard} ended with exit code {code}:", file=out)
            print(finished.output[shard].rstrip(), file=out)
        dirs = [workdir / f"shard-{s.index}" for s in shards]
        outputs = Outputs(
            **{
                flag: [d / name for d in dirs if (d / name).exists()]
                for flag, name in WORKER_FILES.items()
            }
        )
        if not outputs.json:
            return max(broken.values(), default=70)
        merged = merge_into(
            outputs,
            log=args.log,
            json=args.json if args.json is not None else workdir / "merged.json",
            junit=getattr(args, "junit", None),
            expectations=run.expect,
        )
    assert merged.document is not None
    for line in summary_lines(merged.document, missing=len(shards) - len(outputs.json)):
        print(line, file=out)
    if broken:
        return max(broken.values())
    return merged.document.exit_code


def summary_lines(document: Any, *, missing: int = 0) -> list[str]:
    """The merged run's summary: totals, then each check not passed (and every skipped one),
    then the verdict line."""
    from simulator.core.delivery import LEDGER_FIELDS
    from simulator.core.recording import judged
    from simulator.core.timefmt import offset

    totals = document.totals
    ledger = totals.ledger
    states: Counter[str] = Counter(sub.state for sub in document.subscriptions)
    lines = [
        "subscriptions: " + " ".join(f"{state}={count}" for state, count in sorted(states.items())),
        "events: " + " ".join(f"{name}={getattr(ledger, name):,}" for name in LEDGER_FIELDS),
        f"attempts: {totals.attempts:,} "
        + " ".join(f"{k}={v:,}" for k, v in sorted(totals.outcomes.items())),
    ]
    for verdict in document.verdicts:
        if verdict.skipped is not None:
            lines.append(f"SKIP {verdict.name}: {verdict.skipped}")
        elif verdict.status != "passed":
            mark = "ERROR" if verdict.status == "error" else "FAIL"
            lines.append(
                f"{mark} {verdict.name}: expected {verdict.expected}, observed {verdict.observed}"
            )
    verdicts = judged(v.verdict_status for v in document.verdicts)
    balanced = "balanced" if ledger.balanced else "does not balance"
    lines.append(
        f"{verdicts}; ledger {balanced}; {offset(document.simulated_seconds)} "
        f"simulated in {document.elapsed_seconds:.2f}s (the slowest worker)"
    )
    if missing:
        lines.append(f"{missing} worker(s) wrote no result: the merged run is partial")
    if document.interrupted:
        lines.append(f"interrupted by {document.interrupted}: exit {document.exit_code}")
    return lines
