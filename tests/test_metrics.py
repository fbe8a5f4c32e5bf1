"""`--metrics-port`: Prometheus metrics of a run, scraped while it runs, on 127.0.0.1 only.

Scrapes happen from inside the run (an observer's spy blocks the loop while it scrapes), so on the
virtual clock the values are exact: the quickstart's first 59 pushes are acknowledged, 80 events
each, and its 60th is refused (`scenarios/quickstart.yaml` tells the story to the second).
"""

from __future__ import annotations

import json
import multiprocessing
import os
import re
import socket
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson
import pytest
from hypothesis import given
from hypothesis import strategies as st
from prometheus_client import CollectorRegistry
from prometheus_client.parser import text_string_to_metric_families

from simulator.cli import build_parser, main
from simulator.core.records import AttemptRecord
from simulator.reports import metrics
from simulator.reports.metrics import RunMetrics, Server

ROOT = Path(__file__).resolve().parent.parent
QUICKSTART = ROOT / "scenarios" / "quickstart.yaml"
DASHBOARD = ROOT / "examples" / "grafana" / "marketo-sim.json"
WEB = "web-activity"
SHARD = """munchkinId: 123-ABC-456
seed: 7
duration: 1m
subscriptions:
  - name: {name}
    endpoint: embedded
    rate: {rate}
    delivery: {{phase: aligned}}
"""
Samples = dict[tuple[str, frozenset[tuple[str, str]]], float]


def scrape(url: str) -> str:
    with urllib.request.urlopen(url, timeout=10) as answer:
        text: str = answer.read().decode()
    return text


