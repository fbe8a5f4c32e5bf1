"""`marketo-sim`: parse the command line, build what it names, run it, return an exit code.

Exit codes: 0 a clean run, 1 a ledger that does not balance (or another failure of the run),
2 bad input (nothing is sent), 70 an internal error in the delivery machine.

Start-up stays short (`--version` and `check` within 0.3 s; `make bench` times them): the
arguments are parsed first, and each command imports its machinery inside its own branch. Only
the named command's flags are built, because some of them (`events`, `receive`, `contract`) draw
their choices from modules that pull in aiohttp or the event generator. `tests/test_startup.py`
checks that `--version` and `check` load none of the heavy packages.
"""

from __future__ import annotations

import argparse
import contextlib
import sys
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import IO, TYPE_CHECKING

from simulator import __version__
from simulator.core.bounds import flag_type
from simulator.errors import ConfigError, SimulatorError

if TYPE_CHECKING:
    from rich.console import Console

    from simulator.core.recording import Recording
    from simulator.producer import Producer, RunResult


def main(argv: Sequence[str] | None = None) -> int:
    words = list(sys.argv[1:] if argv is None else argv)
    parser = build_parser(only=_command_of(words))
    args = parser.parse_args(words)
    try:
        code: int = args.handler(args)
    except SimulatorError as exc:
        print(f"marketo-sim: error: {exc}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        return 130
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
    run.add_argument(
        "-v", "--verbose", action="store_true", help="print every attempt and every batch received"
    )


def _replay_flags(replay: argparse.ArgumentParser) -> None:
    replay.add_argument("file", type=Path, help="the scenario file (YAML)")
    replay.add_argument(
        "--endpoint",
        type=_url_type,
        metavar="URL",
        help="push to a real consumer (endpoint steps are skipped)",
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
    replay.add_argument("-v", "--verbose", action="store_true", help="print every attempt")


def _no_flags(command: argparse.ArgumentParser) -> None:
    pass


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


def _send_flags(send: argparse.ArgumentParser) -> None:
    from simulator.send.command import add_arguments

    add_arguments(send)


# The flags' converters: each parses with `simulator.core.bounds`, whose ValueError argparse
# shows as "argument --flag: message" with exit 2 (no traceback, nothing started).


def _speed(text: str) -> float:
    from simulator.core.bounds import SPEED_MAX, SPEED_MIN, parse_float

    return parse_float(text, low=SPEED_MIN, high=SPEED_MAX)


def _positive_duration(text: str) -> float:
    from simulator.runfile.fields import parse_duration

    seconds = parse_duration(text)
    if seconds <= 0:
        raise ValueError(f"must be longer than 0s (got {text})")
    return seconds


def _seed(text: str) -> int:
    from simulator.core.bounds import SEED_MAX, parse_int

    return parse_int(text, low=0, high=SEED_MAX)


def _event_count(text: str) -> int:
    from simulator.core.bounds import COUNT_MAX, parse_int

    return parse_int(text, low=1, high=COUNT_MAX)


def _output_file(text: str) -> Path:
    from simulator.core.bounds import parse_output_path

    return Path(parse_output_path(text))


def _consumer_url(text: str) -> str:
    from simulator.runfile.fields import check_url

    if text == "embedded":
        raise ValueError("must be the consumer's http(s) URL (leave --endpoint out for embedded)")
    try:
        return check_url(text)
    except ValueError as exc:
        # The file's message offers `embedded` too, which this flag does not take.
        raise ValueError(str(exc).replace("must be embedded or an", "must be an")) from None


_speed_type = flag_type(_speed, "speed")
_duration = flag_type(_positive_duration, "duration")
_seed_type = flag_type(_seed, "seed")
_count_type = flag_type(_event_count, "count")
_output_type = flag_type(_output_file, "file")
_url_type = flag_type(_consumer_url, "URL")


def cmd_schema(args: argparse.Namespace) -> int:
    import orjson

    from simulator.runfile.scenario import run_json_schema

    sys.stdout.write(orjson.dumps(run_json_schema(), option=orjson.OPT_INDENT_2).decode() + "\n")
    return 0


def cmd_replay(args: argparse.Namespace) -> int:
    from rich.console import Console

    from simulator.core.records import Observer
    from simulator.core.timefmt import offset
    from simulator.reports.console import AttemptLog, Narrator
    from simulator.runfile.scenario import load_run
    from simulator.shell import clock
    from simulator.timeline.replay import against, replay

    run = load_run(args.file)
    if args.seed is not None:
        run = run.with_overrides(seed=args.seed)
    if args.endpoint is not None:
        run = against(run, args.endpoint)
    virtual = args.endpoint is None and args.speed is None
    duration = args.duration if args.duration is not None else run.duration
    if duration is None:
        raise ConfigError(f"{args.file}: a scenario needs an end: set duration: or pass --duration")
    console = Console(highlight=False)
    mode = clock.ClockMode.VIRTUAL if virtual else clock.ClockMode.SCALED
    elapsed_real = clock.stopwatch()
    with _attempt_log(args.log) as log:
        observers: list[Observer] = [Narrator(console, verbose=args.verbose)]
        if log is not None:
            observers.append(AttemptLog(log))
        say = lambda t, text: console.print(  # noqa: E731
            f"{offset(t)} step: {text}", style="cyan", soft_wrap=True
        )

        def started(p: Producer) -> None:
            where = _servers(p, args.endpoint)
            if where:
                console.print(f"{args.file}: {where}", soft_wrap=True)

        play = replay(
            run, virtual=virtual, duration=duration, observers=observers, say=say, on_start=started
        )
        recording = clock.run(
            play,
            mode=mode,
            speed=args.speed or 1.0,
        )
    elapsed = elapsed_real()
    _write_reports(recording, args, elapsed)
    return _verdict_summary(console, recording, elapsed)


def _write_reports(recording: Recording, args: argparse.Namespace, elapsed: float) -> None:
    if args.report is not None:
        from simulator.reports.html import render_html

        args.report.write_text(render_html(recording), encoding="utf-8")
    if args.junit is not None:
        from simulator.reports.junit import render_junit

        args.junit.write_text(render_junit(recording, elapsed=elapsed), encoding="utf-8")


def _verdict_summary(console: Console, recording: Recording, elapsed: float) -> int:
    from simulator.core.timefmt import offset

    balanced = all(ledger.balanced for ledger in recording.ledgers.values())
    for verdict in recording.verdicts:
        mark = "[green]PASS[/]" if verdict.passed else "[red]FAIL[/]"
        when = f" at {offset(verdict.at)}" if verdict.at is not None else ""
        detail = (
            ""
            if verdict.passed
            else f": expected {verdict.expected}, observed {verdict.observed}{when}"
        )
        if verdict.skipped is not None:
            mark, detail = "[yellow]SKIP[/]", f": {verdict.skipped}"
        console.print(f"{mark} {verdict.name}{detail}", soft_wrap=True)
    failed = sum(not v.passed for v in recording.verdicts)
    skipped = sum(v.skipped is not None for v in recording.verdicts)
    ledger = "balanced" if balanced else "[red]does not balance[/]"
    console.print(
        f"{len(recording.verdicts) - failed - skipped} passed, {failed} failed"
        + (f", {skipped} skipped" if skipped else "")
        + f"; ledger {ledger}; "
        f"{offset(recording.ended_at)} simulated in {elapsed:.2f}s",
        soft_wrap=True,
    )
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
    """Legacy activities (a JSON array, or with --batch the §1b wrapper); Adobe I/O envelopes
    (one JSON document per single delivery, or with --batch the one array of a batch delivery)."""
    import orjson

    from simulator.payloads.events import SAMPLE_AT
    from simulator.payloads.formats import legacy_batch
    from simulator.payloads.iostreams import sample_events

    ref = _events_ref(args)
    profile = args.profile or ("marketo-legacy" if args.stream == "lead-activity" else "adobe-io")
    events = sample_events(
        args.stream, ref=ref, action=args.action, count=args.count, seed=args.seed, profile=profile
    )
    if profile == "marketo-legacy" and args.batch:
        # Formed at the next 2 s push after the last activity (dated SAMPLE_AT + seq): a batch
        # is never older than what it carries.
        created = SAMPLE_AT + max(args.count - 1, 0) + 2
        body = legacy_batch(
            munchkin_id="123-ABC-456", message_id="1", created_at=created, activities=events
        )
        documents: list[object] = [orjson.loads(body)]
    elif profile == "marketo-legacy" or args.batch:
        documents = [events]
    else:
        documents = list(events)
    for document in documents:
        sys.stdout.write(orjson.dumps(document, option=orjson.OPT_INDENT_2).decode() + "\n")
    return 0


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


def cmd_send(args: argparse.Namespace) -> int:
    """Exit 0: the consumer answered 2xx; 1: anything else; 2: bad input."""
    from simulator.send.command import command

    return command(args)


def cmd_receive(args: argparse.Namespace) -> int:
    from simulator.endpoint import receiver
    from simulator.shell import clock

    with contextlib.suppress(KeyboardInterrupt):
        return clock.run(receiver.serve(args))
    return 0


def cmd_run(args: argparse.Namespace) -> int:
    from rich.console import Console

    from simulator.producer import Producer
    from simulator.reports.console import AttemptLog, print_summary
    from simulator.runfile.scenario import load_run
    from simulator.shell import clock

    run = load_run(args.file)
    if args.seed is not None:
        run = run.with_overrides(seed=args.seed)
    duration = args.duration if args.duration is not None else run.duration
    if args.virtual and duration is None:
        raise ConfigError(
            f"{args.file}: a virtual run needs an end: set duration: in the file or pass --duration"
        )
    console = Console(highlight=False)
    producer = Producer(
        run, virtual=args.virtual, receiver_log=console.print if args.verbose else None
    )
    mode = clock.ClockMode.VIRTUAL if args.virtual else clock.ClockMode.SCALED
    outcomes: Counter[str] = Counter()  # the live status counts attempts by outcome into it
    with _attempt_log(args.log) as log:
        if log is not None:
            producer.observers.append(AttemptLog(log))
        played = _play(producer, console, duration, args, outcomes)
        result = clock.run(played, mode=mode, speed=args.speed)
    print_summary(
        console,
        result.ledgers,
        result.machines,
        ended_at=result.ended_at,
        interrupted=result.interrupted,
        receiver=_receiver_counts(result),
        outcomes=outcomes,
    )
    if not result.balanced:
        console.print(
            "[red]the ledger does not balance: events were lost or counted twice[/]", soft_wrap=True
        )
        return 1
    return 0


@contextlib.contextmanager
def _attempt_log(path: Path | None) -> Iterator[IO[bytes] | None]:
    if path is None:
        yield None
        return
    with path.open("wb") as stream:
        yield stream


async def _play(
    producer: Producer,
    console: Console,
    duration: float | None,
    args: argparse.Namespace,
    outcomes: Counter[str],
) -> RunResult:
    import asyncio

    from simulator.core.timefmt import offset
    from simulator.reports.console import ConsoleReport
    from simulator.timeline.director import Director

    report: ConsoleReport | None = None
    timeline: list[asyncio.Task[None]] = []

    def attach(p: Producer) -> None:
        nonlocal report
        assert p.engine is not None
        machines = {lane.name: lane.machine for lane in p.engine.lanes}
        console.print(_banner(p, args, duration), soft_wrap=True)
        report = ConsoleReport(
            console, machines, p.engine.clock.now, verbose=args.verbose, outcomes=outcomes
        )
        report.__enter__()
        p.engine.observers.append(report)
        # A run plays the file's timeline too; judging expectations is `replay`'s job.
        director = Director(
            p, say=lambda t, text: console.print(f"{offset(t)} step: {text}", soft_wrap=True)
        )
        timeline.append(asyncio.create_task(director.play(p.engine.clock)))

    try:
        return await producer.play(duration, on_start=attach)
    finally:
        for task in timeline:
            task.cancel()
        if report is not None:
            report.__exit__(None, None, None)
        await asyncio.sleep(0)


def _banner(producer: Producer, args: argparse.Namespace, duration: float | None) -> str:
    run = producer.run
    if args.virtual:
        pace = "virtual clock (idle time skipped)"
    elif args.speed != 1.0:
        pace = f"speed {args.speed:g} (1 real second = {args.speed:g} simulated seconds)"
    else:
        pace = "real time"
    until = f", for {duration:g} simulated seconds" if duration is not None else ", until Ctrl-C"
    where = f"; dev endpoint {producer.receiver.url}" if producer.receiver is not None else ""
    if producer.publisher is not None:
        where += f"; Adobe I/O keys and journal {producer.publisher.url}"
    return (
        f"[bold]marketo-sim[/] {args.file}: munchkin {run.munchkin_id}, "
        f"{len(run.subscriptions)} subscription(s), {pace}{until}{where}"
    )


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


def _receiver_counts(result: RunResult) -> dict[str, int] | None:
    if result.receiver is None:
        return None
    stats = result.receiver.stats
    return {
        "batches": stats.batches,
        "events": stats.events,
        "duplicates": stats.duplicates,
        "unauthorized": stats.unauthorized,
    }


# name: (help, the function that adds its flags, the function that runs it)
Command = tuple[str, Callable[[argparse.ArgumentParser], None], Callable[[argparse.Namespace], int]]
COMMANDS: dict[str, Command] = {
    "run": ("push the subscriptions of a run file", _run_flags, cmd_run),
    "replay": ("play a scenario and judge its expectations", _replay_flags, cmd_replay),
    "schema": ("print the JSON Schema of run and scenario files", _no_flags, cmd_schema),
    "check": ("validate a run file without sending anything", _check_flags, cmd_check),
    "events": ("print sample Data Streams payloads", _events_flags, cmd_events),
    "receive": ("run the dev endpoint on 127.0.0.1", _receive_flags, cmd_receive),
    "contract": (
        "check a running consumer against the producer's contract",
        _contract_flags,
        cmd_contract,
    ),
    "send": ("send one delivery as the producer would, print the answer", _send_flags, cmd_send),
}
