"""`marketo-sim contract`: the example consumers judged check by check.

The battery runs on a looptime loop against the examples served in the same loop on 127.0.0.1,
so the bad consumer's 25 s batch costs no real time. The exit-code tests go through `main` on
the real clock, against an example served from a thread with a loop of its own.
"""

from __future__ import annotations

import asyncio
import contextlib
import importlib.util
import sys
import threading
import xml.etree.ElementTree as ET
from collections.abc import Coroutine, Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import orjson
import pytest
from aiohttp import web
from loopback import client_session, refusing_port, served

from simulator.cli import main
from simulator.contract.command import to_json, to_junit
from simulator.contract.findings import CheckStatus
from simulator.contract.probe import ADOBE_IO, LEGACY, KeyHost, RatePlan, Target
from simulator.contract.processed import ProcessedUrl
from simulator.contract.runner import ContractRun, run_contract, select_checks
from simulator.endpoint.idp import OAuthServer
from simulator.endpoint.receiver import Receiver
from simulator.payloads.catalog import select_activity_types
from simulator.payloads.signing import KeyRing
from simulator.shell.clock import run_virtual

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"
TOKEN = "tok-SECRET-value"
NEXT_TOKEN = "tok-NEXT-value"
# The seven types the bad consumer knows: subscribed alone, each of its other flaws shows apart.
KNOWN = select_activity_types(
    "Visit Webpage, Fill Out Form, Click Link, Open Email, Click Email, New Lead, Change Data Value"
)
FAST = RatePlan(sustain=4.0, ramp_max=2)  # 2 pushes, then a ramp to 2 subscriptions
RING = KeyRing.generate()  # once per module: RSA key generation is slow


