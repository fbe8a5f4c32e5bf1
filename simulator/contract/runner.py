"""One contract run: the selected checks, in battery order, against a consumer that answers.

`run_contract` first GETs the endpoint; when no HTTP answer comes, no check runs and the run is
"unreachable". Otherwise each check runs on the running loop's clock and its finding becomes a
`CheckResult`, told as a line as soon as it is known. The adobe-io profile signs with a key host
on 127.0.0.1, started for the run unless one is given.

`limit` (`--timeout`) bounds the whole run in loop seconds: the check it interrupts fails ("cut
short"), the checks after it are skipped ("not run"); neither is ever a pass.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field

from simulator.contract.checks import CHECK_NAMES, CHECKS, Check
from simulator.contract.findings import CheckStatus, Finding, failed
from simulator.contract.probe import ADOBE_IO, KeyHost, Probe, RatePlan, Target
from simulator.contract.processed import ProbeError, ProcessedSource
from simulator.core.outcome import OutcomeKind
from simulator.errors import ConfigError
from simulator.shell.transport import HttpTransport

EXIT_PASSED, EXIT_FAILED, EXIT_USAGE, EXIT_UNREACHABLE = 0, 1, 2, 3
MARKS = {CheckStatus.PASSED: "PASS", CheckStatus.FAILED: "FAIL", CheckStatus.SKIPPED: "SKIP"}
MARKS[CheckStatus.ERROR] = "ERROR"

Say = Callable[[str], None]


@dataclass(frozen=True, slots=True)
class CheckResult:
    """How one check of a run ended, with its evidence and how long it took."""

    name: str
    status: CheckStatus
    evidence: str
    duration: float  # seconds of loop time: real seconds on the command line
    metrics: Mapping[str, float] = field(default_factory=dict)  # `Finding.metrics`


@dataclass(frozen=True, slots=True)
class ContractRun:
    """A whole run: the target, each check's result in order, or why the consumer was
    unreachable; its exit code is the command's."""

    target: Target
    results: tuple[CheckResult, ...]
    unreachable: str = ""  # why no HTTP answer came, when none did
    interrupted: bool = False  # cancelled (a signal): the check under way is in error

    @property
    def exit_code(self) -> int:
        if self.unreachable:
            return EXIT_UNREACHABLE
        if self.results and all(r.status is CheckStatus.PASSED for r in self.results):
            return EXIT_PASSED
        return EXIT_FAILED


def select_checks(
    profile: str, only: Sequence[str] = (), skip: Sequence[str] = ()
) -> tuple[Check, ...]:
    """The checks to run, in battery order: those named in `only` (default: every check that
    applies to `profile`) minus those in `skip`. A check named in `only` runs even where it does
    not apply, and is then reported as skipped."""
    unknown = sorted({*only, *skip} - set(CHECK_NAMES))
    if unknown:
        raise ConfigError(
            f"unknown check {', '.join(map(repr, unknown))}; the checks: {', '.join(CHECK_NAMES)}"
        )
    chosen = tuple(
        c
        for c in CHECKS
        if (c.name in only if only else profile in c.profiles) and c.name not in skip
    )
    if not chosen:
        raise ConfigError("no check is left to run: --skip removed every selected check")
    return chosen


async def run_contract(
    target: Target,
    *,
    checks: Sequence[Check] | None = None,
    processed: ProcessedSource | None = None,
    rate: RatePlan | None = None,
    keys: KeyHost | None = None,
    key_port: int = 0,
    say: Say | None = None,
    limit: float | None = None,
) -> ContractRun:
    """Run `checks` against the consumer at `target.endpoint`, in order, within `limit`
    seconds (None: no bound). For the adobe-io profile the key host `keys` signs (one is started
    on 127.0.0.1:`key_port` when none is given)."""
    tell = say or (lambda text: None)
    checks = select_checks(target.profile) if checks is None else checks
    host = keys
    if host is None and target.profile == ADOBE_IO:
        host = KeyHost()
        await host.start(key_port)
        tell(f"public keys at {host.url} (the consumer's key base URL)")
    rate = rate or RatePlan()
    results: list[CheckResult] = []
    try:
        async with HttpTransport(limit=_connections(target, rate)) as transport:
            ring = host.ring if host is not None else None
            probe = Probe(target, transport, keys=ring, processed=processed, rate=rate)
            clock = Budget(probe.now(), limit)
            reason = await _unreachable(probe, clock)
            if reason:
                return ContractRun(target, _not_run(checks, target, reason), reason)
            for check in checks:
                if clock.spent(probe.now()):
                    results.append(CheckResult(check.name, *clock.not_run(), 0.0))
                else:
                    results.append(await _run_check(check, probe, clock))
                tell(summary_line(results[-1]))
            return ContractRun(target, tuple(results))
    except asyncio.CancelledError:
        # A signal: the results so far, the check under way in error, the rest not run.
        task = asyncio.current_task()
        if task is not None:
            task.uncancel()
        return ContractRun(target, _interrupted(checks, results), interrupted=True)
    finally:
        if host is not None and keys is None:
            await host.stop()
        if processed is not None:
            await processed.close()


