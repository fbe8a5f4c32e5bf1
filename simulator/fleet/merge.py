"""`marketo-sim merge`: the outputs of a run's shards (`--shard I/N`) made one run's.

What merges, and how exactly:

* **attempt logs** (`--log`, `.jsonl`): every line of every shard, in time order (`t`), streamed
  through `heapq.merge` over the open files, never held in memory: exact.
* **`--json` documents** (`.json`): each subscription's entry comes from the one shard that held
  it, as it was (ledger, attempts, outcomes, latency): exact. The totals are sums (ledgers,
  attempts, outcomes, the dev endpoint's counters): exact; the run-wide latency adds the
  subscriptions' log buckets, so its percentiles are those of the unsharded run (each one the
  upper edge of a 5 % bucket, as always). `simulatedSeconds` and `elapsedSeconds` are the longest
  shard's (shards run side by side). A check is taken from the shard that judged it; one skipped
  because another shard holds its subscription is dropped. The embedded endpoint's counts, which
  each shard skips, are judged on the summed counters when the run file's expectations are at
  hand (`--workers`, or `merge --run FILE`) and every shard is there; else they stay skipped.
  `passed` and `exitCode` are the merged run's.
* **JUnit** (`.xml`): every shard's `<testsuite>` under one `<testsuites>`, counts summed, and
  the endpoint checks judged on the sums in a suite of their own, with the merged run's
  properties (file, munchkin, seed, start, the longest shard's span, the shards merged).

Refused, exit 2 naming the file: a file that is missing or of another kind, a document of
another run (another file, seed, command or start) or of a shard already merged.
"""

from __future__ import annotations

import contextlib
import heapq
import xml.etree.ElementTree as ET
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import IO

import orjson
from pydantic import ValidationError

from simulator.core.ledger import Ledger
from simulator.core.recording import Recording, Verdict
from simulator.errors import ConfigError
from simulator.reports.jsondoc import (
    ResultDocument,
    SubscriptionResult,
    Totals,
    VerdictResult,
    combined_latency,
    totals_of,
    verdict_result,
)
from simulator.reports.junit import render_junit
from simulator.runfile.steps import ExpectSpec
from simulator.timeline.verdicts import SHARD_ENDPOINT, summed_endpoint

# What a shard output is, by its name's ending; and the merged file of each kind in OUT_DIR.
KINDS = {".jsonl": "log", ".ndjson": "log", ".json": "json", ".xml": "junit"}
MERGED = {"log": "attempts.jsonl", "json": "result.json", "junit": "junit.xml"}
# The name of the merged JUnit's suite of the endpoint checks judged on the summed counters.
SUMMED_SUITE = "the embedded endpoint, summed over the shards"
SIGNAL_CODES = {"SIGINT": 130, "SIGTERM": 143}


@dataclass(slots=True)
class Outputs:
    """Shard outputs by kind, each list in the order given."""

    log: list[Path] = field(default_factory=list)
    json: list[Path] = field(default_factory=list)
    junit: list[Path] = field(default_factory=list)


def collect(paths: Sequence[Path]) -> Outputs:
    """The shard outputs named: files by their ending, directories by the files in them."""
    found = Outputs()
    for path in paths:
        if path.is_dir():
            files = sorted(p for p in path.rglob("*") if p.is_file() and p.suffix in KINDS)
            if not files:
                raise ConfigError(f"{path}: holds no shard output (*.jsonl, *.json, *.xml)")
        elif path.is_file():
            if path.suffix not in KINDS:
                raise ConfigError(
                    f"{path}: not a shard output: name attempt logs *.jsonl, --json documents "
                    "*.json and JUnit files *.xml"
                )
            files = [path]
        else:
            raise ConfigError(f"{path}: no such file or directory")
        for file in files:
            getattr(found, KINDS[file.suffix]).append(file)
    return found


# ---- attempt logs -------------------------------------------------------------------------------


def merge_logs(paths: Sequence[Path], out: IO[bytes]) -> int:
    """Every line of the attempt logs at `paths` into `out`, in time order (a tie keeps the
    order of `paths`); the number of lines."""
    written = 0
    with contextlib.ExitStack() as in_use:
        streams = [_timed_lines(path, in_use.enter_context(path.open("rb"))) for path in paths]
        for _, line in heapq.merge(*streams, key=lambda timed: timed[0]):
            out.write(line if line.endswith(b"\n") else line + b"\n")
            written += 1
    return written


