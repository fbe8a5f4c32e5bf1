"""Delivery rate and generation cost: the engine next to a bare aiohttp loop, and one event's cost.

* Rate: both sides post to the same bare sink in another process (`simulator.bench.sink`), with
  the same batch size, the same number of subscriptions and one push in flight per subscription.
  The engine drains a backlog exactly as a run does, through the public entry points: a run file
  with a burst at t=0 and no steady rate, played by the `Producer` on the real clock, so events
  are made from sequence numbers, encoded and pushed by the real `Engine`, `LegacyLane` and
  transport. Its time runs from its first push to its last acknowledgement (an observer reads
  them off the attempt records), so building the world and any phase of the push slots before
  the first push are left out. The raw loop posts pre-encoded bodies of the same size back to
  back, one aiohttp session, nothing else: the least work the same HTTP traffic can take.
  Rounds alternate between the two, so both see the same load on a shared machine; the best
  round of each counts.
* Generation: the payloads' batch encoder (`encode_batch`, the one place the bench calls it)
  turning sequence numbers into one legacy batch body, per event.
"""

from __future__ import annotations

import asyncio
import math
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import aiohttp

from simulator import __version__
from simulator.bench.sink import Sink, SinkCounts
from simulator.core.outcome import OutcomeKind
from simulator.core.records import AttemptRecord, StateChange
from simulator.payloads.catalog import ACTIVITY_TYPES
from simulator.payloads.events import ActivityStream, encode_legacy_batch
from simulator.payloads.formats import CONTENT_TYPE
from simulator.payloads.world import World
from simulator.producer import Producer
from simulator.runfile.scenario import load_run
from simulator.shell import clock

MUNCHKIN = "123-ABC-456"
SEED = 1
BATCH = 500  # the legacy maximum, what a backlog drains in
RATE = 250.0  # events per second: the producer's full rate spaces the events' times
EPOCH = clock.VIRTUAL_EPOCH.timestamp()
POOL = 50  # distinct pre-encoded bodies per subscription for the raw loop


# -- the payloads' batch encoder: the only calls into it ------------------------------------------


def make_stream(name: str, seed: int = SEED) -> ActivityStream:
    """The activities of one subscription of every type, as a run file with defaults makes it."""
    return ActivityStream(World.build(seed), ACTIVITY_TYPES, seed=seed, stream=name)


def encode_batch(stream: ActivityStream, first: int, size: int, message_id: str) -> bytes:
    """The body of one legacy push: events `first` .. `first + size - 1`, produced at the full
    rate, materialised from their sequence numbers and encoded."""
    times = ((seq, EPOCH + seq / RATE) for seq in range(first, first + size))
    return encode_legacy_batch(
        stream,
        times,
        munchkin_id=MUNCHKIN,
        message_id=message_id,
        created_at=EPOCH + (first + size) / RATE,
    )


# -- generation -----------------------------------------------------------------------------------


