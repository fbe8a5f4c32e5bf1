"""Prometheus metrics of a run, for soak tests: what `--metrics-port` serves.

Two sources, so that nothing is done per event:
- an observer of the engine counts attempts by subscription and outcome and times them in a
  histogram, once per attempt (an attempt carries a batch, not an event);
- a collector reads the delivery machines when Prometheus scrapes: queue depth, oldest-event age,
  each subscription's state and its ledger (events produced, acknowledged, expired, discarded,
  dropped). It runs in the HTTP server's thread and only reads, like the live status; the run
  brings production up to now on the loop (`bring_up_to`).

Times are simulated seconds: on the virtual clock a scrape sees the simulated instant the run has
reached, and ages are simulated ages.

In the client's multiprocess mode (`PROMETHEUS_MULTIPROC_DIR` set, for instance by `--workers`)
each process writes its values into that directory and one process serves them all
(`multiprocess_registry`). A collector cannot read another process's machines, so there a
subscription's gauges and ledger counters are published by the observer instead, after each of
its attempts and state changes and once at the end: a bounded cadence, never per event.

`prometheus_client` is imported here and nowhere else; the command line imports this module
only when metrics are asked for, so start-up stays light.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from enum import Enum
from pathlib import Path
from typing import Literal

from prometheus_client import (
    CollectorRegistry,
    Counter,
    Gauge,
    GCCollector,
    Histogram,
    ProcessCollector,
    disable_created_metrics,
    start_http_server,
)
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.multiprocess import MultiProcessCollector, mark_process_dead
from prometheus_client.registry import Collector

from simulator.core.ledger import LEDGER_COUNTERS, Ledger
from simulator.core.records import AttemptRecord, Machine, StateChange
from simulator.errors import ConfigError

PREFIX = "marketo_sim"
HOST = "127.0.0.1"
MULTIPROC_ENV = "PROMETHEUS_MULTIPROC_DIR"
# Answer times up to the 20 s push timeout (a timeout lands at 20), and one edge past it for
# the runs that raise the timeout.
LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 15.0, 20.0, 30.0)
# A scrape reads the machines while the loop moves them: a read that meets a dict changing size
# is tried again, at most this many times in all.
READ_TRIES = 5


@dataclass(frozen=True, slots=True)
class MetricDoc:
    """One metric as README and the dashboard's test know it."""

    name: str  # as exposed (counters with their `_total`)
    type: str
    labels: tuple[str, ...]
    help: str


DOCS = (
    MetricDoc(
        f"{PREFIX}_attempts_total",
        "counter",
        ("subscription", "outcome"),
        "Push attempts (pushes, retries, probes, I/O deliveries), by subscription and outcome.",
    ),
    MetricDoc(
        f"{PREFIX}_attempt_latency_seconds",
        "histogram",
        ("outcome",),
        "Answer time of each attempt in simulated seconds, by outcome (a timeout counts 20 s).",
    ),
    MetricDoc(
        f"{PREFIX}_queue_depth",
        "gauge",
        ("subscription",),
        "Events produced and not yet settled: queued, or in a push in flight.",
    ),
    MetricDoc(
        f"{PREFIX}_oldest_event_age_seconds",
        "gauge",
        ("subscription",),
        "Simulated age of the oldest unsettled event; 0 when there is none.",
    ),
    MetricDoc(
        f"{PREFIX}_subscription_state",
        "gauge",
        ("subscription", "state"),
        "1 for the subscription's current state, 0 for its machine's other states.",
    ),
    MetricDoc(
        f"{PREFIX}_simulated_seconds",
        "gauge",
        (),
        "Simulated seconds since the run began.",
    ),
    *(
        MetricDoc(
            f"{PREFIX}_events_{name}_total",
            "counter",
            ("subscription",),
            f"Events {name}, from the subscription's ledger.",
        )
        for name in LEDGER_COUNTERS
    ),
)
_HELP = {doc.name: doc.help for doc in DOCS}


def _help(name: str) -> str:
    return _HELP.get(name) or _HELP[f"{name}_total"]


def multiprocess_dir() -> Path | None:
    """The shared directory of the client's multiprocess mode, when the environment names one."""
    value = os.environ.get(MULTIPROC_ENV)
    return Path(value) if value else None


@dataclass(frozen=True, slots=True)
class Reading:
    """One subscription as a scrape sees it."""

    name: str
    ledger: Ledger
    oldest: float | None  # when its oldest unsettled event was produced
    state: str
    states: tuple[str, ...]  # every state its kind of machine has

    @staticmethod
    def of(name: str, machine: Machine) -> Reading:
        for _ in range(READ_TRIES - 1):
            try:
                return Reading._read(name, machine)
            except RuntimeError:  # the loop changed a dict as we read it: read again
                continue
        return Reading._read(name, machine)

    @staticmethod
    def _read(name: str, machine: Machine) -> Reading:
        state = machine.state
        states = tuple(map(str, type(state))) if isinstance(state, Enum) else (str(state),)
        return Reading(name, machine.ledger(), machine.oldest_event_time(), str(state), states)

    def age(self, now: float) -> float:
        return max(0.0, now - self.oldest) if self.oldest is not None else 0.0