def parsed(text: str) -> Samples:
    """Every sample of an exposition, by name and labels (the client's own parser)."""
    return {
        (sample.name, frozenset(sample.labels.items())): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


def value(samples: Samples, name: str, **labels: str) -> float:
    return samples[(name, frozenset(labels.items()))]


def states(samples: Samples, subscription: str) -> dict[str, float]:
    return {
        dict(labels)["state"]: v
        for (name, labels), v in samples.items()
        if name == "marketo_sim_subscription_state" and dict(labels)["subscription"] == subscription
    }


def small_run(tmp_path: Path, name: str = "solo", rate: int = 10) -> Path:
    """A minute of one subscription pushing to the embedded endpoint, all acknowledged."""
    path = tmp_path / f"{name}.yaml"
    path.write_text(SHARD.format(name=name, rate=rate))
    return path


def scrape_during(
    monkeypatch: pytest.MonkeyPatch, at_attempts: set[int]
) -> tuple[list[Server], dict[int, Samples]]:
    """Spies that keep the metrics server and scrape it right after each attempt numbered in
    `at_attempts` (1-based), from inside the run: the loop waits while the server's thread
    answers, so the scrape sees the run as it is at that attempt."""
    servers: list[Server] = []
    scrapes: dict[int, Samples] = {}
    real_serve, real_attempt = metrics.serve, RunMetrics.attempt

    def serve(port: int, registry: CollectorRegistry, host: str = metrics.HOST) -> Server:
        servers.append(real_serve(port, registry, host))
        return servers[-1]

    def attempt(self: RunMetrics, record: AttemptRecord) -> None:
        real_attempt(self, record)
        seen.append(record)
        if len(seen) in at_attempts:
            scrapes[len(seen)] = parsed(scrape(servers[0].url))

    seen: list[AttemptRecord] = []
    monkeypatch.setattr(metrics, "serve", serve)
    monkeypatch.setattr(RunMetrics, "attempt", attempt)
    return servers, scrapes


@dataclass(frozen=True, slots=True)
class Played:
    """The quickstart run once on the virtual clock, scraped after some of its attempts."""

    scrapes: dict[int, Samples]
    log: list[dict[str, Any]]  # its attempt log


@pytest.fixture(scope="module")
def quickstart(tmp_path_factory: pytest.TempPathFactory) -> Played:
    log = tmp_path_factory.mktemp("quickstart") / "attempts.jsonl"
    with pytest.MonkeyPatch.context() as monkeypatch:
        _, scrapes = scrape_during(monkeypatch, {59, 60, 376})
        argv = ["run", str(QUICKSTART), "--virtual", "--metrics-port", "0", "--log", str(log)]
        assert main(argv) == 0
    return Played(scrapes, [orjson.loads(line) for line in log.read_bytes().splitlines()])


def test_a_scrape_after_the_59th_push_counts_59_acknowledged_pushes(quickstart: Played) -> None:
    """The quickstart on the virtual clock, scraped right after its 59th push: 59 successes,
    59 x 80 events acknowledged, nothing queued or lost, the subscription active."""
    at = quickstart.scrapes[59]
    assert value(at, "marketo_sim_attempts_total", subscription=WEB, outcome="success") == 59
    assert value(at, "marketo_sim_attempt_latency_seconds_count", outcome="success") == 59
    assert value(at, "marketo_sim_events_produced_total", subscription=WEB) == 4720
    assert value(at, "marketo_sim_events_acknowledged_total", subscription=WEB) == 4720
    assert value(at, "marketo_sim_events_expired_total", subscription=WEB) == 0
    assert value(at, "marketo_sim_queue_depth", subscription=WEB) == 0
    assert value(at, "marketo_sim_oldest_event_age_seconds", subscription=WEB) == 0
    assert states(at, WEB) == {"active": 1, "retrying": 0, "paused": 0, "deprovisioned": 0}
    assert value(at, "marketo_sim_simulated_seconds") == pytest.approx(118)


def test_a_scrape_after_the_refused_push_shows_it_retrying_with_its_batch_held(
    quickstart: Played,
) -> None:
    """The 60th attempt (2m) is refused: one connection error, the subscription retrying, its
    batch of 80 held and as old as the events it carries (produced over the 2 s before)."""
    at = quickstart.scrapes[60]
    assert value(at, "marketo_sim_attempts_total", subscription=WEB, outcome="success") == 59
    errors = value(at, "marketo_sim_attempts_total", subscription=WEB, outcome="connection_error")
    assert errors == 1
    assert value(at, "marketo_sim_queue_depth", subscription=WEB) == 80
    age = value(at, "marketo_sim_oldest_event_age_seconds", subscription=WEB)
    assert age == pytest.approx(2 - 1 / 40)  # its first event came 1/40 s after the 118 s push
    assert states(at, WEB) == {"active": 0, "retrying": 1, "paused": 0, "deprovisioned": 0}


def test_the_last_scrape_counts_every_attempt_of_the_attempt_log(quickstart: Played) -> None:
    """Scraped at the quickstart's last attempt (the 376th: 371 successes, 5 refusals), attempts
    by outcome equal the attempt log's, and acknowledged events the log's acknowledged events."""
    at, lines = quickstart.scrapes[376], quickstart.log
    assert len(lines) == 376
    assert value(at, "marketo_sim_attempts_total", subscription=WEB, outcome="success") == 371
    errors = value(at, "marketo_sim_attempts_total", subscription=WEB, outcome="connection_error")
    assert errors == 5 == sum(line["outcome"] == "connection_error" for line in lines)
    acked = sum(line["events"] for line in lines if line["outcome"] == "success")
    assert value(at, "marketo_sim_events_acknowledged_total", subscription=WEB) == acked == 59_920
    assert value(at, "marketo_sim_attempt_latency_seconds_count", outcome="success") == 371


def test_port_0_takes_a_free_port_on_127_0_0_1_and_prints_it(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    """`--metrics-port 0` listens on a free loopback port and says where, before the run."""
    servers, _ = scrape_during(monkeypatch, set())
    assert main(["run", str(small_run(tmp_path)), "--virtual", "--metrics-port", "0"]) == 0
    out = capsys.readouterr().out
    (server,) = servers
    assert server.port > 0
    assert f"metrics: http://127.0.0.1:{server.port}/metrics (simulated time)" in out


def test_the_server_is_shut_when_the_run_ends(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """Nothing listens on the metrics port once the command has returned."""
    servers, _ = scrape_during(monkeypatch, set())
    assert main(["run", str(small_run(tmp_path)), "--virtual", "--metrics-port", "0"]) == 0
    with pytest.raises(ConnectionRefusedError):
        socket.create_connection(("127.0.0.1", servers[0].port), timeout=5).close()


def test_replay_serves_metrics_too(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """`replay --metrics-port` serves the same metrics; the scenario still judges as before."""
    servers, scrapes = scrape_during(monkeypatch, {1})
    assert main(["replay", str(QUICKSTART), "--metrics-port", "0"]) == 0
    assert value(scrapes[1], "marketo_sim_attempts_total", subscription=WEB, outcome="success") == 1
    assert f"127.0.0.1:{servers[0].port}" in capsys.readouterr().out


def test_a_port_in_use_exits_2_and_sends_nothing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A port another program holds: exit 2, an error naming the flag, no attempt made."""
    log = tmp_path / "attempts.jsonl"
    with socket.socket() as held:
        held.bind(("127.0.0.1", 0))
        held.listen()
        port = held.getsockname()[1]
        argv = ["run", str(QUICKSTART), "--virtual", "--metrics-port", str(port), "--log", str(log)]
        assert main(argv) == 2
    err = capsys.readouterr().err
    assert f"--metrics-port {port}: cannot listen on 127.0.0.1" in err
    assert "Traceback" not in err
    assert not log.exists() or log.read_bytes() == b""


@pytest.mark.parametrize("port", ["-1", "65536", "http", "1.5"])
def test_a_bad_port_is_refused_by_the_flag(port: str, capsys: pytest.CaptureFixture[str]) -> None:
    """A port outside 0..65535 or not a whole number: argparse's exit 2, naming the flag."""
    with pytest.raises(SystemExit) as exited:
        main(["run", str(QUICKSTART), "--virtual", "--metrics-port", port])
    assert exited.value.code == 2
    assert "argument --metrics-port" in capsys.readouterr().err


@given(st.integers(min_value=-100_000, max_value=200_000))
def test_the_port_flag_takes_exactly_0_to_65535(port: int) -> None:
    """Every whole number from 0 to 65535 is a port (0: any free one); nothing else is."""
    parser = build_parser(only="run")
    words = ["run", "f.yaml", f"--metrics-port={port}"]
    if 0 <= port <= 65_535:
        assert parser.parse_args(words).metrics_port == port
    else:
        with pytest.raises(SystemExit):
            parser.parse_args(words)


def test_every_documented_metric_is_in_the_exposition(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """README's metric names (`metrics.DOCS`) are what a scrape shows, with their types."""
    _, scrapes = scrape_during(monkeypatch, {1})
    assert main(["run", str(small_run(tmp_path)), "--virtual", "--metrics-port", "0"]) == 0
    names = {name for name, _ in scrapes[1]}
    for doc in metrics.DOCS:
        exposed = f"{doc.name}_count" if doc.type == "histogram" else doc.name
        assert exposed in names, doc.name


# ---- multiprocess mode: one scrape covers every worker -------------------------------------------


def test_one_scrape_covers_two_worker_processes(tmp_path: Path) -> None:
    """Two plain processes, started as `--workers` starts its shards, each run a virtual minute
    of their own subscription; the parent serves the shared directory, and one scrape counts
    both runs' attempts, events and states. Once a worker is marked ended its gauges leave the
    scrape, its counters stay."""
    runs = {"north": 10, "south": 4}
    logs = {name: tmp_path / f"{name}.jsonl" for name in runs}
    spawn = multiprocessing.get_context("spawn")  # a fresh interpreter reads the variable
    with metrics.serving_workers(0) as fleet:
        workers = []
        for name, rate in runs.items():
            path = small_run(tmp_path, name, rate)
            argv = ["run", str(path), "--virtual", "--log", str(logs[name])]
            workers.append(spawn.Process(target=main, args=(argv,)))
        for worker in workers:
            worker.start()
        for worker in workers:
            worker.join(timeout=120)
            assert worker.exitcode == 0
        both = parsed(scrape(fleet.server.url))
        for worker in workers:
            assert worker.pid is not None
            fleet.ended(worker.pid)
        after = parsed(scrape(fleet.server.url))
    for name, rate in runs.items():
        lines = [orjson.loads(line) for line in logs[name].read_bytes().splitlines()]
        assert len(lines) == 29  # pushes at 2 s, 4 s, ... 58 s; the run ends at 1m (exclusive)
        assert value(both, "marketo_sim_attempts_total", subscription=name, outcome="success") == 29
        acked = sum(line["events"] for line in lines)
        assert acked == 58 * rate
        assert value(both, "marketo_sim_events_acknowledged_total", subscription=name) == acked
        assert value(both, "marketo_sim_events_produced_total", subscription=name) == 60 * rate
        assert value(both, "marketo_sim_queue_depth", subscription=name) == 2 * rate
        assert value(both, "marketo_sim_subscription_state", subscription=name, state="active") == 1
        assert value(after, "marketo_sim_events_acknowledged_total", subscription=name) == acked
        assert ("marketo_sim_queue_depth", frozenset({("subscription", name)})) not in after
    assert value(both, "marketo_sim_attempt_latency_seconds_count", outcome="success") == 58


def test_serving_workers_leaves_the_environment_as_it_found_it(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The shared directory is named to the workers only while the parent serves them, and
    removed afterwards."""
    monkeypatch.delenv("PROMETHEUS_MULTIPROC_DIR", raising=False)
    with metrics.serving_workers(0) as fleet:
        assert os.environ["PROMETHEUS_MULTIPROC_DIR"] == str(fleet.path)
        assert fleet.path.is_dir()
    assert "PROMETHEUS_MULTIPROC_DIR" not in os.environ
    assert not fleet.path.exists()


# ---- the Grafana dashboard -----------------------------------------------------------------------


def dashboard_queries() -> list[str]:
    """Every PromQL text of the dashboard: its panels' queries and its variables'."""
    document = json.loads(DASHBOARD.read_text())
    panels = [target["expr"] for panel in document["panels"] for target in panel["targets"]]
    variables = [v["definition"] for v in document["templating"]["list"] if "definition" in v]
    return panels + variables


def test_the_dashboard_is_grafana_json_with_a_query_per_panel() -> None:
    """The shipped dashboard parses, names a Prometheus data source variable, and every panel
    queries something."""
    document = json.loads(DASHBOARD.read_text())
    assert document["title"]
    assert {v["type"] for v in document["templating"]["list"]} >= {"datasource"}
    assert all(panel.get("targets") for panel in document["panels"])


def test_every_metric_the_dashboard_queries_is_exposed(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """Each `marketo_sim_*` name in the dashboard's queries is a sample name of a real scrape
    (histogram buckets included): renaming a metric breaks this test, not the dashboard."""
    _, scrapes = scrape_during(monkeypatch, {1})
    assert main(["run", str(small_run(tmp_path)), "--virtual", "--metrics-port", "0"]) == 0
    exposed = {name for name, _ in scrapes[1]}
    queried = {name for expr in dashboard_queries() for name in NAME.findall(expr)}
    assert queried  # the dashboard does query our metrics
    assert queried <= exposed, queried - exposed


NAME = re.compile(r"\bmarketo_sim_[a-z_]+\b")


def test_an_address_this_host_does_not_have_exits_2_naming_it(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """`--metrics-host` on an address no interface holds (TEST-NET-1, never routed): exit 2
    naming the host, before any attempt; nothing is sent anywhere by a failed bind."""
    log = tmp_path / "attempts.jsonl"
    argv = ["run", str(small_run(tmp_path)), "--virtual", "--metrics-port", "0"]
    assert main([*argv, "--metrics-host", "192.0.2.1", "--log", str(log)]) == 2
    err = capsys.readouterr().err
    assert "--metrics-port 0: cannot listen on 192.0.2.1" in err
    assert "Traceback" not in err
    assert not log.exists() or log.read_bytes() == b""


def test_the_host_flag_names_the_address_served(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    """`--metrics-host` is the address listened on and printed (here loopback, given by hand)."""
    servers, _ = scrape_during(monkeypatch, set())
    argv = ["run", str(small_run(tmp_path)), "--virtual", "--metrics-port", "0"]
    assert main([*argv, "--metrics-host", "127.0.0.1"]) == 0
    (server,) = servers
    assert server.host == "127.0.0.1"
    assert f"metrics: http://127.0.0.1:{server.port}/metrics" in capsys.readouterr().out