def _timed_lines(path: Path, stream: IO[bytes]) -> Iterator[tuple[float, bytes]]:
    for number, line in enumerate(stream, start=1):
        if not line.strip():
            continue
        try:
            t = orjson.loads(line)["t"]
        except (orjson.JSONDecodeError, KeyError, TypeError):
            raise ConfigError(
                f"{path}:{number}: not an attempt log line (no JSON with t)"
            ) from None
        yield float(t), line


# ---- --json documents ---------------------------------------------------------------------------


def load_document(path: Path) -> ResultDocument:
    try:
        return ResultDocument.model_validate_json(path.read_bytes())
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(part) for part in first["loc"])
        raise ConfigError(
            f"{path}: not a --json result document ({where}: {first['msg']})"
        ) from None


@dataclass(frozen=True, slots=True, kw_only=True)
class Summed:
    """The endpoint checks judged on the summed counters, and what is true of the merged run
    they judge (for their JUnit suite)."""

    verdicts: list[Verdict]
    file: str
    seed: int
    simulated_start: str | None  # ISO 8601
    simulated_seconds: float
    shards: list[str]  # "I/N" of each shard merged, in order
    interrupted: str | None


def merge_documents(
    paths: Sequence[Path], expectations: Sequence[ExpectSpec] = ()
) -> tuple[ResultDocument, list[str], Summed]:
    """The merged document of the shards' documents at `paths`, warnings (shards missing), and
    the endpoint checks of `expectations` judged on the summed counters (`summed_endpoint`)."""
    documents = [(path, load_document(path)) for path in paths]
    _same_run(documents)
    subscriptions: list[SubscriptionResult] = []
    held: set[str] = set()
    for path, doc in documents:
        for sub in doc.subscriptions:
            if sub.name in held:
                raise ConfigError(f"{path}: subscription {sub.name!r} is in another input too")
            held.add(sub.name)
            subscriptions.append(sub)
    verdicts = _verdicts([doc for _, doc in documents], held)
    warnings = _missing(documents)
    counts = _endpoint_counts([doc for _, doc in documents])
    simulated = max(doc.simulated_seconds for _, doc in documents)
    summed: list[Verdict] = []
    if counts is not None and not warnings:
        summed = summed_endpoint(expectations, counts, simulated)
    if summed:
        kept = [v for v in verdicts if v.skipped != SHARD_ENDPOINT]
        verdicts = kept + [verdict_result(v) for v in summed]
    first = documents[0][1]
    interrupted = next((doc.interrupted for _, doc in documents if doc.interrupted), None)
    balanced = all(sub.ledger.balanced for sub in subscriptions)
    passed = balanced and interrupted is None and all(v.status == "passed" for v in verdicts)
    endpoints = {doc.endpoint for _, doc in documents}
    merged = ResultDocument(
        command=first.command,
        file=first.file,
        endpoint=endpoints.pop() if len(endpoints) == 1 else None,
        seed=first.seed,
        shard=None,
        simulated_start=first.simulated_start,
        simulated_seconds=simulated,
        elapsed_seconds=max(doc.elapsed_seconds for _, doc in documents),
        interrupted=interrupted,
        exit_code=SIGNAL_CODES.get(interrupted or "", 1) if not passed else 0,
        passed=passed,
        totals=_totals(subscriptions),
        subscriptions=subscriptions,
        verdicts=verdicts,
        dev_endpoint=counts,
    )
    shards = sorted(
        (doc.shard for _, doc in documents if doc.shard is not None),
        key=lambda shard: int(shard.split("/")[0]),
    )
    return (
        merged,
        warnings,
        Summed(
            verdicts=summed,
            file=first.file or "",
            seed=first.seed,
            simulated_start=first.simulated_start,
            simulated_seconds=simulated,
            shards=shards,
            interrupted=interrupted,
        ),
    )


def _same_run(documents: Sequence[tuple[Path, ResultDocument]]) -> None:
    """Refuse a document of a contract, or of another run than the first, or a shard twice."""
    first_path, first = documents[0]
    seen: dict[str, Path] = {}
    split: tuple[Path, str] | None = None
    for path, doc in documents:
        if doc.command == "contract":
            raise ConfigError(f"{path}: a contract's document; merge takes run and replay shards")
        for name in ("command", "file", "seed", "simulated_start"):
            mine, theirs = getattr(doc, name), getattr(first, name)
            if mine != theirs:
                raise ConfigError(
                    f"{path}: another run than {first_path}: {name} {mine!r} here, {theirs!r} there"
                )
        if doc.shard is not None:
            count = doc.shard.split("/")[1]
            split = split or (path, count)
            if count != split[1]:
                raise ConfigError(
                    f"{path}: shard {doc.shard} of another split than {split[0]} (of {split[1]})"
                )
            if doc.shard in seen:
                raise ConfigError(f"{path}: shard {doc.shard} again (also {seen[doc.shard]})")
            seen[doc.shard] = path


