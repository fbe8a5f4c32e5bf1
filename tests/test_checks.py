"""The battery's checks, one at a time, against a fake consumer on the virtual clock: what each
sends, when it skips, and the evidence it gives. `test_contract` plays the whole battery against
the example consumers over loopback."""

from __future__ import annotations

from typing import Any

import pytest
from fake_consumer import FakeConsumer, Post, probe_of
from loopback import virtual

from simulator.contract import checks
from simulator.contract.checks import CHECK_NAMES, CHECKS
from simulator.contract.findings import failed, passed, skipped
from simulator.contract.probe import ADOBE_IO, LEGACY, Probe, Target
from simulator.payloads.catalog import select_activity_types

VISIT_AND_NEW_LEAD = select_activity_types("1, 12")


def probe(consumer: FakeConsumer, profile: str = LEGACY, **target: Any) -> Probe:
    """A probe of Visit Webpage and New Lead (legacy, or I/O Lead Activity) with `target`'s
    token and claims."""
    options: dict[str, Any] = {"activity_types": VISIT_AND_NEW_LEAD} | target
    return probe_of(
        consumer, Target(endpoint="http://127.0.0.1:9/hook", profile=profile, **options)
    )


def bearer(token: str) -> Any:
    """A consumer's answer: 200 for `Authorization: Bearer <token>`, 401 otherwise."""
    return lambda number, post: (
        200 if post.headers.get("Authorization") == f"Bearer {token}" else 401
    )


def refusing_new_leads(number: int, post: Post) -> int:
    """400 for any delivery with a New Lead in it."""
    return 400 if any(a["activityTypeId"] == 12 for a in post.events) else 200


def test_the_battery_runs_in_a_fixed_order_under_stable_names() -> None:
    """CI files select and skip checks by these names."""
    assert CHECK_NAMES == (
        "challenge",
        "full-batch",
        "every-type",
        "unknown-types",
        "auth",
        "token-change",
        "signatures",
        "idempotent",
        "out-of-order",
        "sustained-rate",
    )


def test_profile_only_checks_apply_to_their_profile() -> None:
    """The challenge and signatures are Adobe I/O's; tokens are the legacy push's."""
    only = {c.name: sorted(c.profiles) for c in CHECKS if len(c.profiles) == 1}
    assert only == {
        "challenge": [ADOBE_IO],
        "auth": [LEGACY],
        "token-change": [LEGACY],
        "signatures": [ADOBE_IO],
    }


@virtual
async def test_the_challenge_is_skipped_on_the_legacy_profile() -> None:
    """Only Adobe I/O sends a challenge."""
    assert await checks.challenge(probe(FakeConsumer())) == skipped(
        "not applicable to marketo-legacy: only Adobe I/O sends a challenge"
    )


@virtual
async def test_an_echoed_challenge_passes() -> None:
    """The GET's challenge value comes back as the body."""
    p = probe(FakeConsumer(), ADOBE_IO)
    finding = await checks.challenge(p)
    assert finding.status == "passed"
    assert finding.evidence.startswith("GET ?challenge=")
    assert finding.evidence.endswith(" answered HTTP 200 with it")


@virtual
async def test_a_challenge_answered_with_anything_else_fails() -> None:
    """A 200 with another body is no handshake."""
    p = probe(FakeConsumer(get_body=b"ok"), ADOBE_IO)
    assert await checks.challenge(p) == failed(
        'expected 2xx with the challenge as the body (text or {"challenge": ...}); '
        "the challenge GET was answered 'ok' instead of the challenge"
    )


@virtual
async def test_full_batches_answered_quickly_pass() -> None:
    """Five deliveries of 500 activities, each answered in 0.1 s of the 20 s limit."""
    consumer = FakeConsumer()
    assert await checks.full_batch(probe(consumer)) == passed(
        "5 of 5 deliveries of 500 events: 5 x HTTP 200; "
        "latency p50 0.100s, p99 0.100s of the 20s limit",
        {"latencyP50": 0.1, "latencyP99": 0.1},
    )
    assert [len(post.events) for post in consumer.posts] == [500] * 5


@virtual
async def test_full_batches_stop_at_the_first_failure() -> None:
    """A 500 on the second delivery: two sent, and the expectation stated."""
    consumer = FakeConsumer(answer=lambda number, post: 500 if number == 2 else 200)
    finding = await checks.full_batch(probe(consumer))
    assert finding == failed(
        "2 of 5 deliveries of 500 events sent, stopping at the first failure: "
        "1 x HTTP 200, 1 x HTTP 500; latency p50 0.100s, p99 0.100s of the 20s limit; "
        "expected 2xx within 10s, half the limit",
        {"latencyP50": 0.1, "latencyP99": 0.1},
    )


