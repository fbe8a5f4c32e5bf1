"""Plays a scenario's timeline: at each step's simulated time, does what the step says.

Traffic steps (bursts, rate changes) need no acting: they are folded into each subscription's
traffic before the run (`producer.traffic_step`). Everything else changes the world while it
runs, each action through its one handler in the director's table: the embedded endpoint's
behaviour, the identity provider, the signing keys, a subscription's provisioning, a
registration's re-enabling, a journal read, and anomalies forced on the next push.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

import aiohttp

from simulator.core.delivery import Subscription
from simulator.producer import Producer, traffic_step
from simulator.runfile.endpointspec import EndpointChange
from simulator.runfile.steps import StepSpec
from simulator.shell.clock import Clock
from simulator.shell.engine import Engine, Lane

if TYPE_CHECKING:  # the embedded endpoint and its fault proxy load only in runs that use them
    from simulator.endpoint.proxy import FaultProxy
    from simulator.endpoint.receiver import Receiver

# A step's handler: does what the step says at `now`; returns a note for the log ("" for none).
Handler = Callable[["Director", StepSpec, float], str]


class Director:
    """Plays the timeline of a started producer's run file (`play`), saying each step as it goes;
    `reached(t)` tells a caller when every step due by `t` has been played."""

    def __init__(
        self,
        producer: Producer,
        *,
        say: Callable[[float, str], None] = lambda t, text: None,
        proxies: Sequence[FaultProxy] = (),
    ) -> None:
        self.producer = producer
        self.say = say
        # Fault proxies in front of real consumers (`simulator.timeline.faulting`): the endpoint
        # steps are theirs, on the run's clock.
        self._proxies = [(proxy, proxy.behaviour) for proxy in proxies]
        if producer.engine is not None:
            for proxy in proxies:
                proxy.clock = producer.engine.clock.now
        self.backfilled: dict[str, int] = {}  # events read back per registration
        self._reads: list[asyncio.Task[None]] = []
        receiver = producer.receiver
        self._baseline = (
            (receiver.behaviour, receiver.challenge_style) if receiver is not None else None
        )
        self._steps = producer.run.step_times()
        self._here = {spec.name for spec in producer.run.subscriptions}
        self._played = 0  # how many of `_steps` have been applied
        self._stepped = asyncio.Event()

    async def play(self, clock: Clock) -> None:
        try:
            for at, step in self._steps:
                await clock.sleep_until(at)
                self.apply(step, clock.now())
                self._played += 1
                self._stepped.set()
            await asyncio.gather(*self._reads)
        finally:
            for read in self._reads:
                read.cancel()

    async def reached(self, t: float) -> None:
        """Return once every step due at or before simulated time `t` has been applied."""
        while self._played < len(self._steps) and self._steps[self._played][0] <= t:
            self._stepped.clear()
            await self._stepped.wait()

    def apply(self, step: StepSpec, now: float) -> None:
        """Play `step`; one naming a subscription of another shard (`--shard`) is only said:
        the shard that holds the subscription plays it. Run-wide steps play in every shard."""
        planned = traffic_step(now, step) is not None
        if step.subscription is not None and step.subscription not in self._here:
            note = "skipped: another shard plays it"
        else:
            note = "" if planned else HANDLERS[step.action](self, step, now)
        self.say(now, f"{step.label()}{f' ({note})' if note else ''}")

    # -- the actions -------------------------------------------------------------------------

    def _endpoint(self, step: StepSpec, now: float) -> str:
        if self._proxies:
            return self._proxy_endpoint(step, now)
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

    def _proxy_endpoint(self, step: StepSpec, now: float) -> str:
        """An endpoint step played by the fault proxies in front of the real consumers."""
        note = "at the fault proxy"
        for proxy, baseline in self._proxies:
            if step.endpoint == "normal":
                proxy.behaviour = baseline
                continue
            assert isinstance(step.endpoint, EndpointChange)
            proxy.behaviour = step.endpoint.applied_to(proxy.behaviour, now)
        if isinstance(step.endpoint, EndpointChange) and step.endpoint.challenge is not None:
            note += "; challenge skipped: the consumer answers its own challenges"
        return note

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
        from simulator.shell.iolane import IoLane

        lane = self._lane(step)
        assert isinstance(lane, IoLane), "the scenario checker allows enable for adobe-io only"
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
        self._lane(step).force(step.anomaly.kind)
        return ""

    # -- helpers ---------------------------------------------------------------------------------

    def _receiver(self) -> Receiver:
        receiver = self.producer.receiver
        assert receiver is not None, "the scenario checker requires the embedded receiver"
        return receiver

    def _engine(self) -> Engine:
        engine = self.producer.engine
        assert engine is not None, "the director plays once the producer has started"
        return engine

    def _lane(self, step: StepSpec) -> Lane:
        assert step.subscription is not None, f"a {step.action} step names its subscription"
        return self._engine().lane(step.subscription)

    def _legacy(self, step: StepSpec) -> Subscription:
        machine = self._lane(step).machine
        assert isinstance(machine, Subscription)
        return machine

    def _changed(self, step: StepSpec, old: str, new: str, now: float, reason: str) -> None:
        lane = self._lane(step)
        if new != old:
            self._engine().emit_change(lane.name, old, new, now, reason)
        lane.poke()


# Each action's one handler. Burst and rate steps have none: they are traffic, played before the
# run (`producer.traffic_step`).
HANDLERS: dict[str, Handler] = {
    "endpoint": Director._endpoint,
    "expire_tokens": Director._expire_tokens,
    "idp_failures": Director._idp_failures,
    "rotate_keys": Director._rotate_keys,
    "deprovision": Director._deprovision,
    "reprovision": Director._reprovision,
    "enable": Director._enable,
    "anomaly": Director._anomaly,
    "backfill": Director._backfill,
}
