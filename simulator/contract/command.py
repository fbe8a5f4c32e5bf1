"""`marketo-sim contract`: is a running consumer fit for the real producer?

The battery of named checks (`checks`) runs against the consumer's endpoint (`runner`), one
after the other, on the running loop's clock: the real one from the command line (`clock.run`), a
looptime loop in tests. The contract talks only to the endpoint, to the processed-ids URL or
command the user names, and to its own key host on 127.0.0.1 (Adobe I/O profile).

Results are truthful: a check that did not run is "skipped" with the reason, never "passed"; one
that a signal interrupted is an "error", and the exit code is then 130 (SIGINT) or 143 (SIGTERM).
Exit codes: 0 every selected check passed; 1 a check failed or was skipped; 2 bad usage or input;
3 the consumer could not be reached at all (the first request, a GET on the endpoint, got no
HTTP answer), in which case no check runs.
"""

from __future__ import annotations

import argparse
import secrets
import sys
from dataclasses import replace

from yarl import URL

from simulator.contract.checks import CHECKS
from simulator.contract.findings import CheckStatus
from simulator.contract.probe import ADOBE_IO, LEGACY, RatePlan, Target
from simulator.contract.processed import (
    ProcessedCommand,
    ProcessedSource,
    ProcessedUrl,
)
from simulator.contract.runner import (
    EXIT_PASSED,
    TIMED_OUT,
    CheckResult,
    ContractRun,
    run_contract,
    select_checks,
)
from simulator.errors import ConfigError
from simulator.payloads.catalog import select_activity_types
from simulator.payloads.iostreams import PROFILES, STREAMS
from simulator.reports.jsondoc import CheckResultDoc, ResultDocument
from simulator.reports.junit import JUnitCase, render_cases
from simulator.runfile import flagtypes
from simulator.runfile.flagtypes import secret_from_env
from simulator.shell import clock, pipes, signals

MAX_SUSTAIN = 3600.0
MAX_SUBSCRIPTIONS = 64
_subscriptions = flagtypes.int_between(1, MAX_SUBSCRIPTIONS, "subscriptions")
RAMP_CAP = {LEGACY: 64, ADOBE_IO: 32}  # subscriptions: 32 I/O ones hold 320 requests in flight


# ---- what the command writes ------------------------------------------------------------------


def contract_summary(run: ContractRun) -> str:
    """The last line: counts and the exit code, or why nothing ran."""
    if run.unreachable:
        return (
            f"the consumer at {run.target.endpoint} could not be reached ({run.unreachable}); "
            "no check ran"
        )
    n = {status: sum(r.status is status for r in run.results) for status in CheckStatus}
    text = (
        f"{n[CheckStatus.PASSED]} passed, {n[CheckStatus.FAILED]} failed, "
        f"{n[CheckStatus.SKIPPED]} skipped"
    )
    if n[CheckStatus.ERROR]:
        text += f", {n[CheckStatus.ERROR]} interrupted"
    text += f": exit {exit_code(run)}"
    if any(r.evidence.startswith(TIMED_OUT) for r in run.results):
        text += " (the --timeout ran out: allow more time, or --skip some checks)"
    elif n[CheckStatus.SKIPPED] and not run.interrupted:
        text += " (a skipped check is no pass: give it what it needs, or --skip it)"
    return text


def run_properties(run: ContractRun) -> dict[str, str]:
    """What a run was played against, and the seed that repeats it (`--seed`)."""
    target = run.target
    return {
        "endpoint": target.endpoint,
        "profile": target.profile,
        "stream": target.stream,
        "seed": str(target.seed),
    }


def exit_code(run: ContractRun) -> int:
    """The run's exit code; 130 or 143 when a signal interrupted it."""
    return signals.exit_code() if signals.received() is not None else run.exit_code


def to_json(run: ContractRun, *, elapsed: float = 0.0) -> bytes:
    """The `--json` document (`simulator.reports.jsondoc`): each check's status, evidence,
    duration and figures, under the tool's version, the endpoint and the verdict."""
    target = run.target
    document = ResultDocument(
        command="contract",
        file=None,
        endpoint=target.endpoint,
        profile=target.profile,
        stream=target.stream,
        seed=target.seed,
        simulated_start=None,
        simulated_seconds=round(sum(r.duration for r in run.results), 3),
        elapsed_seconds=round(elapsed, 3),
        interrupted=(signals.name() or "cancelled") if run.interrupted else None,
        exit_code=exit_code(run),
        passed=run.exit_code == EXIT_PASSED and not run.interrupted,
        totals=None,
        checks=[
            CheckResultDoc(
                name=r.name,
                status=r.status.value,
                evidence=r.evidence,
                duration=round(r.duration, 3),
                metrics={k: round(v, 6) for k, v in r.metrics.items()},
            )
            for r in run.results
        ],
    )
    return document.dumps()


