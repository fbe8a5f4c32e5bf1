"""Faults against a real consumer: a fault proxy (`simulator.endpoint.proxy`) in front of each
consumer a scenario pushes to, so that its endpoint steps and its `receiver:` misbehaviour
(status, failure rate, latency, hang, reset, refuse, outages) reach the real consumer.

`start_proxies` starts them before the run and hands back the run file pushing to them; the
director then plays the endpoint steps on them (`Director(proxies=...)`), on the run's clock.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

from simulator.core.behaviour import DEFAULT_BEHAVIOUR
from simulator.producer import EMBEDDED
from simulator.runfile.scenario import RunSpec

if TYPE_CHECKING:  # the proxy (aiohttp's server) loads only in a run that needs one
    from simulator.endpoint.proxy import FaultProxy


def wants_proxy(run: RunSpec, *, steerable: bool = False) -> bool:
    """A subscription pushes to a real consumer, and the scenario has misbehaviour to play (or
    may be given some while it runs: `steerable`, a run with a control API)."""
    external = any(s.endpoint != EMBEDDED for s in run.subscriptions)
    steps = any(step.action == "endpoint" for _, step in run.step_times())
    return external and (steerable or steps or run.receiver.behaviour() != DEFAULT_BEHAVIOUR)


async def start_proxies(
    run: RunSpec, *, log: Callable[[str], None] | None = None, steerable: bool = False
) -> tuple[RunSpec, list[FaultProxy]]:
    """One started proxy per consumer URL, with the `receiver:` section's behaviour, and `run`
    pushing to them; `run` unchanged and no proxy when the scenario has nothing for one to do."""
    if not wants_proxy(run, steerable=steerable):
        return run, []
    from simulator.endpoint.proxy import FaultProxy

    baseline = run.receiver.behaviour()
    proxies: dict[str, FaultProxy] = {}
    try:
        for spec in run.subscriptions:
            if spec.endpoint != EMBEDDED and spec.endpoint not in proxies:
                proxy = FaultProxy(spec.endpoint, behaviour=baseline, seed=run.seed, log=log)
                proxies[spec.endpoint] = proxy
                await proxy.start()
    except BaseException:
        await stop_proxies(list(proxies.values()))
        raise
    subscriptions = tuple(
        s if s.endpoint == EMBEDDED else s.model_copy(update={"endpoint": proxies[s.endpoint].url})
        for s in run.subscriptions
    )
    proxied = run.model_copy(update={"subscriptions": subscriptions})
    proxied._file = run.file
    return proxied, list(proxies.values())


async def stop_proxies(proxies: Sequence[FaultProxy]) -> None:
    for proxy in proxies:
        await proxy.stop()
