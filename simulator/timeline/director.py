"""Plays a scenario's timeline: at each step's simulated time, does what the step says.

Traffic steps (bursts, rate changes) need no acting: they are folded into each subscription's
traffic before the run (see `producer.scheduled_traffic`). Everything else changes the world
while it runs: the embedded endpoint's behaviour, the identity provider, the signing keys, a
subscription's provisioning, and anomalies forced on the next push.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable

import aiohttp

from simulator.core.delivery import Subscription
from simulator.endpoint.receiver import Receiver
from simulator.producer import Producer
from simulator.runfile.endpointspec import EndpointChange
from simulator.runfile.steps import StepSpec
from simulator.shell.clock import Clock
from simulator.shell.iolane import IoLane


class Director:
    def __init__(
        self, producer: Producer, *, say: Callable[[float, str], None] = lambda t, text: None
    ) -> None:
        self.producer = producer
        self.say = say
        self.backfilled: dict[str, int] = {}  # events read back per registration
        self._reads: list[asyncio.Task[None]] = []
        receiver = producer.receiver
        self._baseline = (
            (receiver.behaviour, receiver.challenge_style) if receiver is not None else None
        )

    async def play(self, clock: Clock) -> None:
        try:
            for at, step in self.producer.run.step_times():
                await clock.sleep_until(at)
                self.apply(step, clock.now())
            await asyncio.gather(*self._reads)
        finally:
            for read in self._reads:
                read.cancel()

    def apply(self, step: StepSpec, now: float) -> None:
        handler = getattr(self, f"_{step.action}")
        note = handler(step, now)
        self.say(now, f"{step.label()}{f' ({note})' if note else ''}")

    # -- the actions -------------------------------------------------------------------------

    def _endpoint(self, step: StepSpec, now: float) -> str:
        receiver = self.producer.receiver
        if receiver is None or self._baseline is None:
            return "skipped: the endpoint is not the embedded one"
        if step.endpoint == "normal":
            receiver.behaviour, receiver.challenge_style = self._baseline
            return ""
        assert isinstance(step.endpoint, EndpointChange)
        change = step.endpoint
        receiver.behaviour = change.applied_to(receiver.behaviour, now)
        if change.challenge is not None:
            receiver.challenge_style = change.challenge
        return ""

    def _burst(self, step: StepSpec, now: float) -> str:
        return ""  # already in the subscription's traffic

    def _rate(self, step: StepSpec, now: float) -> str:
        return ""  # already in the subscription's traffic

    def _expire_tokens(self, step: StepSpec, now: float) -> str:
        self._receiver().expire_tokens()
        return ""

    def _idp_failures(self, step: StepSpec, now: float) -> str:
        assert step.idp_failures is not None
        self._receiver().fail_token_requests(step.idp_failures)
        return ""

    def _rotate_keys(self, step: StepSpec, now: float) -> str:
        if self.producer.keys is None:
            return "skipped: no adobe-io subscription signs anything"
        key = self.producer.keys.rotate()
        return f"signing with {key.path}"

    def _deprovision(self, step: StepSpec, now: float) -> str:
        machine = self._legacy(step)
        old = machine.state
        change = machine.deprovision(now)
        self._changed(step, old, change.new, now, "deprovisioned by the scenario")
        return ""

    def _reprovision(self, step: StepSpec, now: float) -> str:
        machine = self._legacy(step)
        old = machine.state
        change = machine.reprovision(now)
        self._changed(step, old, change.new, now, "reprovisioned by the scenario")
        return ""

    def _enable(self, step: StepSpec, now: float) -> str:
        lane = self._lane(step)
        assert isinstance(lane, IoLane)
        if lane.machine.state != "disabled":
            return f"skipped: the registration is {lane.machine.state}, not disabled"
        lane.enable()
        return ""

    def _backfill(self, step: StepSpec, now: float) -> str:
        assert step.backfill is not None
        self._reads.append(asyncio.create_task(self._read_journal(step.backfill)))
        return ""

    async def _read_journal(self, name: str) -> None:
        """Page through the journal like a consumer: follow `next` links until 204."""
        assert self.producer.publisher is not None
        url: str | None = f"{self.producer.publisher.journal_url(name)}?limit=1000"
        headers = {"Authorization": "Bearer marketo-sim", "x-api-key": "marketo-sim"}
        async with aiohttp.ClientSession() as session:
            while url is not None:
                async with session.get(url, headers=headers) as response:
                    if response.status != 200:
                        return
                    page = await response.json()
                    self.backfilled[name] = self.backfilled.get(name, 0) + len(page["events"])
                    url = str(response.links["next"]["url"]) if "next" in response.links else None

    def _anomaly(self, step: StepSpec, now: float) -> str:
        assert step.anomaly is not None
        lane = self._lane(step)
        lane.anomalies.append(step.anomaly.kind)
        lane.poke()
        return ""

    # -- helpers ---------------------------------------------------------------------------------

    def _receiver(self) -> Receiver:
        receiver = self.producer.receiver
        assert receiver is not None, "the scenario checker requires the embedded receiver"
        return receiver

    def _lane(self, step: StepSpec):  # type: ignore[no-untyped-def]
        engine = self.producer.engine
        assert engine is not None
        return next(lane for lane in engine.lanes if lane.name == step.subscription)

    def _legacy(self, step: StepSpec) -> Subscription:
        machine = self._lane(step).machine
        assert isinstance(machine, Subscription)
        return machine

    def _changed(self, step: StepSpec, old: str, new: str, now: float, reason: str) -> None:
        engine = self.producer.engine
        assert engine is not None
        if new != old:
            engine.emit_change(self._lane(step).name, old, new, now, reason)
        self._lane(step).poke()
