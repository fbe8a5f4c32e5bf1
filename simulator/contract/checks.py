"""The contract's battery: named checks, each a small scenario against a running consumer.

Every check is an async function of a `Probe` returning a `Finding` (`findings`): passed, failed
with the evidence (statuses, latencies, ids, what was expected), or skipped with the reason it
could not run. `CHECKS` is the registry, in the order the checks run; `marketo-sim contract
--list` prints it. Names are stable: CI files select and skip them.
"""

from __future__ import annotations

import functools
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass

from yarl import URL

from simulator.contract.findings import (
    Finding,
    answers,
    failed,
    ids_text,
    judged,
    latency,
    latency_metrics,
    passed,
    plural,
    skipped,
    with_metrics,
)
from simulator.contract.probe import (
    ADOBE_IO,
    ID_NAMES,
    LEGACY,
    Item,
    Probe,
    ProbeDelivery,
    Processing,
    with_payload,
)
from simulator.contract.rate import Phase, play
from simulator.core.outcome import Outcome
from simulator.payloads.formats import IoEvent
from simulator.payloads.signing import SIGNATURE_HEADERS, SigningKey
from simulator.payloads.unknowns import Change, cloudevent, unknowns
from simulator.shell.iolane import describe_outcome, echoes, why_refused

REJECTED_TOKEN = (401, 403)
FULL_BATCHES = 5  # full deliveries in full-batch: its p50/p99
SMALL = 10  # events in each delivery of idempotent and out-of-order


@dataclass(frozen=True, slots=True, kw_only=True)
class Check:
    """One named check: what it proves, how it runs, and the profiles it runs on by default."""

    name: str
    proves: str
    run: Callable[[Probe], Awaitable[Finding]]
    profiles: frozenset[str] = frozenset({LEGACY, ADOBE_IO})  # where it applies: run by default


# ---- checks ------------------------------------------------------------------------------------


async def challenge(probe: Probe) -> Finding:
    if not probe.is_io:
        return skipped("not applicable to marketo-legacy: only Adobe I/O sends a challenge")
    value = probe.new_id("challenge")
    outcome, body = await probe.get(str(URL(probe.target.endpoint).update_query(challenge=value)))
    if outcome.ok and echoes(body, value):
        return passed(f"GET ?challenge={value} answered {describe_outcome(outcome)} with it")
    expected = '2xx with the challenge as the body (text or {"challenge": ...})'
    return failed(f"expected {expected}; {why_refused(outcome, body)}")


async def full_batch(probe: Probe) -> Finding:
    half = probe.timeout / 2
    outcomes: list[Outcome] = []
    while len(outcomes) < FULL_BATCHES and all(o.ok and o.latency <= half for o in outcomes):
        outcomes.append(await probe.send(probe.delivery(probe.stock.take(probe.full_batch))))
    ok = all(o.ok and o.latency <= half for o in outcomes)
    sent = "" if ok else " sent, stopping at the first failure"
    evidence = (
        f"{len(outcomes)} of {FULL_BATCHES} deliveries of {probe.full_batch} events{sent}: "
        f"{answers(outcomes)}; {latency(outcomes, probe.timeout)}"
    )
    if not ok:
        evidence += f"; expected 2xx within {half:g}s, half the limit"
    return with_metrics(judged(ok, evidence), latency_metrics(outcomes))


def decisive(outcome: Outcome) -> bool:
    """A failure that says nothing about what a delivery carried, so that sending more would
    only spend time: no answer in time, no connection, or the token refused."""
    return not outcome.ok and (outcome.status is None or outcome.status in REJECTED_TOKEN)


NOUNS = {"lead-activity": "activity type", "user-audit": "audit action", "notification": "kind"}


async def every_type(probe: Probe) -> Finding:
    kinds = range(len(probe.stock.labels))
    outcomes: list[Outcome] = []
    rejected: list[str] = []
    for start in range(0, len(kinds), probe.full_batch):
        chunk = kinds[start : start + probe.full_batch]
        outcome = await probe.send(probe.delivery(_one_of_each(probe, chunk)))
        outcomes.append(outcome)
        if decisive(outcome):
            break
        if not outcome.ok:
            rejected += await _isolate(probe, chunk)
    sent = (
        f"{plural(len(kinds), NOUNS[probe.target.stream])} in "
        f"{plural(len(outcomes), 'delivery', 'deliveries')}: {answers(outcomes)}"
    )
    if all(o.ok for o in outcomes):
        return passed(f"{sent}; {latency(outcomes, probe.timeout)}")
    if any(o.status in REJECTED_TOKEN for o in outcomes):
        return failed(f"{sent}; expected 2xx (is --token-env the consumer's token?)")
    if decisive(outcomes[-1]):
        return failed(f"{sent}; stopped at the first failure; expected 2xx")
    if not rejected:
        return failed(f"{sent}; each alone was accepted, only the deliveries mixing them were not")
    return failed(f"{sent}; refused even alone: {ids_text(rejected, 10)}; expected 2xx")