async def _unreachable(probe: Probe, budget: Budget) -> str:
    """Why a GET on the endpoint got no HTTP answer (within the run's limit); "" if it did."""
    try:
        async with asyncio.timeout(budget.left(probe.now())):
            outcome, _ = await probe.get(probe.target.endpoint)
    except TimeoutError:
        return f"no answer to a GET before the contract's --timeout {budget.seconds:g}s ran out"
    if outcome.kind in (OutcomeKind.TIMEOUT, OutcomeKind.CONNECTION_ERROR):
        return outcome.detail or str(outcome.kind)
    return ""


def _connections(target: Target, rate: RatePlan) -> int:
    per_subscription = 10 if target.profile == ADOBE_IO else 1
    return max(100, 2 * rate.ramp_max * per_subscription)


@dataclass(frozen=True, slots=True)
class Budget:
    """The run's time limit: `seconds` from `start` (loop time), or none."""

    start: float
    seconds: float | None

    def left(self, now: float) -> float | None:
        return None if self.seconds is None else self.start + self.seconds - now

    def spent(self, now: float) -> bool:
        left = self.left(now)
        return left is not None and left <= 0

    def cut(self, into: float) -> tuple[CheckStatus, str]:
        return CheckStatus.FAILED, (
            f"{TIMED_OUT[0]} {self.seconds:g}s ran out {into:.1f}s into this check (no "
            "verdict, so no pass)"
        )

    def not_run(self) -> tuple[CheckStatus, str]:
        return CheckStatus.SKIPPED, (f"{TIMED_OUT[1]} {self.seconds:g}s ran out before this check")


# How the evidence of a check cut short, or not run, by the run's time limit begins.
TIMED_OUT = ("cut short: the contract's --timeout", "not run: the contract's --timeout")


async def _run_check(check: Check, probe: Probe, budget: Budget) -> CheckResult:
    started = probe.now()
    probe.refused_tokenless = 0
    scope = asyncio.timeout(budget.left(started))
    try:
        async with scope:
            finding = await check.run(probe)
    except ProbeError as exc:
        finding = failed(f"could not run: {exc}")
    except TimeoutError:
        if not scope.expired():
            raise
        took = probe.now() - started
        return CheckResult(check.name, *budget.cut(took), took)
    finding = _hinted(finding, probe)
    took = probe.now() - started
    return CheckResult(check.name, finding.status, finding.evidence, took, finding.metrics)


def _hinted(finding: Finding, probe: Probe) -> Finding:
    """A failure with 401s to deliveries sent without a token, when no token was given: name
    the flag that gives one."""
    if finding.status is not CheckStatus.FAILED or not probe.refused_tokenless:
        return finding
    return failed(
        f"{finding.evidence}; the consumer answered 401 and no token was given: pass its token "
        "with --token-env NAME (the environment variable holding it)",
        finding.metrics,
    )


def _not_run(checks: Sequence[Check], target: Target, reason: str) -> tuple[CheckResult, ...]:
    why = f"not run: the consumer at {target.endpoint} could not be reached ({reason})"
    return tuple(CheckResult(c.name, CheckStatus.SKIPPED, why, 0.0) for c in checks)


def _interrupted(checks: Sequence[Check], done: Sequence[CheckResult]) -> tuple[CheckResult, ...]:
    left = checks[len(done) :]
    cut = [
        CheckResult(c.name, CheckStatus.ERROR, "interrupted: did not finish", 0.0) for c in left[:1]
    ]
    why = "not run: the contract was interrupted"
    rest = [CheckResult(c.name, CheckStatus.SKIPPED, why, 0.0) for c in left[1:]]
    return (*done, *cut, *rest)


def summary_line(result: CheckResult) -> str:
    """The line a result is told as: `PASS full-batch — <evidence>`."""
    return f"{MARKS[result.status]} {result.name} — {result.evidence}"