def to_junit(run: ContractRun, *, elapsed: float = 0.0) -> str:
    """One test case per check: failures carry the evidence, skips the reason, an interrupted
    check is an error."""
    target = run.target
    classname = f"contract.{target.profile}.{target.stream}"
    cases = [_case(r, classname) for r in run.results]
    properties = run_properties(run)
    if run.interrupted:
        properties["interrupted"] = signals.name() or "cancelled"
    suite = f"marketo-sim contract {target.endpoint}"
    return render_cases(suite, cases, properties=properties, elapsed=elapsed)


def _case(result: CheckResult, classname: str) -> JUnitCase:
    failure = details = None
    if result.status is CheckStatus.FAILED:
        failure = result.evidence
        details = f"check: {result.name}\nproves: {_proves(result.name)}\nevidence: {failure}"
    skipped = result.evidence if result.status is CheckStatus.SKIPPED else None
    error = result.evidence if result.status is CheckStatus.ERROR else None
    return JUnitCase(
        name=result.name,
        classname=classname,
        time=result.duration,
        failure=failure,
        details=details or "",
        skipped=skipped,
        error=error,
    )


def _proves(name: str) -> str:
    return next(c.proves for c in CHECKS if c.name == name)


# ---- the command line --------------------------------------------------------------------------


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.description = (
        "Run named checks against a running consumer: is it fit for the real producer? "
        "A skipped check is no pass: give it what it needs, or --skip it."
    )
    parser.epilog = (
        "exit codes: 0 every selected check passed; 1 a check failed or was skipped; "
        "2 bad usage or input; 3 the consumer could not be reached. --list names the checks."
    )
    add = parser.add_argument
    add("--endpoint", type=flagtypes.http_url, metavar="URL", help="the consumer's URL (required)")
    add("--profile", choices=PROFILES, help="marketo-legacy (lead-activity default) or adobe-io")
    add("--stream", choices=STREAMS, default="lead-activity", help="default: lead-activity")
    add(
        "--activity-types", metavar="LIST", help='subscribed types (default all), e.g. "1,New Lead"'
    )
    add("--token-env", metavar="NAME", help="environment variable holding the valid token")
    add("--next-token-env", metavar="NAME", help="... holding a second valid token (token-change)")
    add("--verifies-signatures", action="store_true", help="the consumer verifies I/O signatures")
    add(
        "--key-port",
        type=flagtypes.port,
        default=0,
        metavar="N",
        help="key host port (default: any free)",
    )
    processed = parser.add_mutually_exclusive_group()
    processed.add_argument(
        "--processed-url", type=flagtypes.http_url, metavar="URL", help="a GET lists processed ids"
    )
    processed.add_argument("--processed-cmd", metavar="CMD", help="prints the processed ids")
    add("--check", action="append", default=[], metavar="NAME", help="run this check (repeat)")
    add("--skip", action="append", default=[], metavar="NAME", help="leave this check out")
    add(
        "--sustain",
        type=flagtypes.time_limit(MAX_SUSTAIN),
        default=30.0,
        metavar="TIME",
        help="sustained-rate: how long (30s)",
    )
    add(
        "--subscriptions",
        type=_subscriptions,
        default=1,
        metavar="N",
        help="sustained-rate: how many (1)",
    )
    add("--ramp-max", type=_subscriptions, metavar="N", help="its ramp's bound (4 x N)")
    add(
        "--junit",
        type=flagtypes.output_file,
        metavar="FILE",
        help="write JUnit XML, one case per check",
    )
    add(
        "--json",
        type=flagtypes.output_file,
        metavar="FILE",
        help="write the results as JSON (- is standard output)",
    )
    add(
        "--timeout",
        type=flagtypes.duration,
        metavar="TIME",
        help="bound the whole contract, e.g. 5m: the check running then fails, the rest do not run",
    )
    add(
        "--seed",
        type=flagtypes.seed,
        help="seed of the events and ids sent (default: a new one each run, printed; "
        "give it to repeat a run exactly)",
    )
    add("--list", action="store_true", help="list the checks and what each proves, then exit")


