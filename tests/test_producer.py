"""A run file played end to end by the producer, on the virtual clock."""

from __future__ import annotations

import asyncio

from simulator.core.delivery import State
from simulator.producer import Producer, RunResult
from simulator.reports.console import Recorder
from simulator.runfile.scenario import parse_run
from simulator.shell.clock import run_virtual

TWO_SUBSCRIPTIONS = """\
munchkinId: 123-ABC-456
receiver:
  tokenEnv: GOOD_TOKEN
subscriptions:
  - name: healthy
    rate: 10
    auth: {type: token, tokenEnv: GOOD_TOKEN}
  - name: misconfigured
    rate: 10
    auth: {type: token, tokenEnv: STALE_TOKEN}
"""
ENV = {"GOOD_TOKEN": "right", "STALE_TOKEN": "wrong"}


def play(text: str, *, duration: float) -> tuple[RunResult, Recorder]:
    recorder = Recorder()
    producer = Producer(parse_run(text, environ=ENV), virtual=True, observers=[recorder])
    return run_virtual(producer.play(duration)), recorder


def test_a_failing_subscription_does_not_delay_another() -> None:
    """One subscription stuck on 401s; the other still pushes every 2 s."""
    result, recorder = play(TWO_SUBSCRIPTIONS, duration=601.0)
    healthy = [a.at for a in recorder.attempts if a.subscription == "healthy"]
    failing = [(a.at, a.status) for a in recorder.attempts if a.subscription == "misconfigured"]
    assert healthy == [2.0 * k for k in range(1, 301)]
    assert failing == [(2.0, 401), (182.0, 401), (362.0, 401), (542.0, 401)]
    assert result.machines["misconfigured"].state is State.PAUSED
    assert result.balanced


def test_an_interrupted_run_still_ends_with_a_balanced_ledger() -> None:
    """Cancelling the run (Ctrl-C) returns the result instead of losing it."""
    producer = Producer(parse_run(TWO_SUBSCRIPTIONS, environ=ENV), virtual=True)

    async def main() -> RunResult:
        task = asyncio.create_task(producer.play(None))
        await asyncio.sleep(100.5)
        task.cancel()
        return await task

    result = run_virtual(main())
    assert result.interrupted
    assert result.ended_at == 100.5
    assert result.balanced
    assert result.ledgers["healthy"].acknowledged == 1000