class RunMetrics:
    """An observer of the engine that serves (or, in multiprocess mode, publishes) the metrics.

    `registry` None: multiprocess mode, the values go to `PROMETHEUS_MULTIPROC_DIR`."""

    def __init__(self, registry: CollectorRegistry | None) -> None:
        self._machines: Mapping[str, Machine] = {}
        self._now: Callable[[], float] = lambda: 0.0
        self.attempts = Counter(
            f"{PREFIX}_attempts",
            _help(f"{PREFIX}_attempts"),
            ("subscription", "outcome"),
            registry=registry,
        )
        self.latency = Histogram(
            f"{PREFIX}_attempt_latency_seconds",
            _help(f"{PREFIX}_attempt_latency_seconds"),
            ("outcome",),
            buckets=LATENCY_BUCKETS,
            registry=registry,
        )
        self._published = Published() if registry is None else None
        if registry is not None:
            registry.register(MachineCollector(self))

    def watch(self, machines: Mapping[str, Machine], now: Callable[[], float]) -> None:
        """The run's machines and clock, once the engine is built."""
        self._machines, self._now = machines, now
        self.publish_all()

    def readings(self) -> list[Reading]:
        return [Reading.of(name, machine) for name, machine in list(self._machines.items())]

    def now(self) -> float:
        return self._now()

    def attempt(self, record: AttemptRecord) -> None:
        outcome = str(record.outcome)
        self.attempts.labels(record.subscription, outcome).inc()
        self.latency.labels(outcome).observe(record.latency)
        self._publish(record.subscription)

    def state_changed(self, change: StateChange) -> None:
        self._publish(change.subscription)

    def publish_all(self) -> None:
        """Multiprocess mode: every subscription's gauges and ledger, now (at the start and the
        end of the run); nothing otherwise, since the collector reads them at scrape time."""
        if self._published is None:
            return
        for name in self._machines:
            self._publish(name)

    def _publish(self, name: str) -> None:
        machine = self._machines.get(name)
        if self._published is not None and machine is not None:
            self._published.publish(Reading.of(name, machine), self._now())


class MachineCollector(Collector):
    """The machines' gauges and ledgers, read when Prometheus scrapes (single process)."""

    def __init__(self, metrics: RunMetrics) -> None:
        self._metrics = metrics

    def collect(self) -> Iterable[Metric]:
        now = self._metrics.now()
        readings = self._metrics.readings()
        yield _gauge("simulated_seconds", [((), now)], ())
        yield _gauge(
            "queue_depth",
            [((r.name,), r.ledger.queued + r.ledger.in_flight) for r in readings],
            ("subscription",),
        )
        yield _gauge(
            "oldest_event_age_seconds",
            [((r.name,), r.age(now)) for r in readings],
            ("subscription",),
        )
        states = [((r.name, s), float(s == r.state)) for r in readings for s in r.states]
        yield _gauge("subscription_state", states, ("subscription", "state"))
        for field in LEDGER_COUNTERS:
            name = f"{PREFIX}_events_{field}"
            family = CounterMetricFamily(name, _help(name), labels=("subscription",))
            for r in readings:
                family.add_metric((r.name,), getattr(r.ledger, field))
            yield family


def _gauge(
    short: str, samples: Iterable[tuple[tuple[str, ...], float]], labels: tuple[str, ...]
) -> GaugeMetricFamily:
    name = f"{PREFIX}_{short}"
    family = GaugeMetricFamily(name, _help(name), labels=labels)
    for values, value in samples:
        family.add_metric(values, value)
    return family


class Published:
    """Multiprocess mode: the collector's values as the client's own metrics, set by the process
    that runs the subscription. Gauges are summed over live processes (`livesum`: a subscription
    runs in one process only); ledger counters grow by what changed since the last publish, so
    they survive their process and add up across the workers."""

    def __init__(self) -> None:
        self.queue = _live_gauge("queue_depth", ("subscription",))
        self.age = _live_gauge("oldest_event_age_seconds", ("subscription",))
        self.state = _live_gauge("subscription_state", ("subscription", "state"))
        self.clock = _live_gauge("simulated_seconds", (), mode="livemax")
        self.events = {
            field: Counter(
                f"{PREFIX}_events_{field}",
                _help(f"{PREFIX}_events_{field}"),
                ("subscription",),
                registry=None,
            )
            for field in LEDGER_COUNTERS
        }
        self._sent: dict[tuple[str, str], int] = {}  # (subscription, field) -> published

    def publish(self, reading: Reading, now: float) -> None:
        name, ledger = reading.name, reading.ledger
        self.clock.set(now)
        self.queue.labels(name).set(ledger.queued + ledger.in_flight)
        self.age.labels(name).set(reading.age(now))
        for state in reading.states:
            self.state.labels(name, state).set(float(state == reading.state))
        for field, counter in self.events.items():
            value = getattr(ledger, field)
            grown = value - self._sent.get((name, field), 0)
            if grown > 0:
                counter.labels(name).inc(grown)
                self._sent[(name, field)] = value


