"""Judges a scenario's expectations against what happened. Pure: it reads records, not sockets.

Each check of an `ExpectSpec` becomes one `Verdict` that says what was expected, what was
observed and at which simulated time, so a failure reads as evidence, not as a bare "False".
The facts are aggregates folded as the run went (`simulator.core.tracks`), never a list of every
attempt: the order check knows its first violation at the attempt that caused it, the latency
check its worst case, and a state held at a time is a probe the run answered as it passed that
time (`watched` names those times before the run).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from simulator.core.delivery import Ledger
from simulator.core.recording import Verdict
from simulator.core.timefmt import duration, offset
from simulator.core.tracks import Tracks
from simulator.runfile.steps import LEDGER_CHECKS, ExpectSpec, holds, show


@dataclass(frozen=True, slots=True)
class Facts:
    """Everything the verdicts are judged on."""

    ended_at: float
    initial_states: Mapping[str, str]
    final_states: Mapping[str, str]
    ledgers: Mapping[str, Ledger]
    tracks: Tracks  # each subscription's attempts and state changes, folded as they came
    endpoint: Mapping[str, int] | None
    backfilled: Mapping[str, int] = field(default_factory=dict)


NO_EMBEDDED = (
    "the embedded dev endpoint counts this; the subscriptions push to another endpoint "
    "(--endpoint), whose own records are the consumer's to check"
)


def judge(expectations: Sequence[ExpectSpec], facts: Facts) -> list[Verdict]:
    verdicts: list[Verdict] = []
    for expect in expectations:
        verdicts += _state(expect, facts)
        verdicts += _counts(expect, facts)
        verdicts += _endpoint(expect, facts.endpoint, facts.ended_at)
        verdicts += _delivery(expect, facts)
    return verdicts


IN_ANOTHER_SHARD = "its subscription is in another shard, which judges it"
SHARD_ENDPOINT = (
    "a shard's embedded endpoint counts only that shard's pushes: judged on the summed counters "
    "when the shards are merged with the run file (--workers, or merge --run FILE)"
)


def judge_slice(
    expectations: Sequence[ExpectSpec], facts: Facts, here: set[str], *, sliced: bool
) -> list[Verdict]:
    """`judge` for a run that plays some of the file's subscriptions (`--shard`): checks on a
    subscription it does not hold are skipped, one verdict per expectation, and so are the
    endpoint's counts when it holds fewer than all (`sliced`)."""
    verdicts: list[Verdict] = []
    for expect in expectations:
        if expect.subscription is not None and expect.subscription not in here:
            what = ", ".join(sorted(expect.model_fields_set - {"subscription"}))
            name = f"{expect.subscription}: {what}"
            verdicts.append(
                Verdict(
                    name,
                    True,
                    what,
                    "not judged",
                    None,
                    expect.subscription,
                    skipped=IN_ANOTHER_SHARD,
                )
            )
            continue
        if sliced and expect.endpoint is not None:
            verdicts += _skipped_endpoint(expect, SHARD_ENDPOINT)
            if expect.subscription is None:
                continue
            expect = expect.model_copy(update={"endpoint": None})
        verdicts += judge([expect], facts)
    return verdicts


def _skipped_endpoint(expect: ExpectSpec, why: str) -> list[Verdict]:
    assert expect.endpoint is not None
    return [
        Verdict(
            f"endpoint {key} {show(tuple(c))}",
            True,
            show(tuple(c)),
            "not judged",
            None,
            skipped=why,
        )
        for key, c in expect.endpoint.model_dump(exclude_none=True).items()
    ]


def watched(expectations: Sequence[ExpectSpec]) -> dict[str, list[float]]:
    """The times at which the state checks ask each subscription's state: `Tracks`' probes."""
    out: dict[str, list[float]] = {}
    for expect in expectations:
        if expect.state is not None and expect.subscription is not None and expect.at is not None:
            out.setdefault(expect.subscription, []).append(expect.at)
    return out


# -- states --------------------------------------------------------------------------------------


def states_over_time(name: str, facts: Facts) -> list[tuple[float, str]]:
    """(time, state entered) for one subscription, starting with its state at t=0: the changes
    kept (`ChangeLog.kept`), all of them unless the subscription changed state very often."""
    timeline = [(0.0, str(facts.initial_states[name]))]
    timeline += [(c.at, str(c.new)) for c in facts.tracks.view(name).changes.kept]
    return timeline