def _one_of_each(probe: Probe, kinds: Sequence[int]) -> list[Item]:
    return [
        probe.stock.make(seq, k)
        for seq, k in zip(probe.stock.reserve(len(kinds)), kinds, strict=True)
    ]


async def _isolate(probe: Probe, kinds: Sequence[int]) -> list[str]:
    """Each kind of a rejected delivery alone: the labels of those still rejected."""
    rejected = []
    for kind in kinds:
        items = _one_of_each(probe, [kind])
        outcome = await probe.send(probe.delivery(items))
        if not outcome.ok:
            rejected.append(f"{items[0].label} ({describe_outcome(outcome)})")
        if decisive(outcome):
            break  # a timeout names no kind: the rest would only wait as long
    return rejected


async def unknown_types(probe: Probe) -> Finding:
    results: list[tuple[str, Outcome]] = []
    cases = unknowns(probe.target.profile, probe.target.stream)
    for what, change in cases:
        item = with_payload(probe.stock.take(1)[0], change)
        results.append((what, await probe.send(probe.delivery([item]))))
        if decisive(results[-1][1]):
            break
    ok = all(o.ok for _, o in results)
    shown = "; ".join(f"{what}: {describe_outcome(o)}" for what, o in results)
    shown += _not_tried([what for what, _ in cases[len(results) :]])
    return judged(ok, f"{shown}; expected 2xx for each (take what is not understood, ignore it)")


def _not_tried(whats: Sequence[str]) -> str:
    """The cases a check left out after a decisive failure, as evidence."""
    return f"; not tried after that: {', '.join(whats)}" if whats else ""


async def _token_cases(probe: Probe, cases: Sequence[tuple[str, str | None, bool]]) -> Finding:
    """Send one event per (what, token, accept) and judge each answer."""
    lines, ok = [], True
    for what, token, accept in cases:
        outcome = await probe.send(probe.delivery(probe.stock.take(1), token=token))
        good = outcome.ok if accept else outcome.status in REJECTED_TOKEN
        ok = ok and good
        expected = "2xx" if accept else "401 or 403"
        lines.append(f"{what}: {describe_outcome(outcome)} (expected {expected})")
        if outcome.status is None:
            break  # no answer: the other cases would wait as long and tell nothing more
    tried = "; ".join(lines) + _not_tried([what for what, _, _ in cases[len(lines) :]])
    return judged(ok, tried)


def _wrong(token: str) -> str:
    return f"wrong-{token[::-1]}"


def _tokenless(probe: Probe) -> Finding | None:
    if not probe.is_io:
        return None
    return skipped("not applicable to adobe-io: I/O Events sends no token, it signs deliveries")


async def auth(probe: Probe) -> Finding:
    if (skip := _tokenless(probe)) is not None:
        return skip
    token = probe.target.token
    if token is None:
        return skipped("no --token-env: the consumer's valid token is not known")
    return await _token_cases(
        probe,
        [
            ("no Authorization header", None, False),
            ("a wrong token", _wrong(token), False),
            ("the valid token", token, True),
        ],
    )


async def token_change(probe: Probe) -> Finding:
    if (skip := _tokenless(probe)) is not None:
        return skip
    token, after = probe.target.token, probe.target.next_token
    if token is None or after is None:
        return skipped("needs --token-env and --next-token-env (the token after the change)")
    return await _token_cases(
        probe,
        [
            ("the token before the change", token, True),
            ("the token after the change", after, True),
            ("a wrong token after the change", _wrong(after), False),
        ],
    )


async def signatures(probe: Probe) -> Finding:
    if not probe.is_io:
        return skipped("not applicable to marketo-legacy: deliveries are not signed")
    if not probe.target.verifies_signatures:
        return skipped("the consumer does not claim to verify signatures (--verifies-signatures)")
    assert probe.keys is not None
    genuine = probe.delivery(probe.stock.take(1))
    cases = [
        ("correctly signed", genuine, True),
        ("a tampered body", _tampered(probe), False),
        ("signed by another key", _forged(probe, _rogue_key()), False),
        ("no signature headers", probe.delivery(probe.stock.take(1), signed=False), False),
    ]
    lines, ok = [], True
    for what, delivery, accept in cases:
        outcome = await probe.send(delivery)
        good = outcome.ok if accept else outcome.status is not None and 400 <= outcome.status < 500
        ok = ok and good
        lines.append(f"{what}: {describe_outcome(outcome)} (expected {'2xx' if accept else '4xx'})")
        if outcome.status is None:
            break  # no answer: the other cases would wait as long and tell nothing more
    tried = "; ".join(lines) + _not_tried([what for what, _, _ in cases[len(lines) :]])
    return judged(ok, tried)