def load_example(name: str) -> ModuleType:
    """examples/<name>.py by path (the examples are scripts), under a name of this module's."""
    spec = importlib.util.spec_from_file_location(f"contract_{name}", EXAMPLES / f"{name}.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


good = load_example("good_consumer")
bad = load_example("bad_consumer")


def virtual(coro: Coroutine[Any, Any, Any]) -> Any:
    """`coro` on the simulator's virtual clock (`run_virtual`), which waits for the probes'
    bytes on their way to the app and back."""
    return run_virtual(coro)


async def judge(
    example: ModuleType,
    *,
    profile: str = LEGACY,
    checks: tuple[str, ...] = (),
    processed: bool = True,
    **target: Any,
) -> ContractRun:
    """The contract against `example` on the virtual clock: the app gets the token and checks
    signatures with the contract's key host; the contract reads the app's /processed."""
    keys = KeyHost(RING)
    key_url = await keys.start()
    # The good example takes both tokens, as a consumer does while one replaces the other.
    tokens = [TOKEN, NEXT_TOKEN] if example is good else TOKEN
    app = example.create_app(token=tokens, key_base_url=key_url, verify_signatures=True)
    try:
        async with served(app) as url:
            return await run_contract(
                Target(endpoint=url, profile=profile, **target),
                checks=select_checks(profile, checks) if checks else None,
                processed=ProcessedUrl(url + "processed") if processed else None,
                rate=FAST,
                keys=keys,
            )
    finally:
        await keys.stop()


def statuses(run: ContractRun) -> dict[str, CheckStatus]:
    return {r.name: r.status for r in run.results}


def evidence(run: ContractRun, name: str) -> str:
    return next(r.evidence for r in run.results if r.name == name)


@pytest.fixture(scope="module")
def good_legacy() -> ContractRun:
    return virtual(judge(good, token=TOKEN, next_token=NEXT_TOKEN))


@pytest.fixture(scope="module")
def good_io() -> ContractRun:
    return virtual(judge(good, profile=ADOBE_IO, verifies_signatures=True))


@pytest.fixture(scope="module")
def bad_legacy() -> ContractRun:
    return virtual(judge(bad, token=TOKEN, next_token=NEXT_TOKEN, activity_types=KNOWN))


@pytest.fixture(scope="module")
def bad_io() -> ContractRun:
    return virtual(judge(bad, profile=ADOBE_IO, verifies_signatures=True, activity_types=KNOWN))


def _all_but(name: str, profile: str) -> tuple[str, ...]:
    return tuple(c.name for c in select_checks(profile) if c.name != name)


# --- the examples, check by check ----------------------------------------------------------------


def test_the_good_consumer_passes_every_legacy_check(good_legacy: ContractRun) -> None:
    """Legacy with both tokens and /processed: every check passes, token-change included."""
    assert statuses(good_legacy) == {
        "full-batch": CheckStatus.PASSED,
        "every-type": CheckStatus.PASSED,
        "unknown-types": CheckStatus.PASSED,
        "auth": CheckStatus.PASSED,
        "token-change": CheckStatus.PASSED,
        "idempotent": CheckStatus.PASSED,
        "out-of-order": CheckStatus.PASSED,
        "sustained-rate": CheckStatus.PASSED,
    }
    assert good_legacy.exit_code == 0


def test_the_good_consumer_passes_every_adobe_io_check(good_io: ContractRun) -> None:
    """I/O with signatures checked against the contract's key host and /processed: all pass."""
    assert statuses(good_io) == {
        "challenge": CheckStatus.PASSED,
        "full-batch": CheckStatus.PASSED,
        "every-type": CheckStatus.PASSED,
        "unknown-types": CheckStatus.PASSED,
        "signatures": CheckStatus.PASSED,
        "idempotent": CheckStatus.PASSED,
        "out-of-order": CheckStatus.PASSED,
        "sustained-rate": CheckStatus.PASSED,
    }
    assert good_io.exit_code == 0


@pytest.mark.parametrize("stream", ["user-audit", "notification"])
def test_the_good_consumer_passes_every_type_of_the_nested_streams(stream: str) -> None:
    """Every audit component and action, every notification kind, and unknown ones: 2xx."""
    run = virtual(
        judge(good, profile=ADOBE_IO, stream=stream, checks=("every-type", "unknown-types"))
    )
    assert statuses(run) == {"every-type": CheckStatus.PASSED, "unknown-types": CheckStatus.PASSED}


def test_the_bad_consumer_fails_exactly_its_legacy_flaws(bad_legacy: ContractRun) -> None:
    """Subscribed to the types it knows, it fails all but every-type."""
    assert statuses(bad_legacy) == {
        "full-batch": CheckStatus.FAILED,
        "every-type": CheckStatus.PASSED,
        "unknown-types": CheckStatus.FAILED,
        "auth": CheckStatus.FAILED,
        "token-change": CheckStatus.FAILED,
        "idempotent": CheckStatus.FAILED,
        "out-of-order": CheckStatus.FAILED,
        "sustained-rate": CheckStatus.FAILED,
    }
    assert bad_legacy.exit_code == 1


def test_the_bad_consumer_fails_exactly_its_adobe_io_flaws(bad_io: ContractRun) -> None:
    """On I/O its 20-event batches are fast and order does not matter to it; the rest fails."""
    assert statuses(bad_io) == {
        "challenge": CheckStatus.FAILED,
        "full-batch": CheckStatus.PASSED,
        "every-type": CheckStatus.PASSED,
        "unknown-types": CheckStatus.FAILED,
        "signatures": CheckStatus.FAILED,
        "idempotent": CheckStatus.FAILED,
        "out-of-order": CheckStatus.PASSED,
        "sustained-rate": CheckStatus.FAILED,
    }


def test_a_500_activity_batch_times_out_at_20_seconds(bad_legacy: ContractRun) -> None:
    """25 s of synchronous work per batch: the first full batch gets no answer in 20 s."""
    assert evidence(bad_legacy, "full-batch").startswith(
        "1 of 5 deliveries of 500 events sent, stopping at the first failure: 1 x timeout "
        "(no answer in 20s); latency p50 20.000s, p99 20.000s of the 20s limit"
    )


def test_unknown_types_name_each_case_and_its_answer(bad_legacy: ContractRun) -> None:
    """Unknown and custom types and an extra field get 500; an extra attribute passes."""
    assert evidence(bad_legacy, "unknown-types") == (
        "an unknown activity type: HTTP 500; a custom activity type: HTTP 500; an unknown field: "
        "HTTP 500; an unknown attribute: HTTP 200; expected 2xx for each (take what is not "
        "understood, ignore it)"
    )


def test_auth_shows_the_missing_and_wrong_tokens_accepted(bad_legacy: ContractRun) -> None:
    """A consumer that never checks the token answers 200 to all three."""
    assert evidence(bad_legacy, "auth") == (
        "no Authorization header: HTTP 200 (expected 401 or 403); a wrong token: HTTP 200 "
        "(expected 401 or 403); the valid token: HTTP 200 (expected 2xx)"
    )


def test_a_redelivery_processed_twice_is_named(bad_legacy: ContractRun) -> None:
    """Without dedupe every event of the redelivered batch is listed twice in /processed."""
    text = evidence(bad_legacy, "idempotent")
    assert text.startswith("a delivery of 10 events, then the same again: 2 x HTTP 200; ")
    assert "processed more than once: " in text
    assert text.count(" x2") == 5  # five ids shown, then "and 5 more"
    assert text.endswith(" and 5 more; expected each event processed once")


def test_an_older_legacy_batch_refused_with_409_fails_out_of_order(bad_legacy: ContractRun) -> None:
    """A batch below the highest activityLogItemId seen is refused: the 409 is the evidence."""
    assert "2 x" not in evidence(bad_legacy, "out-of-order")
    assert "1 x HTTP 200, 1 x HTTP 409; expected 2xx for both" in evidence(
        bad_legacy, "out-of-order"
    )


def test_the_rate_fails_on_the_first_timeout(bad_legacy: ContractRun) -> None:
    """The sustained rate stops at its first failure and names it."""
    assert evidence(bad_legacy, "sustained-rate").endswith(
        "first failure: subscription 1, push at +0.0s: timeout (no answer in 20s) after 20.000s"
    )


def test_a_consumer_slower_than_the_rate_falls_behind(bad_io: ContractRun) -> None:
    """1 s per 20-event delivery, 10 in flight, with no timeout: the second push starts 1 s
    late, and its last 5 deliveries would start after the planned 4 s, so they are not sent:
    45 requests, 180 of the 250 events/s."""
    assert evidence(bad_io, "sustained-rate") == (
        "for 4s, 1 subscription x 2 pushes of 500 events: 45 requests, 180 of 250 events/s, "
        "latency p50 1.000s, p99 1.000s of the 10s limit; fell behind the producer's 250 events/s "
        "(no push starts after the 4s)"
    )


def test_the_ramp_reports_the_highest_rate_sustained(good_legacy: ContractRun) -> None:
    """A fast consumer sustains the base rate and the ramp up to its bound."""
    assert evidence(good_legacy, "sustained-rate").endswith(
        "ramp 2: 500 events/s p99 0.000s; highest rate sustained with p99 within 10s: "
        "500 events/s (2 subscriptions; the ramp's bound)"
    )


def test_signatures_show_the_tampered_and_forged_bodies_accepted(bad_io: ContractRun) -> None:
    """Checking that a signature header is there is not verifying it."""
    assert evidence(bad_io, "signatures") == (
        "correctly signed: HTTP 200 (expected 2xx); a tampered body: HTTP 200 (expected 4xx); "
        "signed by another key: HTTP 200 (expected 4xx); no signature headers: HTTP 401 "
        "(expected 4xx)"
    )


def test_the_challenge_answered_ok_fails(bad_io: ContractRun) -> None:
    """An "ok" answer is not the challenge."""
    assert evidence(bad_io, "challenge") == (
        'expected 2xx with the challenge as the body (text or {"challenge": ...}); the '
        "challenge GET was answered 'ok' instead of the challenge"
    )


def test_every_type_names_the_types_refused_even_alone() -> None:
    """Subscribed to every type, the bad consumer's refusals are split out type by type."""
    run = virtual(judge(bad, token=TOKEN, checks=("every-type",)))
    text = evidence(run, "every-type")
    assert text.startswith(
        "71 activity types in 1 delivery: 1 x HTTP 500; refused even alone: "
        "6 Send Email (HTTP 500), "
    )
    assert "(HTTP 500) and 54 more; expected 2xx" in text  # 64 refused, 10 named


def test_token_change_fails_a_consumer_that_knows_one_token() -> None:
    """A consumer with only the old token refuses the new one: the change would lose pushes."""

    async def scenario() -> ContractRun:
        async with served(good.create_app(token=TOKEN)) as url:
            target = Target(endpoint=url, token=TOKEN, next_token=NEXT_TOKEN)
            return await run_contract(target, checks=select_checks(LEGACY, ["token-change"]))

    assert evidence(virtual(scenario()), "token-change") == (
        "the token before the change: HTTP 200 (expected 2xx); the token after the change: "
        "HTTP 401 (expected 2xx); a wrong token after the change: HTTP 401 (expected 401 or 403)"
    )


def test_token_change_passes_a_consumer_that_takes_refreshed_tokens() -> None:
    """The dev endpoint accepts every token its identity provider issued: both pass, junk not."""

    async def scenario() -> ContractRun:
        receiver = Receiver(oauth=OAuthServer(client_id="c", client_secret="s"))
        url = await receiver.start()
        try:
            tokens = [await _issue(url) for _ in range(2)]
            target = Target(endpoint=url, token=tokens[0], next_token=tokens[1])
            return await run_contract(target, checks=select_checks(LEGACY, ["token-change"]))
        finally:
            await receiver.stop()

    assert statuses(virtual(scenario())) == {"token-change": CheckStatus.PASSED}


async def _issue(url: str) -> str:
    form = {"grant_type": "client_credentials", "client_id": "c", "client_secret": "s"}
    async with (
        client_session() as session,
        session.post(url + "oauth/token", data=form) as r,
    ):
        assert r.status == 200
        return str((await r.json())["access_token"])


# --- skipped is never passed ---------------------------------------------------------------------


def test_checks_without_a_processed_source_are_skipped_with_the_reason() -> None:
    """No --processed-url or --processed-cmd: idempotent and out-of-order say why, exit 1."""
    run = virtual(judge(good, token=TOKEN, processed=False, checks=("idempotent", "out-of-order")))
    reason = "no --processed-url or --processed-cmd: what the consumer processed cannot be seen"
    assert [(r.status, r.evidence) for r in run.results] == [(CheckStatus.SKIPPED, reason)] * 2
    assert run.exit_code == 1


@pytest.mark.parametrize(
    ("profile", "check", "reason"),
    [
        pytest.param(
            LEGACY,
            "challenge",
            "not applicable to marketo-legacy: only Adobe I/O sends a challenge",
            id="challenge-legacy",
        ),
        pytest.param(
            ADOBE_IO,
            "auth",
            "not applicable to adobe-io: I/O Events sends no token, it signs deliveries",
            id="auth-io",
        ),
        pytest.param(
            LEGACY,
            "auth",
            "no --token-env: the consumer's valid token is not known",
            id="auth-no-token",
        ),
        pytest.param(
            ADOBE_IO,
            "signatures",
            "the consumer does not claim to verify signatures (--verifies-signatures)",
            id="signatures-unclaimed",
        ),
    ],
)
def test_a_check_that_cannot_run_is_skipped_with_its_reason(
    profile: str, check: str, reason: str
) -> None:
    """Named explicitly where it cannot run, a check is skipped, with the reason, and exit is 1."""
    run = virtual(judge(good, profile=profile, checks=(check,)))
    assert [(r.name, r.status, r.evidence) for r in run.results] == [
        (check, CheckStatus.SKIPPED, reason)
    ]
    assert run.exit_code == 1


def test_an_unreachable_consumer_runs_no_check() -> None:
    """Nothing listening: exit 3, every check reported as not run."""
    with refusing_port() as port:
        endpoint = f"http://127.0.0.1:{port}/"
        checks = select_checks(LEGACY, ["auth"])
        run = virtual(run_contract(Target(endpoint=endpoint), checks=checks))
    assert run.exit_code == 3
    assert run.unreachable.startswith("cannot connect to 127.0.0.1:")
    assert [r.status for r in run.results] == [CheckStatus.SKIPPED]
    assert run.results[0].evidence.startswith(f"not run: the consumer at {endpoint} could not")


# --- JSON and JUnit ------------------------------------------------------------------------------


def test_the_json_lists_name_status_evidence_and_duration(bad_io: ContractRun) -> None:
    """What was played against and the seed, then the document's checks: one object per
    check, in order; the duration is loop seconds; the figures behind the evidence are
    numbers."""
    document = orjson.loads(to_json(bad_io))
    rows = document["checks"]
    played = {key: document[key] for key in ("command", "endpoint", "profile", "stream", "seed")}
    assert played == {
        "command": "contract",
        "endpoint": bad_io.target.endpoint,
        "profile": "adobe-io",
        "stream": "lead-activity",
        "seed": 0,
    }
    assert [(r["name"], r["status"]) for r in rows] == [
        (name, str(status)) for name, status in statuses(bad_io).items()
    ]
    assert rows[0] == {
        "name": "challenge",
        "status": "failed",
        "evidence": evidence(bad_io, "challenge"),
        "duration": 0.0,
        "metrics": {},
    }


def test_the_junit_file_counts_tests_failures_and_skips(tmp_path: Path) -> None:
    """A JUnit parser reads one case per check: 8 tests, 6 failures, 1 skipped, 1 passed."""
    run = virtual(judge(bad, token=TOKEN, activity_types=KNOWN))  # no next token: skipped
    path = tmp_path / "contract.xml"
    path.write_text(to_junit(run, elapsed=1.5), encoding="utf-8")
    suite = ET.parse(path).getroot().find("testsuite")
    assert suite is not None
    counts = {key: suite.get(key) for key in ("tests", "failures", "errors", "skipped", "time")}
    assert counts == {"tests": "8", "failures": "6", "errors": "0", "skipped": "1", "time": "1.500"}
    cases = {case.get("name"): case for case in suite.iter("testcase")}
    assert list(cases) == list(statuses(run))
    assert [name for name, case in cases.items() if case.find("skipped") is not None] == [
        "token-change"
    ]
    assert [name for name, case in cases.items() if not len(case)] == ["every-type"]


def test_a_junit_failure_carries_the_evidence(bad_io: ContractRun) -> None:
    """The failure message is the evidence; its text adds the check and what it proves."""
    suite = ET.fromstring(to_junit(bad_io)).find("testsuite")
    assert suite is not None
    case = next(c for c in suite.iter("testcase") if c.get("name") == "signatures")
    failure = case.find("failure")
    assert failure is not None
    assert failure.get("message") == evidence(bad_io, "signatures")
    assert (failure.text or "").splitlines()[:2] == [
        "check: signatures",
        "proves: (adobe-io, --verifies-signatures) a tampered body, another key's signature "
        "and no signature get 4xx; a correct signature 2xx",
    ]


def test_a_junit_skip_carries_the_reason() -> None:
    """A skipped check is a <skipped> case with the reason as its message."""
    run = virtual(judge(good, checks=("auth",)))
    suite = ET.fromstring(to_junit(run)).find("testsuite")
    assert suite is not None
    skipped = next(suite.iter("testcase")).find("skipped")
    assert skipped is not None
    assert skipped.get("message") == "no --token-env: the consumer's valid token is not known"


# --- the command line: exit codes ----------------------------------------------------------------


@contextlib.contextmanager
def in_thread(example: ModuleType, **kwargs: Any) -> Iterator[str]:
    """`example.create_app(**kwargs)` on 127.0.0.1, served by a thread with its own loop."""
    loop = asyncio.new_event_loop()
    thread = threading.Thread(target=loop.run_forever, daemon=True)
    thread.start()

    async def start() -> web.AppRunner:
        runner = web.AppRunner(example.create_app(**kwargs), access_log=None)
        await runner.setup()
        await web.TCPSite(runner, "127.0.0.1", 0).start()
        return runner

    runner = asyncio.run_coroutine_threadsafe(start(), loop).result(timeout=10)
    try:
        yield f"http://127.0.0.1:{runner.addresses[0][1]}/"
    finally:
        asyncio.run_coroutine_threadsafe(runner.cleanup(), loop).result(timeout=10)
        loop.call_soon_threadsafe(loop.stop)
        thread.join(timeout=10)
        loop.close()


@pytest.fixture
def token_env(monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.setenv("CONTRACT_TOKEN", TOKEN)
    return "CONTRACT_TOKEN"


def test_exit_0_when_every_selected_check_passes(token_env: str) -> None:
    """The good consumer, legacy: auth and every-type pass."""
    with in_thread(good, token=TOKEN) as url:
        argv = ["contract", "--endpoint", url, "--token-env", token_env]
        assert main([*argv, "--check", "auth", "--check", "every-type"]) == 0


def test_exit_0_for_the_adobe_io_challenge() -> None:
    """The good consumer echoes the challenge."""
    with in_thread(good) as url:
        argv = ["contract", "--endpoint", url, "--profile", "adobe-io", "--check", "challenge"]
        assert main(argv) == 0


def test_exit_0_with_the_processed_ids_from_a_command(token_env: str) -> None:
    """--processed-cmd: a command that prints the consumer's /processed feeds idempotent."""
    with in_thread(good, token=TOKEN) as url:
        fetch = f"import urllib.request as u; print(u.urlopen('{url}processed').read().decode())"
        command = f'"{sys.executable}" -c "{fetch}"'
        argv = ["contract", "--endpoint", url, "--token-env", token_env, "--check", "idempotent"]
        assert main([*argv, "--processed-cmd", command]) == 0


def test_exit_1_when_a_check_fails_and_the_files_say_so(token_env: str, tmp_path: Path) -> None:
    """The bad consumer accepts a missing token: auth fails in the summary, JUnit and JSON."""
    junit, report = tmp_path / "c.xml", tmp_path / "c.json"
    with in_thread(bad, token=TOKEN) as url:
        argv = ["contract", "--endpoint", url, "--token-env", token_env, "--check", "auth"]
        assert main([*argv, "--junit", str(junit), "--json", str(report)]) == 1
    suite = ET.parse(junit).getroot().find("testsuite")
    assert suite is not None
    assert (suite.get("tests"), suite.get("failures"), suite.get("skipped")) == ("1", "1", "0")
    assert [row["status"] for row in orjson.loads(report.read_bytes())["checks"]] == ["failed"]


def test_exit_1_when_a_check_is_skipped(capsys: pytest.CaptureFixture[str]) -> None:
    """idempotent without a processed-ids source does not run: that is no pass."""
    with in_thread(good) as url:
        assert main(["contract", "--endpoint", url, "--check", "idempotent"]) == 1
    out = capsys.readouterr().out
    assert "SKIP idempotent — no --processed-url or --processed-cmd" in out
    assert "0 passed, 0 failed, 1 skipped: exit 1" in out


def test_exit_2_for_an_unknown_check(capsys: pytest.CaptureFixture[str]) -> None:
    """A typo in --check is bad usage; the message lists the checks."""
    argv = ["contract", "--endpoint", "http://127.0.0.1:9/", "--check", "idempotnet"]
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert "unknown check 'idempotnet'; the checks: challenge, full-batch" in err


def test_exit_2_when_the_token_variable_is_not_set(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """--token-env naming an unset variable is bad input, found before anything is sent."""
    monkeypatch.delenv("CONTRACT_NO_TOKEN", raising=False)
    argv = ["contract", "--endpoint", "http://127.0.0.1:9/", "--token-env", "CONTRACT_NO_TOKEN"]
    assert main(argv) == 2
    assert "--token-env CONTRACT_NO_TOKEN: the environment variable is not set" in (
        capsys.readouterr().err
    )


def test_exit_2_for_a_bad_flag_value() -> None:
    """argparse refuses a --sustain that is no duration."""
    with pytest.raises(SystemExit) as caught:
        main(["contract", "--endpoint", "http://127.0.0.1:9/", "--sustain", "soon"])
    assert caught.value.code == 2


def test_exit_3_when_nothing_listens(capsys: pytest.CaptureFixture[str]) -> None:
    """Connection refused on the first request: exit 3, said plainly, no check run."""
    with refusing_port() as port:
        assert main(["contract", "--endpoint", f"http://127.0.0.1:{port}/"]) == 3
    err = capsys.readouterr().err
    assert err.startswith(
        f"marketo-sim: error: the consumer at http://127.0.0.1:{port}/ could not be reached "
        f"(cannot connect to 127.0.0.1:{port}"
    )
    assert err.rstrip().endswith("no check ran")
