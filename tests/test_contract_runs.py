"""`marketo-sim contract` run after run, against slow consumers and within a time limit.

Repeatability: each run draws a seed of its own (printed, and in JSON and JUnit), so a consumer
that remembers ids sees new events; `--seed` repeats a run. The clock: a check stops at its first
decisive failure, sustained-rate ends with its plan (plus one delivery timeout of grace), and
`--timeout` bounds the whole run. Slow consumers run on the virtual clock; the command-line tests
run on the real clock against a consumer that hangs until the test releases it.
"""

from __future__ import annotations

import asyncio
import re
import threading
import xml.etree.ElementTree as ET
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import orjson
import pytest
from aiohttp import web
from fake_consumer import FakeConsumer, Post, probe_of
from loopback import served
from loopback import virtual as virtual_test
from test_contract import FAST, NEXT_TOKEN, RING, TOKEN, good, in_thread, judge, virtual

from simulator.cli import main
from simulator.contract import checks
from simulator.contract.findings import CheckStatus
from simulator.contract.probe import ADOBE_IO, LEGACY, KeyHost, Probe, RatePlan, Target
from simulator.contract.processed import ProcessedUrl
from simulator.contract.runner import ContractRun, run_contract, select_checks
from simulator.payloads.catalog import select_activity_types

VISIT_AND_NEW_LEAD = select_activity_types("1, 12")


# --- repeatable runs -----------------------------------------------------------------------------


def _results(run: ContractRun) -> list[tuple[str, CheckStatus]]:
    return [(r.name, r.status) for r in run.results]


def test_a_new_seed_sends_new_events_to_a_consumer_that_remembers_ids() -> None:
    """The same good consumer, three runs of idempotent and out-of-order: seeds 1 and 2 both
    pass; seed 1 again sends events the consumer processed already, which it rightly drops."""

    async def scenario() -> list[ContractRun]:
        app = good.create_app(token=TOKEN)
        runs = []
        async with served(app) as url:
            for seed in (1, 2, 1):
                runs.append(
                    await run_contract(
                        Target(endpoint=url, token=TOKEN, seed=seed),
                        checks=select_checks(LEGACY, ["idempotent", "out-of-order"]),
                        processed=ProcessedUrl(url + "processed"),
                    )
                )
        return runs

    first, second, again = virtual(scenario())
    passed = [("idempotent", CheckStatus.PASSED), ("out-of-order", CheckStatus.PASSED)]
    assert (_results(first), _results(second)) == (passed, passed)
    assert [r.status for r in again.results] == [CheckStatus.FAILED] * 2
    assert again.results[0].evidence.endswith(
        "; expected each event processed once, listed by any of its ids "
        "(marketoGUID or activityLogItemId)"
    )


@pytest.mark.parametrize("profile", [LEGACY, ADOBE_IO])
def test_the_whole_battery_passes_twice_in_a_row_against_one_good_consumer(profile: str) -> None:
    """One good consumer process (tokens, signatures verified, /processed), the whole battery of
    the profile twice, each run with a seed of its own: every check passes both times."""

    async def scenario() -> list[ContractRun]:
        keys = KeyHost(RING)
        key_url = await keys.start()
        app = good.create_app(
            token=[TOKEN, NEXT_TOKEN], key_base_url=key_url, verify_signatures=True
        )
        runs = []
        try:
            async with served(app) as url:
                for seed in (11, 12):
                    target = Target(
                        endpoint=url,
                        profile=profile,
                        token=TOKEN if profile == LEGACY else None,
                        next_token=NEXT_TOKEN if profile == LEGACY else None,
                        verifies_signatures=profile == ADOBE_IO,
                        seed=seed,
                    )
                    processed = ProcessedUrl(url + "processed")
                    runs.append(
                        await run_contract(target, processed=processed, rate=FAST, keys=keys)
                    )
        finally:
            await keys.stop()
        return runs

    first, second = virtual(scenario())
    every = [(c.name, CheckStatus.PASSED) for c in select_checks(profile)]
    assert (_results(first), _results(second)) == (every, every)


