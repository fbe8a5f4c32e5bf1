"""Shards: `--shard I/N` plays the I-th (1-based) of N disjoint slices of a run file's
subscriptions.

The partition is a hash of the subscription's name, mod N: a subscription's shard depends on its
name and N alone, so adding, removing or reordering other subscriptions never moves it (a fleet's
per-shard logs and consumers stay comparable from one day's file to the next). Round-robin over
the file's order would balance better, and move every subscription after an insertion. The hash
balances statistically: even at the thousands of subscriptions sharding is for, uneven with a
handful (a shard may even get none, which is refused).

Pure: names in, names out.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass

from simulator.errors import ConfigError
from simulator.runfile.scenario import RunSpec

SHARDS_MAX = 10_000


@dataclass(frozen=True, slots=True)
class Shard:
    """The `index`-th (1-based) of `count` shards."""

    index: int
    count: int

    def __str__(self) -> str:
        return f"{self.index}/{self.count}"

    def holds(self, name: str) -> bool:
        return shard_of(name, self.count) == self.index


def parse_shard(text: str) -> Shard:
    """`I/N` with 1 <= I <= N; ValueError (argparse names the flag) otherwise."""
    index, slash, count = text.partition("/")
    if not slash or not index.isdigit() or not count.isdigit():
        raise ValueError(f"must be I/N, the I-th of N shards counted from 1, e.g. 1/3 (got {text})")
    i, n = int(index), int(count)
    if not 1 <= n <= SHARDS_MAX:
        raise ValueError(f"N must be between 1 and {SHARDS_MAX:,} (got {text})")
    if not 1 <= i <= n:
        raise ValueError(f"I must be between 1 and N, counted from 1 (got {text})")
    return Shard(i, n)


def shard_of(name: str, count: int) -> int:
    """The shard (1-based) of the subscription `name` among `count`."""
    digest = hashlib.blake2b(name.encode(), digest_size=8, person=b"marketo-shard").digest()
    return int.from_bytes(digest, "big") % count + 1


def members(names: Iterable[str], shard: Shard) -> list[str]:
    """The names `shard` holds, in their order."""
    return [name for name in names if shard.holds(name)]


def sliced(run: RunSpec, shard: Shard) -> RunSpec:
    """The run of `shard`: its subscriptions, with the file's others remembered (their ids and
    the timeline's times stay the whole run's). A shard that holds none is refused."""
    names = members((s.name for s in run.subscriptions), shard)
    if not names:
        raise ConfigError(
            f"--shard {shard}: holds none of the {len(run.subscriptions)} subscription(s) of "
            f"{run.file} (the partition is by a hash of the name); use fewer shards"
        )
    return run.only(set(names))