def _live_gauge(
    short: str, labels: tuple[str, ...], *, mode: Literal["livesum", "livemax"] = "livesum"
) -> Gauge:
    name = f"{PREFIX}_{short}"
    return Gauge(name, _help(name), labels, registry=None, multiprocess_mode=mode)


def single_registry() -> CollectorRegistry:
    """A registry of this process alone, with the client's process and GC metrics (memory over a
    soak test); the run's metrics are added by `RunMetrics`."""
    registry = CollectorRegistry()
    ProcessCollector(registry=registry)
    GCCollector(registry=registry)
    return registry


def multiprocess_registry(path: Path) -> CollectorRegistry:
    """A registry of every process writing into `path`: what the serving process scrapes."""
    registry = CollectorRegistry()
    MultiProcessCollector(registry, path=str(path))  # type: ignore[no-untyped-call]
    return registry


def process_ended(pid: int, path: Path) -> None:
    """A worker is gone: its live gauges leave the scrape (its counters stay)."""
    mark_process_dead(pid, path=str(path))  # type: ignore[no-untyped-call]


@dataclass(slots=True)
class Server:
    """The metrics endpoint, on 127.0.0.1 (or `--metrics-host`) in a thread of its own."""

    port: int
    _stop: Callable[[], None]
    host: str = HOST

    @property
    def url(self) -> str:
        shown = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{shown}:{self.port}/metrics"

    def close(self) -> None:
        self._stop()


def serve(port: int, registry: CollectorRegistry, host: str = HOST) -> Server:
    """Serve `registry` on `host`:`port` (0: any free port, read back from the socket). The
    default host is loopback; a scraper in another pod needs `--metrics-host 0.0.0.0`."""
    try:
        httpd, thread = start_http_server(port, addr=host, registry=registry)
    except OSError as exc:
        why = exc.strerror or str(exc)
        raise ConfigError(f"--metrics-port {port}: cannot listen on {host}: {why}") from None

    def stop() -> None:
        httpd.shutdown()
        httpd.server_close()
        thread.join(timeout=5)

    return Server(int(httpd.server_port), stop, host)


@dataclass(slots=True)
class Metrics:
    """What a run with metrics holds: the observer, and the server when this process serves."""

    observer: RunMetrics
    server: Server | None

    def close(self) -> None:
        """The run is over: its last values published (multiprocess mode), the server shut."""
        self.observer.publish_all()
        if self.server is not None:
            self.server.close()


def start(port: int | None, host: str = HOST) -> Metrics:
    """Metrics for one run: in multiprocess mode when the environment names the shared
    directory (the server, if `port` is given, then serves every process's values), else this
    process's alone."""
    # No `_created` sample next to each counter and histogram: a time of creation per
    # subscription and outcome would double the lines of a scrape and tell a dashboard nothing.
    disable_created_metrics()  # type: ignore[no-untyped-call]
    shared = multiprocess_dir()
    if shared is not None:
        observer = RunMetrics(None)
        server = serve(port, multiprocess_registry(shared), host) if port is not None else None
        return Metrics(observer, server)
    registry = single_registry()
    observer = RunMetrics(registry)
    return Metrics(observer, serve(port, registry, host) if port is not None else None)


@dataclass(frozen=True, slots=True)
class Fleet:
    """The metrics of worker processes, served by their parent (`serving_workers`)."""

    path: Path  # the shared directory the workers write into
    server: Server

    def ended(self, pid: int) -> None:
        """Worker `pid` has exited: its gauges leave the scrape, its counters stay."""
        process_ended(pid, self.path)


@contextlib.contextmanager
def serving_workers(port: int, host: str = HOST) -> Iterator[Fleet]:
    """For a parent about to start workers (`--workers`): a fresh shared directory named in
    `PROMETHEUS_MULTIPROC_DIR`, which the workers it then starts inherit (each writes its metrics
    there, `start`), served on `host`:`port`. The workers get no `--metrics-port` of their
    own. On exit the server is shut, the directory removed and the variable restored."""
    before = os.environ.get(MULTIPROC_ENV)
    with tempfile.TemporaryDirectory(prefix="marketo-sim-metrics-") as directory:
        os.environ[MULTIPROC_ENV] = directory
        try:
            disable_created_metrics()  # type: ignore[no-untyped-call]
            server = serve(port, multiprocess_registry(Path(directory)), host)
            try:
                yield Fleet(Path(directory), server)
            finally:
                server.close()
        finally:
            if before is None:
                del os.environ[MULTIPROC_ENV]
            else:
                os.environ[MULTIPROC_ENV] = before