def test_the_same_seed_makes_the_same_events_and_delivery_ids() -> None:
    """Two probes of seed 7 stock the same ids and name deliveries alike; seed 8 differs."""
    target = Target(
        endpoint="http://127.0.0.1:9/", profile=ADOBE_IO, seed=7, activity_types=VISIT_AND_NEW_LEAD
    )

    async def made(seed: int) -> tuple[list[tuple[str, ...]], str]:
        probe = probe_of(FakeConsumer(), Target(**{**_fields(target), "seed": seed}))
        return [item.ids for item in probe.stock.take(3)], probe.new_id("delivery")

    def ids(seed: int) -> tuple[list[tuple[str, ...]], str]:
        result: tuple[list[tuple[str, ...]], str] = virtual(made(seed))
        return result

    first, again, other = ids(7), ids(7), ids(8)
    assert first == again
    assert other[0][0][0] != first[0][0][0]
    assert other[1] != first[1]


def test_a_legacy_message_id_is_the_seed_then_a_counter() -> None:
    """Seed 0 counts from 1000001, seed 42 from 421000001: runs never share a messageId."""

    async def message_ids(seed: int) -> list[str]:
        target = Target(
            endpoint="http://127.0.0.1:9/", activity_types=VISIT_AND_NEW_LEAD, seed=seed
        )
        probe = probe_of(FakeConsumer(), target)
        deliveries = [probe.delivery(probe.stock.take(1)) for _ in range(2)]
        return [orjson.loads(d.body)["messageId"] for d in deliveries]

    assert virtual(message_ids(0)) == ["1000001", "1000002"]
    assert virtual(message_ids(42)) == ["421000001", "421000002"]


def _fields(target: Target) -> dict[str, Any]:
    return {name: getattr(target, name) for name in target.__dataclass_fields__}


class ListedAs:
    """A processed-ids source that lists each event the fake consumer got once, by `key` of the
    activity or envelope (`prefix` before it, as a consumer with ids of its own would)."""

    where = "fake"

    def __init__(self, consumer: FakeConsumer, key: str, prefix: str = "") -> None:
        self.consumer, self.key, self.prefix = consumer, key, prefix

    async def read(self) -> list[str]:
        ids = (f"{self.prefix}{e[self.key]}" for p in self.consumer.posts for e in p.events)
        return list(dict.fromkeys(ids))  # each once: it deduplicates

    async def close(self) -> None:
        return None


def _probe(consumer: FakeConsumer, source: ListedAs, profile: str = LEGACY) -> Probe:
    target = Target(
        endpoint="http://127.0.0.1:9/", profile=profile, activity_types=VISIT_AND_NEW_LEAD
    )
    probe = probe_of(consumer, target)
    probe.processed_source = source
    return probe


@pytest.mark.parametrize("key", ["eventid", "id"])
@virtual_test
async def test_an_io_consumer_may_list_the_eventid_or_the_cloudevent_id(key: str) -> None:
    """Adobe I/O Lead Activity: listed by eventid or by the CloudEvent id (the marketoGUID),
    every event of a delivery and its redelivery counts once."""
    consumer = FakeConsumer(latency=0.0)
    finding = await checks.idempotent(_probe(consumer, ListedAs(consumer, key), ADOBE_IO))
    assert finding.status is CheckStatus.PASSED


def test_a_consumer_listing_other_ids_is_told_which_were_expected_and_seen() -> None:
    """A consumer that lists ids of its own: the evidence names three of the ids expected, the
    ids an event may be listed by, and three of the ids the consumer listed instead."""

    async def scenario() -> tuple[str, list[Post]]:
        consumer = FakeConsumer(latency=0.0)
        probe = _probe(consumer, ListedAs(consumer, "marketoGUID", prefix="row-"))
        finding = await checks.idempotent(probe)
        assert finding.status is CheckStatus.FAILED
        return finding.evidence, consumer.posts

    text, posts = virtual(scenario())
    guids = [a["marketoGUID"] for a in posts[0].events]
    assert text == (
        "a delivery of 10 events, then the same again: 2 x HTTP 200; "
        f"never processed: {', '.join(guids[:3])} and 7 more; expected each event processed "
        "once, listed by any of its ids (marketoGUID or activityLogItemId); the consumer "
        f"listed 10 other ids since the check began, e.g. row-{guids[0]}, row-{guids[1]}, "
        f"row-{guids[2]}"
    )


# --- the clock: slow consumers -------------------------------------------------------------------


