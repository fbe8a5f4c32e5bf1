"""`marketo-sim`: parse the command line, build what it names, run it, return an exit code.

Exit codes: 0 a clean run, 1 a check failed (the `expect:` block, or `run`'s default threshold:
`simulator.timeline.gate`) or a ledger does not balance, 2 bad input (nothing is sent), 70 an
internal error in the delivery machine, 130 after SIGINT and 143 after SIGTERM (every command:
`simulator.shell.signals`). README's "Exit codes" table has them per command.

Start-up stays short (`--version` and `check` within 0.3 s; `make bench` times them): the
arguments are parsed first, and each command imports its machinery inside its own branch. Only
the named command's flags are built, because some of them (`events`, `receive`, `contract`) draw
their choices from modules that pull in aiohttp or the event generator. `tests/test_startup.py`
checks that `--version` and `check` load none of the heavy packages.
"""

from __future__ import annotations

import argparse
import contextlib
import functools
import sys
from collections import Counter
from collections.abc import Callable, Coroutine, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any, Literal

from simulator import __version__
from simulator.core.bounds import flag_type
from simulator.errors import ConfigError, SimulatorError

if TYPE_CHECKING:
    import asyncio

    from rich.console import Console

    from simulator.control.server import ControlServer
    from simulator.core.recording import Recording
    from simulator.core.records import Machine, Observer
    from simulator.fleet.shard import Shard
    from simulator.fleet.workers import Tally
    from simulator.producer import Producer
    from simulator.reports.console import ConsoleReport
    from simulator.reports.jsondoc import Latencies
    from simulator.reports.metrics import Metrics
    from simulator.runfile.scenario import RunSpec
    from simulator.runfile.steps import ExpectSpec, StepSpec
    from simulator.shell.clock import Clock, ClockMode
    from simulator.timeline.director import Director


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; the exit code. SIGINT and SIGTERM end any command with its summary
    and files and 128 + the signal's number (`simulator.shell.signals`); a closed standard output
    ends the output quietly (`simulator.shell.pipes`)."""
    from simulator.shell import pipes, signals

    with signals.handled(), pipes.guard_stdout():
        try:
            code = _dispatch(argv)
        except KeyboardInterrupt:
            return signals.exit_code()
        return signals.exit_code() if signals.received() is not None else code


def _dispatch(argv: Sequence[str] | None) -> int:
    words = list(sys.argv[1:] if argv is None else argv)
    parser = build_parser(only=_command_of(words))
    args = parser.parse_args(words)
    try:
        code: int = args.handler(args)
    except SimulatorError as exc:
        print(f"marketo-sim: error: {exc}", file=sys.stderr)
        return exc.exit_code
    return code


def _command_of(words: Sequence[str]) -> str | None:
    """The command `words` name: the first word that is not an option (the top level has only
    `--version` and `--help`, which take no value); None when there is none."""
    return next((word for word in words if not word.startswith("-")), None)


def build_parser(only: str | None = None) -> argparse.ArgumentParser:
    """The whole command line, with the flags of the command `only`: the others are listed with
    their help but built without flags, since building some of them imports heavy modules."""
    parser = argparse.ArgumentParser(
        prog="marketo-sim",
        description="Play the producer side of Marketo Engage Data Streams against an endpoint.",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for name, (text, add_flags, handler) in COMMANDS.items():
        command = commands.add_parser(name, help=text)
        command.set_defaults(handler=handler)
        if name == only:
            add_flags(command)
    return parser


def _run_flags(run: argparse.ArgumentParser) -> None:
    run.add_argument("file", type=Path, help="the run file (YAML)")
    clocks = run.add_mutually_exclusive_group()
    clocks.add_argument(
        "--virtual",
        action="store_true",
        help="virtual clock: idle time is skipped (embedded endpoint only)",
    )
    clocks.add_argument(
        "--speed",
        type=_speed_type,
        default=1.0,
        metavar="N",
        help="N simulated seconds per real second",
    )
    run.add_argument(
        "--duration", type=_duration, help="simulated run length, e.g. 30m (overrides the file)"
    )
    run.add_argument(
        "--log", type=_output_type, metavar="FILE", help="write one JSON line per push attempt"
    )
    run.add_argument(
        "--seed", type=_seed_type, help="seed for generated events (overrides the file)"
    )
    _json_flag(run)
    _metrics_flag(run)
    run.add_argument(
        "--control-port",
        type=_port_type,
        metavar="PORT",
        help="serve the control API and live page on 127.0.0.1:PORT (0: any free port; "
        "steer the run with marketo-sim ctl)",
    )
    run.add_argument(
        "--record-scenario",
        type=_output_type,
        metavar="FILE",
        help="at the end, write the run file with every step applied during the run: "
        "a scenario for replay",
    )
    _fleet_flags(run)
    run.add_argument(
        "-v", "--verbose", action="store_true", help="print every attempt and every batch received"
    )


def _fleet_flags(command: argparse.ArgumentParser) -> None:
    split = command.add_mutually_exclusive_group()
    split.add_argument(
        "--workers",
        type=_workers_type,
        metavar="N",
        help="play the file in N shard processes on this machine, their files merged",
    )
    split.add_argument(
        "--shard",
        type=_shard_type,
        metavar="I/N",
        help="play the I-th (from 1) of N disjoint slices of the file's subscriptions "
        "(by a hash of each name; see README, Beyond one machine)",
    )


def _json_flag(command: argparse.ArgumentParser) -> None:
    command.add_argument(
        "--json",
        type=_output_type,
        metavar="FILE",
        help="write the result as one JSON document (schema: marketo-sim schema --result); "
        "- is standard output",
    )


def _metrics_flag(command: argparse.ArgumentParser) -> None:
    command.add_argument(
        "--metrics-port",
        type=_port_type,
        metavar="PORT",
        help="serve Prometheus metrics on 127.0.0.1:PORT/metrics (0: any free port)",
    )
    command.add_argument(
        "--metrics-host",
        default="127.0.0.1",
        metavar="HOST",
        help="the address --metrics-port listens on (0.0.0.0: every interface, for a scraper "
        "in another pod or host; the metrics carry no secret)",
    )


def _replay_flags(replay: argparse.ArgumentParser) -> None:
    replay.add_argument("file", type=Path, help="the scenario file (YAML)")
    replay.add_argument(
        "--endpoint",
        type=_url_type,
        metavar="URL",
        help="push to a real consumer (endpoint steps through a fault proxy in front of it)",
    )
    replay.add_argument(
        "--speed", type=_speed_type, metavar="N", help="scaled clock instead of the virtual one"
    )
    replay.add_argument(
        "--duration", type=_duration, help="simulated run length (overrides the file)"
    )
    replay.add_argument(
        "--seed", type=_seed_type, help="seed for generated events (overrides the file)"
    )
    replay.add_argument(
        "--log", type=_output_type, metavar="FILE", help="write one JSON line per push attempt"
    )
    replay.add_argument(
        "--report", type=_output_type, metavar="FILE", help="write a self-contained HTML report"
    )
    replay.add_argument(
        "--junit", type=_output_type, metavar="FILE", help="write JUnit XML, one case per check"
    )
    _json_flag(replay)
    _metrics_flag(replay)
    _fleet_flags(replay)
    replay.add_argument("-v", "--verbose", action="store_true", help="print every attempt")


def _no_flags(command: argparse.ArgumentParser) -> None:
    pass


def _ctl_flags(ctl: argparse.ArgumentParser) -> None:
    from simulator.control.ctl import add_arguments

    add_arguments(ctl)


def _schema_flags(schema: argparse.ArgumentParser) -> None:
    which = schema.add_mutually_exclusive_group()
    which.add_argument(
        "--result", action="store_true", help="the --json result document's schema instead"
    )
    which.add_argument(
        "--events",
        type=Path,
        metavar="DIR",
        help="write the published contracts into DIR instead: a JSON Schema per payload we "
        "send and the AsyncAPI document of both profiles (the files of schemas/)",
    )


def _check_flags(check: argparse.ArgumentParser) -> None:
    check.add_argument("file", type=Path)


def _events_flags(events: argparse.ArgumentParser) -> None:
    from simulator.payloads.iostreams import PROFILES, STREAMS

    events.add_argument(
        "type", nargs="?", help='activity type name or id, e.g. "Visit Webpage" (default: a mix)'
    )
    events.add_argument("--count", type=_count_type, default=1, help="events (default 1)")
    events.add_argument("--seed", type=_seed_type, default=0)
    events.add_argument(
        "--batch",
        action="store_true",
        help="one delivery body: the legacy batch wrapper, or the Adobe I/O JSON array",
    )
    events.add_argument(
        "--stream",
        choices=STREAMS,
        default="lead-activity",
        help="which data stream (default: lead-activity)",
    )
    events.add_argument(
        "--profile",
        choices=PROFILES,
        help="lead-activity only: legacy activity objects (marketo-legacy, the default) "
        "or Adobe I/O CloudEvent envelopes (adobe-io)",
    )
    events.add_argument("--component", help='user-audit componentType, e.g. "Landing Page"')
    events.add_argument("--action", help="user-audit eventAction, e.g. approve")
    events.add_argument("--kind", help='notification kind, e.g. "Campaign Abort"')


def _receive_flags(receive: argparse.ArgumentParser) -> None:
    from simulator.endpoint import receiver

    receiver.add_arguments(receive)


def _contract_flags(contract: argparse.ArgumentParser) -> None:
    from simulator.contract.command import add_arguments

    add_arguments(contract)


def _merge_flags(merge: argparse.ArgumentParser) -> None:
    merge.add_argument(
        "out_dir", type=Path, metavar="OUT_DIR", help="where the merged files go (made if needed)"
    )
    merge.add_argument(
        "inputs",
        type=Path,
        nargs="+",
        metavar="SHARD_OUTPUT",
        help="shard outputs: attempt logs *.jsonl, --json documents *.json, JUnit *.xml, or "
        "directories holding them",
    )
    merge.add_argument(
        "--run",
        type=Path,
        metavar="FILE",
        help="the run file the shards played: its endpoint checks, which each shard skips, are "
        "judged on the summed counters",
    )


def _send_flags(send: argparse.ArgumentParser) -> None:
    from simulator.send.command import add_arguments

    add_arguments(send)


# The flags' converters, shared by every command (`simulator.runfile.flagtypes`): argparse shows
# their ValueError as "argument --flag: message" with exit 2 (no traceback, nothing started).
# Looked up when a flag is read: `--version` and `check` load no pydantic for them.


def _shared(name: str) -> Callable[[str], object]:
    """The converter `name` of `simulator.runfile.flagtypes`, imported on first use."""

    def convert(text: str) -> object:
        from simulator.runfile import flagtypes

        converter: Callable[[str], object] = getattr(flagtypes, name)
        return converter(text)

    convert.__name__ = name
    return convert


def _shard(text: str) -> Shard:
    from simulator.fleet.shard import parse_shard

    return parse_shard(text)


WORKERS_MAX = 64


def _workers(text: str) -> int:
    from simulator.core.bounds import parse_int

    return parse_int(text, low=1, high=WORKERS_MAX)


def _consumer_url(text: str) -> str:
    from simulator.runfile.flagtypes import parse_http_url

    if text == "embedded":
        raise ValueError("must be the consumer's http(s) URL (leave --endpoint out for embedded)")
    return parse_http_url(text)


_speed_type = _shared("speed")
_duration = _shared("duration")
_seed_type = _shared("seed")
_count_type = _shared("event_count")
_output_type = _shared("output_file")
_port_type = _shared("port")
_url_type = flag_type(_consumer_url, "URL")
_shard_type = flag_type(_shard, "shard")
_workers_type = flag_type(_workers, "workers")


def cmd_schema(args: argparse.Namespace) -> int:
    import orjson

    from simulator.runfile.scenario import run_json_schema

    if getattr(args, "events", None) is not None:
        return _write_contracts(args.events)
    if getattr(args, "result", False):
        from simulator.reports.jsondoc import result_json_schema

        schema = result_json_schema()
    else:
        schema = run_json_schema()
    sys.stdout.write(orjson.dumps(schema, option=orjson.OPT_INDENT_2).decode() + "\n")
    return 0


def _write_contracts(directory: Path) -> int:
    """`schema --events DIR`: every published contract, one file each, named on stdout."""
    from simulator.payloads.asyncapi import ASYNCAPI_FILE, asyncapi_document
    from simulator.payloads.jsonschemas import dump, json_schemas

    documents = {**json_schemas(), ASYNCAPI_FILE: asyncapi_document()}
    try:
        directory.mkdir(parents=True, exist_ok=True)
        for name, document in documents.items():
            (directory / name).write_bytes(dump(document))
    except OSError as exc:
        raise ConfigError(f"--events {directory}: cannot write there: {exc.strerror}") from None
    for name in documents:
        print(directory / name)
    return 0


def _files_even_if_interrupted(
    command: Callable[[argparse.Namespace], int],
) -> Callable[[argparse.Namespace], int]:
    """From its first moment, a signal to `command` is noted, not raised: while it reads its file
    and imports its machinery, a run still starts, stops at once and writes its summary and
    every file asked for, with the interruption marked."""

    @functools.wraps(command)
    def noting(args: argparse.Namespace) -> int:
        from simulator.shell import signals

        with signals.noted():
            return command(args)

    return noting


@_files_even_if_interrupted
def cmd_replay(args: argparse.Namespace) -> int:
    """Exit 0: every expectation held and every ledger balances; 1: not; 2: bad input."""
    from simulator.runfile.scenario import load_run
    from simulator.shell import clock
    from simulator.timeline.replay import against

    run = load_run(args.file)
    if args.seed is not None:
        run = run.with_overrides(seed=args.seed)
    if args.endpoint is not None:
        run = against(run, args.endpoint)
    run = _sharded(run, args)
    virtual = args.endpoint is None and args.speed is None
    duration = args.duration if args.duration is not None else run.duration
    if duration is None:
        raise ConfigError(f"{args.file}: a scenario needs an end: set duration: or pass --duration")
    if args.workers is not None:
        return _workers_play(args, run, cmd_replay)
    mode = clock.ClockMode.VIRTUAL if virtual else clock.ClockMode.SCALED
    play = Play("replay", run, virtual=virtual, duration=duration, mode=mode)
    return play.play(args, speed=args.speed or 1.0)


@dataclass(slots=True)
class Play:
    """One `run` or `replay` of a file, from the first push to the last file written.

    Both play the file's timeline and judge it (`simulator.timeline.replay`): `replay` its
    `expect:` block, `run` that block too or, without one, the default threshold
    (`simulator.timeline.gate`). A signal stops the pushing; the summary, the verdicts and every
    file asked for are still written, with the interruption marked."""

    command: Literal["run", "replay"]
    run: RunSpec
    virtual: bool
    duration: float | None
    mode: ClockMode
    machines: dict[str, Machine] = field(default_factory=dict)
    outcomes: Counter[str] = field(default_factory=Counter)
    report: ConsoleReport | None = None
    metrics: Metrics | None = None
    director: Director | None = None  # the run's director, once it has started
    control: ControlServer | None = None  # `--control-port`
    _wall: Callable[[float], float] | None = None  # simulated seconds to simulated Unix time
    _current: asyncio.Task[None] | None = None  # keeps production current for the live status
    _status: asyncio.Task[None] | None = None  # a worker's totals for its parent (--workers)
    tally: Tally | None = None  # a worker's attempts by outcome, for those totals

    def play(self, args: argparse.Namespace, *, speed: float) -> int:
        from simulator.core.timefmt import offset
        from simulator.reports.console import AttemptLog, Narrator
        from simulator.reports.jsondoc import Latencies
        from simulator.shell import clock, signals
        from simulator.timeline.replay import replay

        console = _console(args)
        latencies = Latencies()
        elapsed = clock.stopwatch()
        with signals.noted():
            with _attempt_log(args.log) as log:
                observers: list[Observer] = [latencies]
                if getattr(args, "status", None) is not None:  # a --workers process
                    from simulator.fleet.workers import Tally

                    self.tally = Tally()
                    observers.append(self.tally)
                if log is not None:
                    observers.append(AttemptLog(log))
                self.metrics = _metrics(args, console)
                if self.metrics is not None:
                    observers.append(self.metrics.observer)
                if self.command == "replay":
                    observers.append(Narrator(console, verbose=args.verbose))
                self.control = _control_server(args, self.run, self.mode, observers)
                played = replay(
                    self.run,
                    virtual=self.virtual,
                    duration=self.duration,
                    observers=observers,
                    say=lambda t, text: console.print(f"{offset(t)} step: {text}", style="cyan"),
                    on_start=lambda p: self._started(p, console, args),
                    default_gate=self.command == "run",
                    sampled=self.command == "replay",  # samples draw the --report picture
                    receiver_log=console.print if args.verbose and self.command == "run" else None,
                    on_director=self._directed,
                    on_step=functools.partial(self._stepped, log, args.shard),
                    steerable=getattr(args, "control_port", None) is not None,
                )
                played = _controlled(played, self.control, args, console)
                try:
                    recording = clock.run(signals.cancelling(played), mode=self.mode, speed=speed)
                finally:
                    self._current = None
                    if self.report is not None:
                        self.report.__exit__(None, None, None)
                    if self.metrics is not None:
                        self.metrics.close()
                if log is not None and recording.interrupted:
                    log.write(_interruption_line(recording))
            seconds = elapsed()
            if getattr(args, "status", None) is not None:
                from simulator.fleet.workers import snapshot

                assert self.tally is not None
                outcomes = self.tally.outcomes
                last = snapshot(
                    str(args.shard), self.machines, outcomes, recording.ended_at, done=True
                )
                args.status.put(last)
            code = self._summary(console, recording, seconds)
            self._write_files(recording, args, seconds, code, latencies)
        return code

    def _directed(self, director: Director) -> None:
        self.director = director
        if self.control is not None:
            self.control.attach(director)

    def _stepped(
        self, log: IO[bytes] | None, shard: Shard | None, at: float, step: StepSpec, text: str
    ) -> None:
        """A step applied (the file's or one given live): a line of the attempt log. Of a
        shard's (`--shard`), the line of a step its subscriptions take, and of a run-wide step
        in shard 1 only: the shards' merged log has each line the whole run's log has."""
        from simulator.reports.console import step_json

        name = step.subscription
        if shard is not None and (shard.index != 1 if name is None else name not in self.machines):
            return
        if log is not None:
            wall = self._wall(at) if self._wall is not None else at
            log.write(step_json(at, wall, step.as_data(), text))
            log.flush()

    def _started(self, producer: Producer, console: Console, args: argparse.Namespace) -> None:
        from simulator.reports.console import ConsoleReport

        assert producer.engine is not None
        self._wall = producer.engine.clock.wall
        self.machines = producer.engine.machines()
        if self.metrics is not None:
            self.metrics.observer.watch(self.machines, producer.engine.clock.now)
            if not self.virtual:  # the scrapes read the machines from another thread
                self._keep_current(producer)
        if getattr(args, "status", None) is not None:  # a --workers process: totals for the parent
            import asyncio

            from simulator.fleet.workers import send_status

            assert self.tally is not None
            send = send_status(
                args.status, str(args.shard), self.machines, self.tally, producer.engine.clock
            )
            self._status = asyncio.create_task(send)  # Runner cancels it when the run ends
        if self.command != "run":
            where = _servers(producer, args.endpoint)
            if where:
                console.print(f"{args.file}: {where}")
            return
        console.print(_banner(producer, args, self.duration))
        self.report = ConsoleReport(
            console,
            self.machines,
            producer.engine.clock.now,
            verbose=args.verbose,
            outcomes=self.outcomes,
        )
        self.report.__enter__()
        producer.engine.observers.append(self.report)
        if console.is_terminal:  # the live status reads the machines from another thread
            self._keep_current(producer)

    def _keep_current(self, producer: Producer) -> None:
        import asyncio

        assert producer.engine is not None
        if self._current is None:
            keep = _keep_current(self.machines, producer.engine.clock)
            self._current = asyncio.create_task(keep)  # Runner cancels it when the run ends

    def _summary(self, console: Console, recording: Recording, elapsed: float) -> int:
        from simulator.reports.console import print_summary

        if self.command == "run":
            counts = recording.endpoint
            print_summary(
                console,
                recording.ledgers,
                self.machines,
                ended_at=recording.ended_at,
                interrupted=bool(recording.interrupted),
                receiver={k: counts[k] for k in RECEIVER_COUNTS} if counts else None,
                outcomes=self.outcomes,
            )
        # A run's default threshold has a verdict per subscription: only those that failed are
        # worth a line each.
        quiet = self.command == "run" and not self.run.expect
        return _verdict_summary(console, recording, elapsed, only_failures=quiet)

    def _write_files(
        self,
        recording: Recording,
        args: argparse.Namespace,
        elapsed: float,
        code: int,
        latencies: Latencies,
    ) -> None:
        from simulator.reports.jsondoc import run_document
        from simulator.shell import pipes, signals

        if getattr(args, "record_scenario", None) is not None:
            from simulator.control.record import recorded

            live = self.director.live if self.director is not None else []
            text = recorded(
                self.run,
                args.source,
                live,
                duration=self.duration,
                ended_at=recording.ended_at,
                interrupted=recording.interrupted,
                shard=str(args.shard) if args.shard is not None else None,
            )
            pipes.write_text(args.record_scenario, text)
        if getattr(args, "report", None) is not None:
            from simulator.reports.html import render_html

            pipes.write_text(args.report, render_html(recording))
        if getattr(args, "junit", None) is not None:
            from simulator.reports.junit import render_junit

            pipes.write_text(args.junit, render_junit(recording, elapsed=elapsed))
        if args.json is not None:
            document = run_document(
                recording,
                command=self.command,
                states={name: str(m.state) for name, m in self.machines.items()},
                endpoints={s.name: s.endpoint for s in self.run.subscriptions},
                latencies=latencies,
                elapsed=elapsed,
                exit_code=signals.exit_code(code) if signals.received() is not None else code,
                shard=str(args.shard) if args.shard is not None else None,
            )
            pipes.write_bytes(args.json, document.dumps() + b"\n")


def _metrics(args: argparse.Namespace, console: Console) -> Metrics | None:
    """The run's Prometheus metrics: served on `--metrics-port`, or written for another process
    to serve when `PROMETHEUS_MULTIPROC_DIR` is set (a `--workers` worker); None without both.
    prometheus_client is imported only then (start-up stays light)."""
    import os

    port = args.metrics_port
    if port is None and not os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        return None
    from simulator.reports import metrics

    started = metrics.start(port, args.metrics_host)
    if started.server is not None:
        console.print(f"metrics: {started.server.url} (simulated time)")
    return started


def _control_server(
    args: argparse.Namespace, run: RunSpec, mode: ClockMode, observers: list[Observer]
) -> ControlServer | None:
    """The control API `--control-port` asks for (`simulator.control`), its observer added to
    `observers`; None without the flag."""
    if getattr(args, "control_port", None) is None:
        return None
    from simulator.control.server import ControlServer
    from simulator.shell.clock import ClockMode

    kind: Literal["real", "scaled", "virtual"] = "virtual"
    if mode is not ClockMode.VIRTUAL:
        kind = "real" if args.speed == 1.0 else "scaled"
    token = run.receiver.token
    server = ControlServer(token=token.reveal() if token is not None else None, clock=kind)
    observers.append(server.observer)
    return server


async def _controlled(
    played: Coroutine[Any, Any, Recording],
    control: ControlServer | None,
    args: argparse.Namespace,
    console: Console,
) -> Recording:
    """`played` with the control API (if any) listening from before its first push to its end."""
    if control is None:
        return await played
    url = await control.start(args.control_port)
    token = " (it needs the run's control token, receiver.token)" if control.guarded else ""
    console.print(f"control: {url}{token}; marketo-sim ctl {url} status")
    try:
        return await played
    finally:
        control.end()
        await control.stop()


async def _keep_current(machines: dict[str, Machine], clock: Clock) -> None:
    """Production brought up to now each simulated second, on the loop, for the live status: a
    subscription waiting to retry is polled by nothing else, and its queue would stand still.
    Time passing is path-independent in the machines: this changes no decision."""
    from simulator.reports.console import bring_up_to

    t = clock.now()
    while True:
        bring_up_to(machines, clock.now())
        t += 1.0
        await clock.sleep_until(t)


RECEIVER_COUNTS = ("batches", "events", "duplicates", "unauthorized")


def _console(args: argparse.Namespace) -> Console:
    """The console people read: standard error when a file flag named `-` (standard output
    then carries that file alone). Never wrapped: off a terminal, one line per event."""
    from rich.console import Console

    from simulator.shell import pipes

    named = [flag for flag in OUTPUT_FLAGS if pipes.is_stdout(getattr(args, flag, None))]
    if len(named) > 1:
        flags = " and ".join(f"--{flag} -" for flag in named)
        raise ConfigError(f"{flags}: only one file can go to standard output")
    return Console(highlight=False, soft_wrap=True, stderr=bool(named))


OUTPUT_FLAGS = ("log", "json", "junit", "report", "record_scenario")


def _interruption_line(recording: Recording) -> bytes:
    """The attempt log's last line when a signal stopped the run."""
    import orjson

    from simulator.core.timefmt import iso

    line = {
        "time": iso(recording.start_wall + recording.ended_at),
        "t": round(recording.ended_at, 6),
        "kind": "interrupted",
        "signal": recording.interrupted,
    }
    return orjson.dumps(line) + b"\n"


def _verdict_summary(
    console: Console, recording: Recording, elapsed: float, *, only_failures: bool = False
) -> int:
    from simulator.core.recording import VerdictStatus, judged
    from simulator.core.timefmt import offset

    balanced = all(ledger.balanced for ledger in recording.ledgers.values())
    for verdict in recording.verdicts:
        if verdict.passed and only_failures:
            continue
        mark = "[green]PASS[/]" if verdict.passed else "[red]FAIL[/]"
        when = f" at {offset(verdict.at)}" if verdict.at is not None else ""
        detail = (
            ""
            if verdict.passed
            else f": expected {verdict.expected}, observed {verdict.observed}{when}"
        )
        if verdict.unfinished:
            mark, detail = "[red]ERROR[/]", f": {verdict.observed}"
        elif verdict.skipped is not None:
            mark, detail = "[yellow]SKIP[/]", f": {verdict.skipped}"
        console.print(f"{mark} {verdict.name}{detail}")
    statuses = [v.status for v in recording.verdicts]
    failed = statuses.count(VerdictStatus.FAILED) + statuses.count(VerdictStatus.ERROR)
    ledger = "balanced" if balanced else "[red]does not balance[/]"
    console.print(
        f"{judged(statuses)}; ledger {ledger}; {offset(recording.ended_at)} simulated in "
        f"{elapsed:.2f}s"
    )
    if recording.interrupted:
        from simulator.shell import signals

        console.print(f"[red]interrupted by {recording.interrupted}[/]: exit {signals.exit_code()}")
    return 0 if failed == 0 and balanced else 1


def cmd_check(args: argparse.Namespace) -> int:
    """Validate without secrets: an unset variable is a warning here (`run` refuses it)."""
    from simulator.runfile.scenario import check_run

    run, unset = check_run(args.file)
    for warning in unset:
        print(f"marketo-sim: warning: {warning} (run needs it; check does not)", file=sys.stderr)
    names = ", ".join(s.name for s in run.subscriptions)
    print(f"{args.file}: ok ({len(run.subscriptions)} subscription(s): {names})")
    return 0


def cmd_events(args: argparse.Namespace) -> int:
    """JSON Lines, one event a line, for every stream and profile (legacy activities, Adobe I/O
    envelopes), each written as it is made: memory stays flat whatever --count, and a reader
    that goes away (`| head`) ends it at once, quietly. With --batch one JSON document, the body
    of one delivery (the legacy batch wrapper, or the Adobe I/O array), so --count is bounded by
    the largest delivery a run file can ask for."""
    import orjson

    from simulator.payloads.events import SAMPLE_AT
    from simulator.payloads.formats import legacy_batch
    from simulator.payloads.iostreams import iter_sample_events
    from simulator.shell import pipes

    ref = _events_ref(args)
    profile = args.profile or ("marketo-legacy" if args.stream == "lead-activity" else "adobe-io")
    if args.batch and args.count > (most := _batch_most(profile)):
        raise ConfigError(
            f"--count {args.count}: one {profile} delivery (--batch) carries 1 to {most} events"
        )
    events = iter_sample_events(
        args.stream, ref=ref, action=args.action, count=args.count, seed=args.seed, profile=profile
    )
    if not args.batch:
        write = sys.stdout.write
        for event in events:
            write(orjson.dumps(event, option=orjson.OPT_APPEND_NEWLINE).decode())
            if pipes.closed():
                break
        return 0
    if profile == "marketo-legacy":
        # Formed at the next 2 s push after the last activity (dated SAMPLE_AT + seq): a batch
        # is never older than what it carries.
        created = SAMPLE_AT + max(args.count - 1, 0) + 2
        body = legacy_batch(
            munchkin_id="123-ABC-456", message_id="1", created_at=created, activities=list(events)
        )
        document: object = orjson.loads(body)
    else:
        document = list(events)
    sys.stdout.write(orjson.dumps(document, option=orjson.OPT_INDENT_2).decode() + "\n")
    return 0


def _batch_most(profile: str) -> int:
    """The most events one delivery of `profile` carries: the upper bound of a run file's
    `batchSize` (legacy) or `io.maxEvents` (Adobe I/O), read from the field itself."""
    from simulator.runfile.fields import Range
    from simulator.runfile.subscription import IoSpec, SubscriptionSpec

    model, name = (
        (SubscriptionSpec, "batch_size") if profile == "marketo-legacy" else (IoSpec, "max_events")
    )
    bound = next(m for m in model.model_fields[name].metadata if isinstance(m, Range))
    assert bound.high is not None
    return int(bound.high)


def _events_ref(args: argparse.Namespace) -> str | None:
    """The one type, component or kind the `events` arguments name, checked against --stream."""
    flags = {"--component": ("user-audit", args.component), "--kind": ("notification", args.kind)}
    for flag, (stream, value) in flags.items():
        if value is not None and args.stream != stream:
            raise ConfigError(f"{flag} needs --stream {stream}")
    named = [value for value in (args.type, args.component, args.kind) if value is not None]
    if len(named) > 1:
        raise ConfigError("name one activity type, component or kind, not several")
    return named[0] if named else None


def cmd_contract(args: argparse.Namespace) -> int:
    """Exit 0: every check passed; 1: one failed or was skipped; 2: bad input; 3: unreachable."""
    from simulator.contract.command import command

    return command(args)


def cmd_merge(args: argparse.Namespace) -> int:
    """Exit 0: merged, and the merged run passed (or no --json document was given); 1: the
    merged run did not pass; 2: a missing, unreadable or mixed input."""
    from simulator.fleet.merge import merge_dir

    expectations: tuple[ExpectSpec, ...] = ()
    if args.run is not None:
        from simulator.runfile.scenario import load_run

        expectations = load_run(args.run).expect
    merged = merge_dir(args.out_dir, args.inputs, expectations)
    for line in merged.written:
        print(f"wrote {line}")
    for warning in merged.warnings:
        print(f"marketo-sim: warning: {warning}", file=sys.stderr)
    document = merged.document
    if document is None:
        return 0
    totals = document.totals
    assert totals is not None
    ledger = "balanced" if totals.ledger.balanced else "does not balance"
    counts = totals.ledger.counts()
    print(
        f"{document.file}: {totals.subscriptions} subscription(s), "
        f"{counts.produced:,} produced, {counts.acknowledged:,} acknowledged, "
        f"{totals.attempts:,} attempts; ledger {ledger}; "
        f"{'passed' if document.passed else 'not passed'}"
    )
    return document.exit_code


def cmd_send(args: argparse.Namespace) -> int:
    """Exit 0: the consumer answered 2xx; 1: anything else; 2: bad input."""
    from simulator.send.command import command

    return command(args)


def cmd_ctl(args: argparse.Namespace) -> int:
    """Exit 0: done; 1: the run refused it; 2: bad flags; 3: nothing listens at the URL."""
    from simulator.control.ctl import command

    return command(args)


def cmd_receive(args: argparse.Namespace) -> int:
    from simulator.endpoint import receiver
    from simulator.shell import clock, signals

    # A signal cancels it; it prints its stats and returns, and `main` gives 130 or 143.
    with signals.noted():
        return clock.run(signals.cancelling(receiver.serve(args)))


@_files_even_if_interrupted
def cmd_run(args: argparse.Namespace) -> int:
    """Exit 0: every check held (the `expect:` block, or by default every subscription that
    produced events had some acknowledged) and every ledger balances; 1: not; 2: bad input."""
    from simulator.runfile.scenario import load_run
    from simulator.shell import clock

    run = load_run(args.file)
    if args.record_scenario is not None:  # as it is now: the file may change during the run
        args.source = _source_text(args.file)
    if args.seed is not None:
        run = run.with_overrides(seed=args.seed)
    run = _sharded(run, args)
    duration = args.duration if args.duration is not None else run.duration
    if args.virtual and duration is None:
        raise ConfigError(
            f"{args.file}: a virtual run needs an end: set duration: in the file or pass --duration"
        )
    if args.workers is not None:
        steering = [f for f in ("control_port", "record_scenario") if getattr(args, f) is not None]
        if steering:
            flag = "--" + steering[0].replace("_", "-")
            raise ConfigError(f"{flag} steers one process: leave out --workers")
        return _workers_play(args, run, cmd_run)
    mode = clock.ClockMode.VIRTUAL if args.virtual else clock.ClockMode.SCALED
    play = Play("run", run, virtual=args.virtual, duration=duration, mode=mode)
    return play.play(args, speed=args.speed)


def _source_text(path: Path) -> str:
    """The text of the run file `load_run` has just read and checked (so: bounded, UTF-8)."""
    try:
        return path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: can't read it again: {exc}") from None


def _workers_play(
    args: argparse.Namespace, run: RunSpec, handler: Callable[[argparse.Namespace], int]
) -> int:
    """`--workers N`: the file checked here, played by N shard processes (`simulator.fleet`)."""
    from simulator.fleet.workers import play_workers
    from simulator.shell import pipes

    to_stdout = any(pipes.is_stdout(getattr(args, flag, None)) for flag in OUTPUT_FLAGS)
    return play_workers(args, run, handler, out=sys.stderr if to_stdout else sys.stdout)


def _sharded(run: RunSpec, args: argparse.Namespace) -> RunSpec:
    """The slice of `run` that `--shard` names; all of it without the flag."""
    if args.shard is None:
        return run
    from simulator.fleet.shard import sliced

    return sliced(run, args.shard)


@contextlib.contextmanager
def _attempt_log(path: Path | None) -> Iterator[IO[bytes] | None]:
    """The `--log` file, each line flushed as it is written (`AttemptLog`); `-` is stdout."""
    from simulator.shell import pipes

    if path is None:
        yield None
        return
    with pipes.open_binary(path) as stream:
        yield stream


def _servers(producer: Producer, endpoint: str | None) -> str:
    """The addresses a consumer may need while the run goes: the dev endpoint, Adobe I/O's
    public keys and journal, and the fault proxy in front of `endpoint`."""
    from simulator.producer import EMBEDDED

    where = []
    if producer.receiver is not None:
        where.append(f"dev endpoint {producer.receiver.url}")
    if producer.publisher is not None:
        where.append(f"Adobe I/O keys and journal {producer.publisher.url}")
    proxies = sorted({s.endpoint for s in producer.run.subscriptions} - {endpoint, EMBEDDED})
    if endpoint is not None and proxies:
        where.append(f"fault proxy {', '.join(proxies)} in front of {endpoint}")
    return "; ".join(where)


def _banner(producer: Producer, args: argparse.Namespace, duration: float | None) -> str:
    run = producer.run
    if args.virtual:
        pace = "virtual clock (idle time skipped)"
    elif args.speed != 1.0:
        pace = f"speed {args.speed:g} (1 real second = {args.speed:g} simulated seconds)"
    else:
        pace = "real time"
    until = f", for {duration:g} simulated seconds" if duration is not None else ", until Ctrl-C"
    servers = _servers(producer, None)
    where = f"; {servers}" if servers else ""
    count = f"{len(run.subscriptions)} subscription(s)"
    if args.shard is not None:
        count = f"shard {args.shard}: {len(run.subscriptions)} of {len(run.whole)} subscription(s)"
    return (
        f"[bold]marketo-sim[/] {args.file}: munchkin {run.munchkin_id}, "
        f"{count}, {pace}{until}{where}"
    )


# name: (help, the function that adds its flags, the function that runs it)
Command = tuple[str, Callable[[argparse.ArgumentParser], None], Callable[[argparse.Namespace], int]]
COMMANDS: dict[str, Command] = {
    "run": ("push the subscriptions of a run file", _run_flags, cmd_run),
    "replay": ("play a scenario and judge its expectations", _replay_flags, cmd_replay),
    "schema": (
        "print the JSON Schema of run files, or write the published event contracts (--events)",
        _schema_flags,
        cmd_schema,
    ),
    "check": ("validate a run file without sending anything", _check_flags, cmd_check),
    "events": ("print sample Data Streams payloads", _events_flags, cmd_events),
    "receive": ("run the dev endpoint on 127.0.0.1", _receive_flags, cmd_receive),
    "contract": (
        "check a running consumer against the producer's contract",
        _contract_flags,
        cmd_contract,
    ),
    "send": ("send one delivery as the producer would, print the answer", _send_flags, cmd_send),
    "merge": ("merge the outputs of a run's shards into one", _merge_flags, cmd_merge),
    "ctl": ("steer a running run --control-port: status, burst, endpoint...", _ctl_flags, cmd_ctl),
}