def _missing(documents: Sequence[tuple[Path, ResultDocument]]) -> list[str]:
    shards = [doc.shard for _, doc in documents if doc.shard is not None]
    if not shards:
        return []
    count = int(shards[0].split("/")[1])
    have = {int(shard.split("/")[0]) for shard in shards}
    gone = [f"{i}/{count}" for i in range(1, count + 1) if i not in have]
    return [f"shard(s) {', '.join(gone)} missing: the merged run is partial"] if gone else []


def _verdicts(documents: Sequence[ResultDocument], held: set[str]) -> list[VerdictResult]:
    """Judged checks from every shard; a skipped one only when no shard held its subscription,
    and once."""
    judged = [v for doc in documents for v in doc.verdicts if v.skipped is None]
    kept: dict[str, VerdictResult] = {}
    for doc in documents:
        for verdict in doc.verdicts:
            if verdict.skipped is not None and verdict.subscription not in held:
                kept.setdefault(verdict.name, verdict)
    return judged + list(kept.values())


def _totals(subscriptions: Sequence[SubscriptionResult]) -> Totals:
    ledgers = [sub.ledger for sub in subscriptions]
    sums = Ledger.total(ledger.counts() for ledger in ledgers)
    outcomes: Counter[str] = Counter()
    for sub in subscriptions:
        outcomes.update(sub.outcomes)
    return Totals(
        subscriptions=len(subscriptions),
        ledger=totals_of(sums, balanced=all(ledger.balanced for ledger in ledgers)),
        attempts=sum(sub.attempts for sub in subscriptions),
        outcomes=dict(outcomes),
        latency=combined_latency(sub.latency for sub in subscriptions),
    )


def _endpoint_counts(documents: Sequence[ResultDocument]) -> dict[str, int] | None:
    counts = [doc.dev_endpoint for doc in documents if doc.dev_endpoint is not None]
    if not counts:
        return None
    total: Counter[str] = Counter()
    for each in counts:
        total.update(each)
    return dict(total)


# ---- JUnit --------------------------------------------------------------------------------------

COUNTS = ("tests", "failures", "errors", "skipped")


def merge_junit(paths: Sequence[Path], summed: Summed | None = None) -> str:
    """Every shard's test suites under one `<testsuites>`, its counts the sums. As in the
    documents, a case skipped because another shard judges its subscription is dropped, and a
    case skipped in every shard is kept once; with `summed` checks (the endpoint checks judged
    on the summed counters), the shards' skipped endpoint cases give way to a suite of those."""
    suites: list[ET.Element] = []
    for path in paths:
        try:
            root = ET.parse(path).getroot()
        except ET.ParseError as exc:
            raise ConfigError(f"{path}: not JUnit XML ({exc})") from None
        found = [root] if root.tag == "testsuite" else root.findall("testsuite")
        if root.tag not in ("testsuite", "testsuites"):
            raise ConfigError(f"{path}: not JUnit XML (its root is <{root.tag}>)")
        suites += found
    if summed is not None and summed.verdicts:
        _drop_cases(suites, lambda case: _skip_reason(case) == SHARD_ENDPOINT)
        suites.append(_summed_suite(summed, _property(suites, "munchkin_id")))
    _drop_judged_elsewhere(suites)
    name = suites[0].get("name", "marketo-sim") if suites else "marketo-sim"
    top = ET.Element("testsuites", name=name)
    for count in COUNTS:
        top.set(count, str(sum(int(suite.get(count, "0")) for suite in suites)))
    top.set("time", f"{max((float(s.get('time', '0')) for s in suites), default=0.0):.3f}")
    top.extend(suites)
    ET.indent(top)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(top, encoding="unicode") + "\n"


def _skip_reason(case: ET.Element) -> str | None:
    skipped = case.find("skipped")
    return None if skipped is None else skipped.get("message")


