"""Judges a scenario's expectations against what happened. Pure: it reads records, not sockets.

Each check of an `ExpectSpec` becomes one `Verdict` that says what was expected, what was
observed and at which simulated time, so a failure reads as evidence, not as a bare "False".
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from simulator.core.delivery import Ledger
from simulator.core.outcome import OutcomeKind
from simulator.core.recording import Verdict
from simulator.core.records import AttemptRecord, StateChange
from simulator.core.timefmt import duration, offset
from simulator.runfile.steps import LEDGER_CHECKS, ExpectSpec, holds, show


@dataclass(frozen=True, slots=True)
class Facts:
    """Everything the verdicts are judged on."""

    ended_at: float
    initial_states: Mapping[str, str]
    final_states: Mapping[str, str]
    ledgers: Mapping[str, Ledger]
    changes: Sequence[StateChange]
    attempts: Sequence[AttemptRecord]
    endpoint: Mapping[str, int] | None
    backfilled: Mapping[str, int] = field(default_factory=dict)


def judge(expectations: Sequence[ExpectSpec], facts: Facts) -> list[Verdict]:
    verdicts: list[Verdict] = []
    for expect in expectations:
        verdicts += _state(expect, facts)
        verdicts += _counts(expect, facts)
        verdicts += _endpoint(expect, facts)
        verdicts += _delivery(expect, facts)
    return verdicts


# -- states --------------------------------------------------------------------------------------


def states_over_time(name: str, facts: Facts) -> list[tuple[float, str]]:
    """(time, state entered) for one subscription, starting with its state at t=0."""
    timeline = [(0.0, str(facts.initial_states[name]))]
    timeline += [(c.at, str(c.new)) for c in facts.changes if c.subscription == name]
    return timeline


def _state_at(timeline: list[tuple[float, str]], t: float) -> str:
    state = timeline[0][1]
    for at, new in timeline:
        if at > t:
            break
        state = new
    return state


def _state(expect: ExpectSpec, facts: Facts) -> list[Verdict]:
    if expect.state is None or expect.subscription is None:
        return []
    name, wanted = expect.subscription, expect.state
    timeline = states_over_time(name, facts)
    if expect.by is not None:
        reached = next((at for at, state in timeline if state == wanted), None)
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
            )
        ]
    at = facts.ended_at if expect.at is None else expect.at
    state = str(facts.final_states[name]) if expect.at is None else _state_at(timeline, at)
    when = "at the end" if expect.at is None else f"at {offset(at)}"
    return [_v(name, f"{wanted} {when}", state == wanted, wanted, state, at)]


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
        made = sum(1 for a in facts.attempts if a.subscription == name)
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


def _endpoint(expect: ExpectSpec, facts: Facts) -> list[Verdict]:
    if expect.endpoint is None:
        return []
    out = []
    for key, comparison in expect.endpoint.model_dump(exclude_none=True).items():
        comparison = tuple(comparison)
        if facts.endpoint is None:
            out.append(
                Verdict(
                    f"endpoint {key}",
                    False,
                    show(comparison),
                    "no embedded endpoint",
                    facts.ended_at,
                )
            )
            continue
        value = facts.endpoint.get(key, 0)
        out.append(
            Verdict(
                f"endpoint {key} {show(comparison)}",
                holds(comparison, value),
                show(comparison),
                str(value),
                facts.ended_at,
            )
        )
    return out


# -- latency and order ---------------------------------------------------------------------------


def _acknowledged(name: str, facts: Facts) -> list[AttemptRecord]:
    return [
        a
        for a in facts.attempts
        if a.subscription == name and a.outcome is OutcomeKind.SUCCESS and a.kind != "duplicate"
    ]


def _delivery(expect: ExpectSpec, facts: Facts) -> list[Verdict]:
    name = expect.subscription
    if name is None:
        return []
    out = []
    if expect.max_latency is not None:
        worst, when = 0.0, None
        for a in _acknowledged(name, facts):
            done = _done(a)
            if a.oldest_event is not None and (lag := done - a.oldest_event) > worst:
                worst, when = lag, done
        bound = expect.max_latency
        out.append(
            _v(
                name,
                f"latency within {duration(bound)}",
                worst <= bound,
                f"<= {duration(bound)}",
                f"{duration(worst)} (worst, acknowledged at {offset(when or 0.0)})",
                when,
            )
        )
    if expect.ordered:
        out.append(_ordered(name, facts))
    return out


def _ordered(name: str, facts: Facts) -> Verdict:
    done = sorted(_acknowledged(name, facts), key=_done)
    highest = -1
    for a in done:
        if a.seqs is None:
            continue
        low, high = a.seqs
        if low <= highest:
            observed = f"events up to #{highest} arrived before #{low}"
            return _v(name, "order kept", False, "events in production order", observed, _done(a))
        highest = high
    return _v(name, "order kept", True, "events in production order", "in order", facts.ended_at)


def _done(attempt: AttemptRecord) -> float:
    """When the producer learnt the outcome: waiting for a token counts, not just the HTTP."""
    return attempt.done_at if attempt.done_at is not None else attempt.at + attempt.latency


def _v(
    name: str, what: str, passed: bool, expected: str, observed: str, at: float | None
) -> Verdict:
    return Verdict(f"{name}: {what}", passed, expected, observed, at, name)
