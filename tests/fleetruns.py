"""A run file of six subscriptions in three shards, played whole and shard by shard: what the
shard, merge and worker tests compare."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import orjson

from simulator.cli import main

# Six subscriptions that fall in all three shards of 3 (1: programs, mobile; 2: email; 3: the
# rest), a flaky endpoint (its failure draws must not depend on who else pushes), a run-wide
# outage, and steps and checks aimed at subscriptions of different shards.
FLEET = """\
munchkinId: 123-ABC-456
seed: 5
duration: 6m
receiver: {failureRate: 0.2, latency: 300ms}
subscriptions:
  - {name: web, rate: 10, delivery: {retryInterval: 20s, probeInterval: 30s}}
  - {name: email, rate: 5, delivery: {retryInterval: 20s, probeInterval: 30s}}
  - {name: forms, rate: 2, delivery: {retryInterval: 20s, probeInterval: 30s}}
  - {name: programs, rate: 1, delivery: {retryInterval: 20s, probeInterval: 30s}}
  - {name: mobile, rate: 3, delivery: {retryInterval: 20s, probeInterval: 30s}}
  - {name: visits, rate: 4, delivery: {retryInterval: 20s, probeInterval: 30s}}
timeline:
  - at: 1m
    burst: {subscription: email, count: 500}
  - at: 2m
    endpoint: {status: 503}
  - after: 30s
    endpoint: normal
  - at: 4m
    deprovision: forms
expect:
  - {subscription: forms, state: deprovisioned}
  - {subscription: web, acknowledged: ">0"}
  - endpoint: {duplicates: 0}
"""


def play(tmp_path: Path, name: str, *flags: str) -> tuple[list[bytes], dict[str, Any]]:
    """Replay FLEET with `flags`: its attempt log's lines and its --json document."""
    run = tmp_path / "fleet.yaml"
    if not run.exists():
        run.write_text(FLEET)
    log, doc, junit = (tmp_path / f"{name}.{ext}" for ext in ("jsonl", "json", "xml"))
    argv = ["replay", str(run), "--log", str(log), "--json", str(doc), "--junit", str(junit)]
    assert main([*argv, *flags]) == 0
    return log.read_bytes().splitlines(), orjson.loads(doc.read_bytes())


def ledgers(document: dict[str, Any]) -> dict[str, object]:
    """Each subscription's ledger, attempts and outcomes, by name."""
    subscriptions = document["subscriptions"]
    assert isinstance(subscriptions, list)
    return {s["name"]: (s["ledger"], s["attempts"], s["outcomes"]) for s in subscriptions}


Runs = dict[str, tuple[list[bytes], dict[str, Any]]]


def shard_runs(tmp: Path) -> Runs:
    """FLEET unsharded ("whole") and in three shards ("1/3"...), each with --log, --json and
    --junit in `tmp` (whole.jsonl, shard1.json, ...)."""
    out = {"whole": play(tmp, "whole")}
    for i in (1, 2, 3):
        out[f"{i}/3"] = play(tmp, f"shard{i}", "--shard", f"{i}/3")
    return out