def _drop_cases(suites: Sequence[ET.Element], dropped: Callable[[ET.Element], bool]) -> None:
    """Remove the cases `dropped` picks, and count them out of their suite."""
    for suite in suites:
        for case in list(suite.findall("testcase")):
            if dropped(case):
                suite.remove(case)
                for count in ("tests", "skipped"):
                    suite.set(count, str(int(suite.get(count, "1")) - 1))


def _summed_suite(summed: Summed, munchkin_id: str) -> ET.Element:
    """The endpoint checks judged on the summed counters, as the JUnit renderer writes them, with
    the merged run's properties (its file, seed, start and span, the shards merged) and evidence
    (`munchkin_id`: the shards' own, which the documents do not carry)."""
    start = summed.simulated_start
    recording = Recording(
        title=summed.file,
        munchkin_id=munchkin_id,
        seed=summed.seed,
        start_wall=datetime.fromisoformat(start).timestamp() if start else 0.0,
        ended_at=summed.simulated_seconds,
        subscriptions=[],
        verdicts=list(summed.verdicts),
        interrupted=summed.interrupted or "",
    )
    text = render_junit(recording, suite=SUMMED_SUITE)
    suite = ET.fromstring(text.split("\n", 1)[1]).find("testsuite")
    assert suite is not None
    properties = suite.find("properties")
    assert properties is not None
    ET.SubElement(properties, "property", name="shards", value=", ".join(summed.shards))
    return suite


def _property(suites: Sequence[ET.Element], name: str) -> str:
    """The value of the run property `name` in the first of `suites` that has it ("" if none)."""
    for suite in suites:
        for found in suite.iterfind(f"properties/property[@name='{name}']"):
            return found.get("value", "")
    return ""


def _drop_judged_elsewhere(suites: Sequence[ET.Element]) -> None:
    judged = {
        case.get("classname")
        for suite in suites
        for case in suite.iter("testcase")
        if case.find("skipped") is None
    }
    kept: set[str | None] = set()
    for suite in suites:
        for case in list(suite.findall("testcase")):
            if case.find("skipped") is None:
                continue
            if case.get("classname") in judged or case.get("name") in kept:
                suite.remove(case)
                for count in ("tests", "skipped"):
                    suite.set(count, str(int(suite.get(count, "1")) - 1))
            else:
                kept.add(case.get("name"))


# ---- the command --------------------------------------------------------------------------------


@dataclass(slots=True)
class Merged:
    """What a merge wrote: each file with what it holds, the document, and warnings."""

    written: list[str] = field(default_factory=list)
    document: ResultDocument | None = None
    warnings: list[str] = field(default_factory=list)


def merge_into(
    outputs: Outputs,
    *,
    log: Path | None,
    json: Path | None,
    junit: Path | None,
    expectations: Sequence[ExpectSpec] = (),
) -> Merged:
    """Merge each kind of `outputs` into its file (a kind without a file is left out); with the
    run file's `expectations`, the endpoint checks are judged on the summed counters."""
    from simulator.shell import pipes

    merged = Merged()
    summed: Summed | None = None
    if outputs.json:
        document, merged.warnings, summed = merge_documents(outputs.json, expectations)
        merged.document = document
        if json is not None:
            pipes.write_bytes(json, document.dumps() + b"\n")
            merged.written.append(f"{json} ({len(outputs.json)} documents)")
    if outputs.log and log is not None:
        with pipes.open_binary(log) as out:
            lines = merge_logs(outputs.log, out)
        merged.written.append(f"{log} ({lines:,} attempt lines from {len(outputs.log)} logs)")
    if outputs.junit and junit is not None:
        pipes.write_text(junit, merge_junit(outputs.junit, summed))
        merged.written.append(f"{junit} ({len(outputs.junit)} JUnit files)")
    return merged


def merge_dir(
    out_dir: Path, inputs: Sequence[Path], expectations: Sequence[ExpectSpec] = ()
) -> Merged:
    """`marketo-sim merge OUT_DIR SHARD_OUTPUT... [--run FILE]`: the merged files in `out_dir`
    (MERGED); `expectations` are the run file's, for the endpoint checks."""
    outputs = collect(inputs)
    if out_dir.exists() and not out_dir.is_dir():
        raise ConfigError(f"{out_dir}: not a directory")
    out_dir.mkdir(parents=True, exist_ok=True)
    return merge_into(
        outputs,
        log=out_dir / MERGED["log"],
        json=out_dir / MERGED["json"],
        junit=out_dir / MERGED["junit"],
        expectations=expectations,
    )
