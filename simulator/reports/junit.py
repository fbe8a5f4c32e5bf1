"""The `--junit` file: one JUnit test case per judged expectation, for CI.

`render_junit` draws a played scenario's verdicts; `render_cases` any list of `JUnitCase`s,
which may also be skipped (`<skipped message=...>`), as the contract's checks are.
Built with ElementTree so every name and message is escaped; characters XML 1.0 cannot carry at
all (control characters) are replaced rather than left to break the file.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from simulator.core.recording import Recording, Verdict, VerdictStatus
from simulator.core.timefmt import duration, iso, offset

_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def render_junit(recording: Recording, *, suite: str | None = None, elapsed: float = 0.0) -> str:
    """JUnit XML for the recording's verdicts; `elapsed` is the run's real duration in seconds."""
    statuses = Counter(v.status for v in recording.verdicts)
    failures, errors = statuses[VerdictStatus.FAILED], statuses[VerdictStatus.ERROR]
    skips = statuses[VerdictStatus.SKIPPED]
    root, testsuite = _suites(
        suite or recording.title, len(recording.verdicts), failures, skips, elapsed, errors
    )
    _properties(testsuite, recording)
    for verdict in recording.verdicts:
        _testcase(testsuite, verdict, recording)
    return _document(root)


@dataclass(frozen=True, slots=True, kw_only=True)
class JUnitCase:
    """One test case: passed, failed (`failure` is the message, `details` the text), skipped
    (`skipped` is the reason) or in error (`error`: it did not finish, e.g. interrupted)."""

    name: str
    classname: str
    time: float = 0.0
    failure: str | None = None
    details: str = ""
    skipped: str | None = None
    error: str | None = None


def render_cases(
    suite: str,
    cases: Sequence[JUnitCase],
    *,
    properties: Mapping[str, str] | None = None,
    elapsed: float = 0.0,
) -> str:
    """JUnit XML for `cases`, counting failures and skips; `elapsed` is in seconds."""
    failures = sum(case.failure is not None for case in cases)
    skips = sum(case.skipped is not None for case in cases)
    errors = sum(case.error is not None for case in cases)
    root, testsuite = _suites(suite, len(cases), failures, skips, elapsed, errors)
    if properties:
        listed = ET.SubElement(testsuite, "properties")
        for name, value in properties.items():
            ET.SubElement(listed, "property", name=_text(name), value=_text(value))
    for case in cases:
        element = ET.SubElement(
            testsuite,
            "testcase",
            classname=_text(case.classname),
            name=_text(case.name),
            time=f"{case.time:.3f}",
        )
        if case.error is not None:
            error = ET.SubElement(element, "error", message=_text(case.error), type="interrupted")
            error.text = _text(case.details)
        elif case.failure is not None:
            failure = ET.SubElement(element, "failure", message=_text(case.failure), type="check")
            failure.text = _text(case.details)
        elif case.skipped is not None:
            ET.SubElement(element, "skipped", message=_text(case.skipped))
    return _document(root)


def _suites(
    name: str, tests: int, failures: int, skipped: int, elapsed: float, errors: int = 0
) -> tuple[ET.Element, ET.Element]:
    counts = {
        "tests": str(tests),
        "failures": str(failures),
        "errors": str(errors),
        "skipped": str(skipped),
        "time": f"{elapsed:.3f}",
    }
    root = ET.Element("testsuites", {"name": _text(name), **counts})
    return root, ET.SubElement(root, "testsuite", {"name": _text(name), **counts})


def _document(root: ET.Element) -> str:
    ET.indent(root)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"


def failure_message(verdict: Verdict, recording: Recording) -> str:
    """expected X, observed Y at +HH:MM:SS (the end of the run when the verdict names no time)."""
    at = verdict.at if verdict.at is not None else recording.ended_at
    return f"expected {verdict.expected}, observed {verdict.observed} at {_when(at)}"


def _properties(testsuite: ET.Element, recording: Recording) -> None:
    properties = ET.SubElement(testsuite, "properties")
    values = {
        "scenario": recording.title,
        "munchkin_id": recording.munchkin_id,
        "seed": str(recording.seed),
        "simulated_start": iso(recording.start_wall),
        "simulated_span": f"{offset(recording.ended_at)} ({duration(recording.ended_at)})",
    }
    if recording.interrupted:
        values["interrupted"] = recording.interrupted
    for name, value in values.items():
        ET.SubElement(properties, "property", name=name, value=_text(value))


def _testcase(testsuite: ET.Element, verdict: Verdict, recording: Recording) -> None:
    case = ET.SubElement(
        testsuite,
        "testcase",
        classname=_text(verdict.subscription or "endpoint"),
        name=_text(verdict.name),
        time="0",
    )
    if verdict.skipped is not None:
        ET.SubElement(case, "skipped", message=_text(verdict.skipped))
        return
    if verdict.passed:
        return
    if verdict.unfinished:
        error = ET.SubElement(case, "error", message=_text(verdict.observed), type="interrupted")
        error.text = _text(_evidence(verdict, recording))
        return
    failure = ET.SubElement(
        case, "failure", message=_text(failure_message(verdict, recording)), type="expectation"
    )
    failure.text = _text(_evidence(verdict, recording))


def _evidence(verdict: Verdict, recording: Recording) -> str:
    at = verdict.at if verdict.at is not None else recording.ended_at
    when = "at" if verdict.at is not None else "at the end of the run,"
    return "\n".join(
        [
            f"expectation: {verdict.name}",
            f"subscription: {verdict.subscription or '(endpoint)'}",
            f"expected: {verdict.expected}",
            f"observed: {verdict.observed}",
            f"{when} {_when(at)} simulated ({iso(recording.start_wall + at)})",
            f"scenario: {recording.title}, munchkin {recording.munchkin_id}, seed {recording.seed}",
        ]
    )


def _text(value: str) -> str:
    return _NOT_XML.sub("\ufffd", value)


def _when(t: float) -> str:
    return offset(t).removesuffix(".000")
