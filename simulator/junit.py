"""The `--junit` file: one JUnit test case per judged expectation, for CI.

Built with ElementTree so every name and message is escaped; characters XML 1.0 cannot carry at
all (control characters) are replaced rather than left to break the file.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

from .recording import Recording, Verdict
from .report import duration, iso, offset

_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def render_junit(recording: Recording, *, suite: str | None = None, elapsed: float = 0.0) -> str:
    """JUnit XML for the recording's verdicts; `elapsed` is the run's real duration in seconds."""
    tests = len(recording.verdicts)
    failures = sum(not v.passed for v in recording.verdicts)
    counts = {
        "tests": str(tests),
        "failures": str(failures),
        "errors": "0",
        "skipped": "0",
        "time": f"{elapsed:.3f}",
    }
    root = ET.Element("testsuites", {"name": _text(suite or recording.title), **counts})
    testsuite = ET.SubElement(
        root, "testsuite", {"name": _text(suite or recording.title), **counts}
    )
    _properties(testsuite, recording)
    for verdict in recording.verdicts:
        _testcase(testsuite, verdict, recording)
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
    if verdict.passed:
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