def command(args: argparse.Namespace) -> int:
    """`marketo-sim contract`: run the battery and report; returns the exit code."""
    if args.list:
        for check in CHECKS:
            print(f"{check.name:15} {check.proves}")
        return EXIT_PASSED
    target = target_from(args)
    checks = select_checks(target.profile, args.check, args.skip)
    rate = _rate_plan(args, target.profile)
    processed = _processed(args)
    names = ", ".join(check.name for check in checks)
    # With a file going to standard output, the lines people read go to standard error.
    to_stdout = pipes.is_stdout(args.json) or pipes.is_stdout(args.junit)
    if pipes.is_stdout(args.json) and pipes.is_stdout(args.junit):
        raise ConfigError("--json - and --junit -: only one file can go to standard output")
    out = sys.stderr if to_stdout else None

    def say(text: str) -> None:
        print(text, file=out or sys.stdout, flush=True)

    elapsed = clock.stopwatch()
    with signals.noted():  # from the first line on, a signal still leaves the files
        say(f"marketo-sim contract {target.endpoint}: {target.profile}, {target.stream}; {names}")
        say(f"seed {target.seed} (--seed {target.seed} sends these events again)")
        run = clock.run(
            signals.cancelling(
                run_contract(
                    target,
                    checks=checks,
                    processed=processed,
                    rate=rate,
                    key_port=args.key_port,
                    say=say,
                    limit=args.timeout,
                )
            )
        )
        seconds = elapsed()
        if args.json is not None:
            pipes.write_bytes(args.json, to_json(run, elapsed=seconds) + b"\n")
        if args.junit is not None:
            pipes.write_text(args.junit, to_junit(run, elapsed=seconds))
        if run.unreachable:
            print(f"marketo-sim: error: {contract_summary(run)}", file=sys.stderr)
        else:
            say(f"{contract_summary(run)} ({seconds:.2f}s)")
    return run.exit_code


def target_from(args: argparse.Namespace) -> Target:
    if not args.endpoint:
        raise ConfigError("--endpoint URL is required")
    profile = args.profile or (LEGACY if args.stream == "lead-activity" else ADOBE_IO)
    if profile == LEGACY and args.stream != "lead-activity":
        raise ConfigError(f"the {args.stream} stream exists only on Adobe I/O (--profile adobe-io)")
    if args.activity_types is not None and args.stream != "lead-activity":
        raise ConfigError("--activity-types needs --stream lead-activity")
    target = Target(
        endpoint=http_url("--endpoint", args.endpoint),
        profile=profile,
        stream=args.stream,
        token=secret("--token-env", args.token_env),
        next_token=secret("--next-token-env", args.next_token_env),
        verifies_signatures=args.verifies_signatures,
        seed=new_seed() if args.seed is None else args.seed,
    )
    if args.activity_types is not None:
        target = replace(target, activity_types=select_activity_types(args.activity_types))
    return target


def new_seed() -> int:
    """A seed of its own for a run: fresh event ids, so a consumer that remembers the ids of
    an earlier run (as an idempotent one does) sees new events."""
    return secrets.randbelow(2**31)


def http_url(flag: str, text: str) -> str:
    try:
        url = URL(text)
    except (ValueError, TypeError):
        url = None
    if url is None or url.scheme not in ("http", "https") or not url.host:
        raise ConfigError(f"{flag} {text!r}: expected an http(s) URL such as http://host:8080/")
    return text


secret = secret_from_env  # the one reader of `--...-env NAME` secrets (`runfile.flagtypes`)


def _rate_plan(args: argparse.Namespace, profile: str) -> RatePlan:
    cap = RAMP_CAP[profile]
    ramp_max = args.ramp_max if args.ramp_max is not None else 4 * args.subscriptions
    return RatePlan(
        sustain=args.sustain, subscriptions=args.subscriptions, ramp_max=min(ramp_max, cap)
    )


def _processed(args: argparse.Namespace) -> ProcessedSource | None:
    if args.processed_url is not None:
        return ProcessedUrl(http_url("--processed-url", args.processed_url))
    if args.processed_cmd is not None:
        return ProcessedCommand(args.processed_cmd)
    return None