def slow_app(seconds: float) -> web.Application:
    """A consumer that answers every POST with 200 after `seconds` (and a GET at once)."""

    async def post(request: web.Request) -> web.Response:
        await request.read()
        await asyncio.sleep(seconds)
        return web.Response(text="ok")

    async def get(request: web.Request) -> web.Response:
        return web.Response(text="ok")

    app = web.Application(client_max_size=4 * 1024 * 1024)
    app.router.add_post("/", post)
    app.router.add_get("/", get)
    return app


async def _against_slow(
    names: Sequence[str], *, limit: float | None = None, sustain: float = 10.0
) -> ContractRun:
    async with served(slow_app(12.0)) as url:
        return await run_contract(
            Target(endpoint=url),
            checks=select_checks(LEGACY, names),
            rate=RatePlan(sustain=sustain),
            limit=limit,
        )


def test_full_batch_stops_after_an_answer_slower_than_half_the_limit() -> None:
    """12 s of a 20 s limit: one delivery is enough to know, so no second is sent."""
    run = virtual(_against_slow(["full-batch"]))
    assert run.results[0].evidence == (
        "1 of 5 deliveries of 500 events sent, stopping at the first failure: 1 x HTTP 200; "
        "latency p50 12.000s, p99 12.000s of the 20s limit; expected 2xx within 10s, half "
        "the limit"
    )
    assert run.results[0].duration == pytest.approx(12.0, abs=0.01)


def test_sustained_rate_ends_with_its_plan_and_one_push_in_flight() -> None:
    """--sustain 10s against 12 s answers: the push at 0 s answers at 12 s, past the plan, so
    no other starts; the check takes 12 s, within 10 s plus the 20 s grace, not 60 s."""
    run = virtual(_against_slow(["sustained-rate"]))
    result = run.results[0]
    assert result.status is CheckStatus.FAILED
    assert result.evidence.startswith(
        "for 10s, 1 subscription x 5 pushes of 500 events: 1 request, 42 of 250 events/s"
    )
    assert result.evidence.endswith(
        "fell behind the producer's 250 events/s (no push starts after the 10s)"
    )
    assert result.duration == pytest.approx(12.0, abs=0.01)


def test_the_timeout_cuts_the_running_check_and_runs_no_other() -> None:
    """--timeout 30s: full-batch and every-type take 12 s each; unknown-types is cut 6 s in
    and fails; sustained-rate does not run. Nothing passes that was not judged."""
    run = virtual(
        _against_slow(["full-batch", "every-type", "unknown-types", "sustained-rate"], limit=30.0)
    )
    assert [(r.name, r.status, round(r.duration, 1)) for r in run.results] == [
        ("full-batch", CheckStatus.FAILED, 12.0),
        ("every-type", CheckStatus.PASSED, 12.0),
        ("unknown-types", CheckStatus.FAILED, 6.0),
        ("sustained-rate", CheckStatus.SKIPPED, 0.0),
    ]
    assert run.results[2].evidence == (
        "cut short: the contract's --timeout 30s ran out 6.0s into this check "
        "(no verdict, so no pass)"
    )
    assert run.results[3].evidence == (
        "not run: the contract's --timeout 30s ran out before this check"
    )
    assert run.exit_code == 1


def test_unknown_types_after_a_timeout_are_not_tried() -> None:
    """A consumer that never answers in time: one case is sent, the rest named as not tried."""

    async def scenario() -> str:
        async with served(slow_app(25.0)) as url:
            run = await run_contract(
                Target(endpoint=url), checks=select_checks(LEGACY, ["unknown-types"])
            )
        return run.results[0].evidence

    assert virtual(scenario()) == (
        "an unknown activity type: timeout (no answer in 20s); not tried after that: a custom "
        "activity type, an unknown field, an unknown attribute; expected 2xx for each (take "
        "what is not understood, ignore it)"
    )


def test_a_get_that_hangs_past_the_timeout_leaves_the_consumer_unreachable() -> None:
    """--timeout 5s and a GET that answers after 60 s: no check runs, exit 3, and why."""

    async def scenario() -> ContractRun:
        async def hang(request: web.Request) -> web.Response:
            await asyncio.sleep(60)
            return web.Response(text="ok")

        app = web.Application()
        app.router.add_get("/", hang)
        async with served(app) as url:
            return await run_contract(
                Target(endpoint=url), checks=select_checks(LEGACY, ["full-batch"]), limit=5.0
            )

    run = virtual(scenario())
    assert (run.exit_code, run.unreachable) == (
        3,
        "no answer to a GET before the contract's --timeout 5s ran out",
    )
    assert [r.status for r in run.results] == [CheckStatus.SKIPPED]