def _state(expect: ExpectSpec, facts: Facts) -> list[Verdict]:
    if expect.state is None or expect.subscription is None:
        return []
    name, wanted = expect.subscription, expect.state
    initial = str(facts.initial_states[name])
    changes = facts.tracks.view(name).changes
    if expect.by is not None:
        reached = 0.0 if initial == wanted else changes.entered.get(wanted)
        passed = reached is not None and reached <= expect.by
        observed = f"reached at {offset(reached)}" if reached is not None else "never reached"
        return [
            _v(
                name,
                f"{wanted} by {offset(expect.by)}",
                passed,
                f"{wanted} by {offset(expect.by)}",
                observed,
                expect.by,
                settled=reached if passed else expect.by,
            )
        ]
    at = facts.ended_at if expect.at is None else expect.at
    state = str(facts.final_states[name]) if expect.at is None else changes.state_at(at, initial)
    when = "at the end" if expect.at is None else f"at {offset(at)}"
    settled = expect.at  # a state at a given time; at the end: the end decides
    return [_v(name, f"{wanted} {when}", state == wanted, wanted, state, at, settled=settled)]


# -- counts --------------------------------------------------------------------------------------


def _counts(expect: ExpectSpec, facts: Facts) -> list[Verdict]:
    name = expect.subscription
    if name is None:
        return []
    ledger = facts.ledgers[name]
    out = []
    for key in LEDGER_CHECKS:
        comparison = getattr(expect, key)
        if comparison is not None:
            value = getattr(ledger, key)
            label = key.replace("_", " ")
            out.append(
                _v(
                    name,
                    f"{label} {show(comparison)}",
                    holds(comparison, value),
                    show(comparison),
                    str(value),
                    facts.ended_at,
                )
            )
    if expect.backfilled is not None:
        got = facts.backfilled.get(name, 0)
        wanted = show(expect.backfilled)
        passed = holds(expect.backfilled, got)
        out.append(_v(name, f"backfilled {wanted}", passed, wanted, str(got), facts.ended_at))
    if expect.attempts is not None:
        made = facts.tracks.view(name).tally.attempts
        wanted = show(expect.attempts)
        passed = holds(expect.attempts, made)
        out.append(_v(name, f"attempts {wanted}", passed, wanted, str(made), facts.ended_at))
    if expect.no_loss:
        lost = ledger.expired + ledger.dropped + ledger.discarded
        observed = (
            f"expired {ledger.expired}, dropped {ledger.dropped}, discarded {ledger.discarded}"
        )
        if not ledger.balanced:
            observed += f"; the ledger is off by {ledger.produced - ledger.accounted}"
        out.append(
            _v(
                name,
                "no loss",
                lost == 0 and ledger.balanced,
                "nothing lost, ledger balanced",
                observed,
                facts.ended_at,
            )
        )
    return out


def summed_endpoint(
    expectations: Sequence[ExpectSpec], counts: Mapping[str, int], ended_at: float
) -> list[Verdict]:
    """The endpoint checks of `expectations` judged on counters summed over every shard of a
    run: what each shard skipped (`SHARD_ENDPOINT`), judged once the shards are merged."""
    return [v for expect in expectations for v in _endpoint(expect, counts, ended_at)]


def _endpoint(
    expect: ExpectSpec, counts: Mapping[str, int] | None, ended_at: float
) -> list[Verdict]:
    if expect.endpoint is None:
        return []
    out = []
    for key, comparison in expect.endpoint.model_dump(exclude_none=True).items():
        comparison = tuple(comparison)
        if counts is None:
            out.append(
                Verdict(
                    f"endpoint {key} {show(comparison)}",
                    True,
                    show(comparison),
                    "not judged",
                    ended_at,
                    skipped=NO_EMBEDDED,
                )
            )
            continue
        value = counts.get(key, 0)
        out.append(
            Verdict(
                f"endpoint {key} {show(comparison)}",
                holds(comparison, value),
                show(comparison),
                str(value),
                ended_at,
            )
        )
    return out


# -- latency and order ---------------------------------------------------------------------------


def _delivery(expect: ExpectSpec, facts: Facts) -> list[Verdict]:
    name = expect.subscription
    if name is None:
        return []
    tally = facts.tracks.view(name).tally
    out = []
    if expect.max_latency is not None:
        worst, when = tally.worst_lag, tally.worst_at
        bound = expect.max_latency
        out.append(
            _v(
                name,
                f"latency within {duration(bound)}",
                worst <= bound,
                f"<= {duration(bound)}",
                f"{duration(worst)} (worst, acknowledged at {offset(when or 0.0)})",
                when,
                settled=when if worst > bound else None,  # a wait too long stays too long
            )
        )
    if expect.ordered:
        out.append(_ordered(name, facts))
    return out


def _ordered(name: str, facts: Facts) -> Verdict:
    broken = facts.tracks.view(name).tally.disorder
    if broken is not None:
        observed = f"events up to #{broken.highest} arrived before #{broken.low}"
        expected = "events in production order"
        return _v(name, "order kept", False, expected, observed, broken.at, settled=broken.at)
    return _v(name, "order kept", True, "events in production order", "in order", facts.ended_at)


def _v(
    name: str,
    what: str,
    passed: bool,
    expected: str,
    observed: str,
    at: float | None,
    *,
    settled: float | None = None,
) -> Verdict:
    return Verdict(f"{name}: {what}", passed, expected, observed, at, name, settled=settled)