def generation_cost(events: int = 50_000, rounds: int = 3) -> float:
    """Microseconds to materialise and encode one event: the best of `rounds` rounds."""
    stream = make_stream("generation")
    # A batch body is ~330 KB, above glibc's initial mmap threshold, and whether the heap keeps
    # or trims it depends on what the process freed before (importing Faker used to raise the
    # threshold as a side effect): freeing one large block first fixes the thresholds, so the
    # figure measures the encoder, not the import history (+0.6 us/event without it).
    warm = bytearray(8 << 20)
    del warm
    best = math.inf
    for r in range(rounds):
        started = time.perf_counter()
        for b in range(events // BATCH):
            encode_batch(stream, (r * events) + b * BATCH, BATCH, str(b))
        best = min(best, time.perf_counter() - started)
    return best / (events // BATCH * BATCH) * 1e6


# -- delivery rate --------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Rates:
    raw: float  # events per second, best round
    engine: float
    subscriptions: int
    events: int  # per round and side
    raw_sink: SinkCounts  # what the sink took in the best raw round
    engine_sink: SinkCounts


def delivery_rates(*, batches: int, subscriptions: int, rounds: int) -> Rates:
    """The engine's and the raw loop's best rates over `rounds` alternating rounds of `batches`
    batches (spread over `subscriptions`) each."""
    per_lane = max(1, batches // subscriptions)
    names = [f"drain-{i + 1}" for i in range(subscriptions)]
    streams = {name: make_stream(name) for name in names}
    # A pool of distinct bodies per lane, posted in turn: the sink sees the engine's sizes and
    # bytes without the bench holding hundreds of megabytes of them.
    pool = [
        [encode_batch(streams[name], b * BATCH, BATCH, str(b)) for b in range(min(per_lane, POOL))]
        for name in names
    ]
    bodies = [[lane[b % len(lane)] for b in range(per_lane)] for lane in pool]
    events = per_lane * BATCH * subscriptions
    raw: list[tuple[float, SinkCounts]] = []
    ours: list[tuple[float, SinkCounts]] = []
    with Sink() as sink, tempfile.TemporaryDirectory() as tmp:
        run_file = Path(tmp) / "drain.yaml"
        run_file.write_text(drain_run_file(names, per_lane * BATCH, sink.url))
        for _ in range(rounds):
            raw.append(_measured(sink, lambda: clock.run(raw_rate(sink.url, bodies))))
            ours.append(_measured(sink, lambda: engine_rate(run_file, events)))
    best_raw, best_ours = max(raw, key=_rate), max(ours, key=_rate)
    return Rates(best_raw[0], best_ours[0], subscriptions, events, best_raw[1], best_ours[1])


def _rate(measured: tuple[float, SinkCounts]) -> float:
    return measured[0]


def _measured(sink: Sink, play: Callable[[], float]) -> tuple[float, SinkCounts]:
    before = sink.counts()
    rate = play()
    return rate, sink.counts() - before


def drain_run_file(names: Sequence[str], backlog: int, url: str) -> str:
    """A run file whose subscriptions each find `backlog` events queued at t=0 and nothing
    more: the engine drains them in full batches, back to back (catch-up), then stops."""
    lines = [f"munchkinId: {MUNCHKIN}", f"seed: {SEED}", "subscriptions:"]
    for name in names:
        lines += [
            f"  - name: {name}",
            f"    endpoint: {url}",
            f"    batchSize: {BATCH}",
            "    rate: 0",
            f"    bursts: [{{at: 0s, count: {backlog}}}]",
        ]
    return "\n".join(lines) + "\n"


class Timer:
    """Reads the first push's start and the last outcome's time off the attempt records."""

    def __init__(self) -> None:
        self.first = math.inf
        self.last = -math.inf
        self.acknowledged = 0

    def attempt(self, record: AttemptRecord) -> None:
        self.first = min(self.first, record.at)
        done = record.done_at if record.done_at is not None else record.at + record.latency
        self.last = max(self.last, done)
        if record.outcome is OutcomeKind.SUCCESS:
            self.acknowledged += record.events

    def state_changed(self, change: StateChange) -> None:
        return None


def engine_rate(run_file: Path, events: int) -> float:
    """Events per second for the producer draining the run file's backlog on the real clock."""
    timer = Timer()
    producer = Producer(load_run(run_file), observers=[timer])
    result = clock.run(producer.play(None))
    if timer.acknowledged != events or not result.balanced:
        raise RuntimeError(
            f"the engine's drain lost events: {timer.acknowledged:,} of {events:,} acknowledged"
        )
    return events / (timer.last - timer.first)


async def raw_rate(url: str, bodies: Sequence[Sequence[bytes]]) -> float:
    """Events per second for each list of pre-encoded bodies posted back to back, the lists side
    by side (one per subscription)."""
    headers = {
        "Content-Type": CONTENT_TYPE,
        "User-Agent": f"marketo-stream-simulator/{__version__}",
    }

    async def post_all(session: aiohttp.ClientSession, lane: Sequence[bytes]) -> None:
        for body in lane:
            async with session.post(url, data=body, headers=headers) as response:
                await response.read()
                if response.status != 200:
                    raise RuntimeError(f"the sink answered {response.status}")

    async with aiohttp.ClientSession() as session:
        started = time.perf_counter()
        await asyncio.gather(*(post_all(session, lane) for lane in bodies))
        elapsed = time.perf_counter() - started
    return sum(len(lane) for lane in bodies) * BATCH / elapsed