# --- hints ---------------------------------------------------------------------------------------


def test_a_401_without_a_token_names_the_flag_that_gives_one() -> None:
    """The consumer wants a token and none was given: the failure says to pass --token-env."""
    run = virtual(judge(good, checks=("full-batch",)))
    assert run.results[0].evidence.endswith(
        "; the consumer answered 401 and no token was given: pass its token with "
        "--token-env NAME (the environment variable holding it)"
    )


# --- the command line, on the real clock ---------------------------------------------------------


@pytest.fixture
def token_env(monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.setenv("CONTRACT_TOKEN", TOKEN)
    return "CONTRACT_TOKEN"


def _seed(out: str) -> int:
    found = re.search(r"^seed (\d+) \(--seed \1 sends these events again\)$", out, re.M)
    assert found is not None, out
    return int(found.group(1))


def test_two_runs_in_a_row_against_the_good_consumer_both_pass(
    token_env: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The same consumer process, the same command twice: both exit 0, each with a seed of its
    own, printed and written to the JUnit file."""
    junit = tmp_path / "c.xml"
    seeds = []
    with in_thread(good, token=TOKEN) as url:
        argv = ["contract", "--endpoint", url, "--token-env", token_env]
        argv += ["--processed-url", url + "processed", "--junit", str(junit)]
        argv += ["--check", "auth", "--check", "idempotent"]  # the battery: on the virtual clock
        for _ in range(2):
            assert main(argv) == 0
            seeds.append(_seed(capsys.readouterr().out))
            suite = ET.parse(junit).getroot().find("testsuite")
            assert suite is not None
            properties = {p.get("name"): p.get("value") for p in suite.iter("property")}
            assert properties["seed"] == str(seeds[-1])
    assert seeds[0] != seeds[1]


def test_a_given_seed_is_used_and_written_to_the_json(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """--seed 7: printed as the run's seed and written to the JSON document."""
    report = tmp_path / "c.json"
    with in_thread(good) as url:
        argv = ["contract", "--endpoint", url, "--profile", "adobe-io", "--check", "challenge"]
        assert main([*argv, "--seed", "7", "--json", str(report)]) == 0
    assert _seed(capsys.readouterr().out) == 7
    assert orjson.loads(report.read_bytes())["seed"] == 7


@pytest.fixture
def hanging() -> Iterator[str]:
    """A consumer whose POSTs hang until the test ends (at most 10 s), served from a thread."""
    release = threading.Event()

    async def post(request: web.Request) -> web.Response:
        await request.read()
        await asyncio.get_running_loop().run_in_executor(None, release.wait, 10.0)
        return web.Response(text="ok")

    async def get(request: web.Request) -> web.Response:
        return web.Response(text="ok")

    class Module:
        @staticmethod
        def create_app() -> web.Application:
            app = web.Application()
            app.router.add_post("/", post)
            app.router.add_get("/", get)
            return app

    with in_thread(Module) as url:  # type: ignore[arg-type]
        try:
            yield url
        finally:
            release.set()


def test_the_timeout_flag_ends_a_contract_against_a_hanging_consumer(
    hanging: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """--timeout 0.5s: full-batch is cut short and fails, every-type does not run; exit 1."""
    report = tmp_path / "c.json"
    argv = ["contract", "--endpoint", hanging, "--check", "full-batch", "--check", "every-type"]
    assert main([*argv, "--timeout", "0.5s", "--json", str(report)]) == 1
    rows = orjson.loads(report.read_bytes())["checks"]
    assert [(r["name"], r["status"]) for r in rows] == [
        ("full-batch", "failed"),
        ("every-type", "skipped"),
    ]
    assert rows[0]["evidence"].startswith("cut short: the contract's --timeout 0.5s ran out")
    assert (
        "0 passed, 1 failed, 1 skipped: exit 1 (the --timeout ran out: allow more time, or "
        "--skip some checks)"
    ) in capsys.readouterr().out


def test_a_timeout_that_is_no_duration_is_bad_usage() -> None:
    """argparse refuses --timeout soon, and --timeout 0s."""
    for value in ("soon", "0s"):
        with pytest.raises(SystemExit) as caught:
            main(["contract", "--endpoint", "http://127.0.0.1:9/", "--timeout", value])
        assert caught.value.code == 2