@virtual
async def test_full_batches_answered_after_half_the_limit_fail() -> None:
    """11 s of a 20 s limit is accepted by the producer but leaves no room: the check fails."""
    finding = await checks.full_batch(probe(FakeConsumer(latency=11.0)))
    assert finding.status == "failed"
    assert finding.evidence.endswith("expected 2xx within 10s, half the limit")


@virtual
async def test_every_type_names_the_type_refused_even_alone() -> None:
    """The mixed delivery is refused, then each type alone: New Lead is the one."""
    consumer = FakeConsumer(answer=refusing_new_leads)
    assert await checks.every_type(probe(consumer)) == failed(
        "2 activity types in 1 delivery: 1 x HTTP 400; refused even alone: "
        "12 New Lead (HTTP 400); expected 2xx"
    )
    assert [len(post.events) for post in consumer.posts] == [2, 1, 1]


@virtual
async def test_every_type_accepted_passes() -> None:
    """One delivery holding one event of each subscribed type, answered 2xx."""
    assert await checks.every_type(probe(FakeConsumer())) == passed(
        "2 activity types in 1 delivery: 1 x HTTP 200; "
        "latency p50 0.100s, p99 0.100s of the 20s limit"
    )


@virtual
async def test_unknown_types_send_one_event_per_case() -> None:
    """Four single-event deliveries, each case named with its answer."""
    consumer = FakeConsumer()
    assert await checks.unknown_types(probe(consumer)) == passed(
        "an unknown activity type: HTTP 200; a custom activity type: HTTP 200; "
        "an unknown field: HTTP 200; an unknown attribute: HTTP 200; "
        "expected 2xx for each (take what is not understood, ignore it)"
    )
    assert [post.events[0]["activityTypeId"] for post in consumer.posts][:2] == [999_999, 100_999]


@virtual
async def test_auth_needs_the_valid_token() -> None:
    """Without --token-env the check cannot tell a wrong token from the right one."""
    assert await checks.auth(probe(FakeConsumer())) == skipped(
        "no --token-env: the consumer's valid token is not known"
    )


@virtual
async def test_auth_is_not_for_adobe_io() -> None:
    """Adobe I/O signs deliveries and sends no token."""
    assert await checks.auth(probe(FakeConsumer(), ADOBE_IO)) == skipped(
        "not applicable to adobe-io: I/O Events sends no token, it signs deliveries"
    )


@virtual
async def test_auth_passes_a_consumer_that_takes_only_its_token() -> None:
    """No token and a wrong one refused, the valid one taken."""
    consumer = FakeConsumer(answer=bearer("tok"))
    assert await checks.auth(probe(consumer, token="tok")) == passed(
        "no Authorization header: HTTP 401 (expected 401 or 403); "
        "a wrong token: HTTP 401 (expected 401 or 403); "
        "the valid token: HTTP 200 (expected 2xx)"
    )


@virtual
async def test_token_change_fails_a_consumer_that_knows_one_token() -> None:
    """The token after the change is refused: that answer is named."""
    consumer = FakeConsumer(answer=bearer("old"))
    finding = await checks.token_change(probe(consumer, token="old", next_token="new"))
    assert finding == failed(
        "the token before the change: HTTP 200 (expected 2xx); "
        "the token after the change: HTTP 401 (expected 2xx); "
        "a wrong token after the change: HTTP 401 (expected 401 or 403)"
    )


@virtual
async def test_signatures_are_checked_only_for_a_consumer_that_claims_to() -> None:
    """Without --verifies-signatures there is nothing to prove."""
    assert await checks.signatures(probe(FakeConsumer(), ADOBE_IO)) == skipped(
        "the consumer does not claim to verify signatures (--verifies-signatures)"
    )


@pytest.mark.parametrize("check", [checks.idempotent, checks.out_of_order])
@virtual
async def test_processing_checks_need_a_processed_source(check: Any) -> None:
    """What the consumer processed cannot be seen without a URL or command to ask."""
    assert await check(probe(FakeConsumer())) == skipped(
        "no --processed-url or --processed-cmd: what the consumer processed cannot be seen"
    )