@functools.cache
def _rogue_key() -> SigningKey:
    """A key the key host never serves (one per process: RSA key generation is slow)."""
    return SigningKey.generate()


def _tampered(probe: Probe) -> ProbeDelivery:
    """The signatures of one body on another: the same event with a different munchkinId."""
    signed = probe.delivery(probe.stock.take(1))
    altered = with_payload(signed.items[0], _munchkin("666-EVL-666"))
    return ProbeDelivery(probe.delivery([altered], signed=False).body, signed.headers, signed.items)


def _munchkin(value: str) -> Change:
    def change(event: IoEvent) -> None:
        cloudevent(event)["data"]["munchkinId"] = value

    return change


def _forged(probe: Probe, rogue: SigningKey) -> ProbeDelivery:
    """Signatures by a key the key host does not serve, under the served keys' paths."""
    delivery = probe.delivery(probe.stock.take(1))
    forged = {name: rogue.sign(delivery.body) for name in SIGNATURE_HEADERS}
    return ProbeDelivery(delivery.body, delivery.headers | forged, delivery.items)


def _no_source(probe: Probe) -> Finding | None:
    if probe.processed_source is not None:
        return None
    return skipped(
        "no --processed-url or --processed-cmd: what the consumer processed cannot be seen"
    )


async def idempotent(probe: Probe) -> Finding:
    if (skip := _no_source(probe)) is not None:
        return skip
    before = await probe.processed()
    delivery = probe.delivery(probe.stock.take(SMALL))
    outcomes = [await probe.send(delivery), await probe.send(probe.redelivery(delivery))]
    sent = f"a delivery of {SMALL} events, then the same again: {answers(outcomes)}"
    if not all(o.ok for o in outcomes):
        return failed(f"{sent}; expected 2xx for both (a redelivery must be acknowledged)")
    found = await probe.times_processed(before, delivery.items)
    return _judge_counts(probe, sent, delivery.items, found)


def _judge_counts(probe: Probe, sent: str, items: Sequence[Item], found: Processing) -> Finding:
    pairs = list(zip(items, found.counts, strict=True))
    twice = [f"{item.ids[0]} x{n}" for item, n in pairs if n > 1]
    never = [item.ids[0] for item, n in pairs if n == 0]
    problems = []
    if twice:
        problems.append(f"processed more than once: {ids_text(twice)}")
    if never:
        problems.append(f"never processed: {ids_text(never, 3)}")
    if problems:
        text = f"{sent}; {'; '.join(problems)}; expected each event processed once"
        return failed(text + (_other_ids(probe, found) if never else ""))
    return passed(f"{sent}; each of the {len(items)} events processed exactly once")


def _other_ids(probe: Probe, found: Processing) -> str:
    """What the consumer listed instead of the events' ids, when it listed anything."""
    names = ID_NAMES[probe.target.profile, probe.target.stream]
    text = f", listed by any of its ids ({names})"
    if found.others:
        text += (
            f"; the consumer listed {plural(found.others, 'other id')} since the check began, "
            f"e.g. {', '.join(found.seen)}"
        )
    return text


async def out_of_order(probe: Probe) -> Finding:
    if (skip := _no_source(probe)) is not None:
        return skip
    before = await probe.processed()
    older = probe.stock.take(SMALL)
    newer = probe.stock.take(SMALL)
    outcomes = [
        await probe.send(probe.delivery(newer[::-1])),
        await probe.send(probe.delivery(older)),
    ]
    sent = (
        f"{SMALL} newer events newest first ({_span(newer[::-1])}), then {SMALL} older ones "
        f"({_span(older)}): {answers(outcomes)}"
    )
    if not all(o.ok for o in outcomes):
        return failed(f"{sent}; expected 2xx for both (delivery order is not event order)")
    found = await probe.times_processed(before, [*older, *newer])
    return _judge_counts(probe, sent, [*older, *newer], found)


def _span(items: Sequence[Item]) -> str:
    """The first and last id of `items` as sent: activityLogItemId for legacy, else eventid."""
    name, at = ("activityLogItemId", -1) if isinstance(items[0].payload, dict) else ("eventid", 0)
    return f"{name} {items[0].ids[at]} .. {items[-1].ids[at]}"


async def sustained_rate(probe: Probe) -> Finding:
    plan = probe.rate
    base = await play(probe, plan.subscriptions, max(1, round(plan.sustain / plan.period)))
    text = f"for {plan.sustain:g}s, {base.describe(probe.timeout)}"
    figures = {"targetPerSecond": base.target, "ratePerSecond": base.rate, "latencyP99": base.p99}
    if base.failure:
        return failed(f"{text}; first failure: {base.failure}", figures)
    if not base.kept_up:
        return failed(
            f"{text}; fell behind the producer's {base.target:.0f} events/s (no push starts "
            f"after the {plan.sustain:g}s)",
            figures,
        )
    ramp, best = await _ramp(probe, base)
    return passed(f"{text}; {ramp}", figures | {"sustainedPerSecond": best.rate})


async def _ramp(probe: Probe, base: Phase) -> tuple[str, Phase]:
    """Double the subscriptions until p99 passes half the timeout, something fails or the
    plan's bound is reached; name the highest rate sustained."""
    half = probe.timeout / 2
    if base.p99 > half:
        return f"p99 passed {half:g}s, half the timeout, at the base rate: no ramp", base
    best, steps, stop = base, [], "the ramp's bound"
    subscriptions = base.subscriptions * 2
    while subscriptions <= probe.rate.ramp_max:
        phase = await play(probe, subscriptions, probe.rate.ramp_ticks)
        steps.append(f"{subscriptions}: {phase.rate:.0f} events/s p99 {phase.p99:.3f}s")
        if phase.failure or not phase.kept_up or phase.p99 > half:
            stop = f"{subscriptions} subscriptions did not: {phase.failure or 'see the ramp'}"
            break
        best, subscriptions = phase, subscriptions * 2
    ramp = f"ramp {'; '.join(steps)}; " if steps else ""
    return (
        f"{ramp}highest rate sustained with p99 within {half:g}s: {best.rate:.0f} events/s "
        f"({best.subscriptions} subscriptions; {stop})"
    ), best


CHECKS: tuple[Check, ...] = (
    Check(
        name="challenge",
        proves="(adobe-io) the GET ?challenge= handshake is answered with the challenge",
        run=challenge,
        profiles=frozenset({ADOBE_IO}),
    ),
    Check(
        name="full-batch",
        proves="full deliveries (500 legacy activities, 20 I/O events) of the subscribed types "
        "get 2xx within half the timeout (20 s legacy, 10 s I/O); reports p50/p99",
        run=full_batch,
    ),
    Check(
        name="every-type",
        proves="every subscribed activity type, audit component and action, or notification "
        "kind is accepted; a rejected delivery is split to name the kinds refused",
        run=every_type,
    ),
    Check(
        name="unknown-types",
        proves="an unknown or custom type, an unknown field and an unknown attribute are "
        "accepted, not failed",
        run=unknown_types,
    ),
    Check(
        name="auth",
        proves="(marketo-legacy) no token and a wrong token get 401/403, the valid token 2xx "
        "(--token-env)",
        run=auth,
        profiles=frozenset({LEGACY}),
    ),
    Check(
        name="token-change",
        proves="(marketo-legacy) the tokens before and after a change (e.g. a refreshed OAuth "
        "token) are both accepted, a wrong one still refused (--token-env, --next-token-env)",
        run=token_change,
        profiles=frozenset({LEGACY}),
    ),
    Check(
        name="signatures",
        proves="(adobe-io, --verifies-signatures) a tampered body, another key's signature and "
        "no signature get 4xx; a correct signature 2xx",
        run=signatures,
        profiles=frozenset({ADOBE_IO}),
    ),
    Check(
        name="idempotent",
        proves="a redelivered batch is acknowledged and its events processed once "
        "(--processed-url or --processed-cmd)",
        run=idempotent,
    ),
    Check(
        name="out-of-order",
        proves="newer events before older ones, newest first, are all acknowledged and "
        "processed once (--processed-url or --processed-cmd)",
        run=out_of_order,
    ),
    Check(
        name="sustained-rate",
        proves="N subscriptions at 500 events per 2 s for --sustain without a failure or "
        "timeout; reports the highest rate ramped to before p99 passed half the timeout",
        run=sustained_rate,
    ),
)

CHECK_NAMES: tuple[str, ...] = tuple(check.name for check in CHECKS)
