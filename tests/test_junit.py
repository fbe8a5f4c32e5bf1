"""The `--junit` file, drawn from hand-built recordings (no engine run)."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest

from simulator.core.recording import Recording, Verdict
from simulator.reports.junit import render_junit

START = 1_767_225_600.0  # 2026-01-01T00:00:00Z


def recording(verdicts: list[Verdict]) -> Recording:
    return Recording(
        title="outage.yaml",
        munchkin_id="123-ABC-456",
        seed=7,
        start_wall=START,
        ended_at=1200.0,
        subscriptions=["leads"],
        verdicts=verdicts,
    )


VERDICTS = [
    Verdict("leads: state paused by +00:09:00", True, "paused", "paused", 540.0, "leads"),
    Verdict("leads: state active by +00:15:00", False, "active", "paused", 900.0, "leads"),
    Verdict("no duplicate deliveries", False, "0 duplicates", "3 duplicates", None, None),
]


def parse(text: str) -> ET.Element:
    return ET.fromstring(text.encode())


def test_counts_tests_and_failures() -> None:
    """The suite and the suites element count every verdict and each failed one."""
    root = parse(render_junit(recording(VERDICTS)))
    suite = root.find("testsuite")
    assert suite is not None
    for element in (root, suite):
        assert element.get("tests") == "3"
        assert element.get("failures") == "2"
        assert element.get("errors") == "0"


def test_one_testcase_per_verdict() -> None:
    """Each verdict is a test case, classed by its subscription or as the endpoint."""
    cases = parse(render_junit(recording(VERDICTS))).iter("testcase")
    assert [(c.get("classname"), c.get("name")) for c in cases] == [
        ("leads", "leads: state paused by +00:09:00"),
        ("leads", "leads: state active by +00:15:00"),
        ("endpoint", "no duplicate deliveries"),
    ]


def test_passing_verdict_has_no_failure() -> None:
    """A passed verdict is a bare test case."""
    case = next(parse(render_junit(recording(VERDICTS))).iter("testcase"))
    assert list(case) == []


@pytest.mark.parametrize(
    ("index", "message"),
    [
        pytest.param(1, "expected active, observed paused at +00:15:00", id="timed"),
        pytest.param(2, "expected 0 duplicates, observed 3 duplicates at +00:20:00", id="at-end"),
    ],
)
def test_failure_message_names_expected_observed_and_time(index: int, message: str) -> None:
    """The failure message says what was expected, what was seen and when (the end if untimed)."""
    cases = list(parse(render_junit(recording(VERDICTS))).iter("testcase"))
    failure = cases[index].find("failure")
    assert failure is not None
    assert failure.get("message") == message
    assert failure.text is not None
    assert "observed:" in failure.text
    assert "seed 7" in failure.text


def test_no_verdicts_is_an_empty_suite() -> None:
    """A recording without expectations yields one suite with zero tests."""
    root = parse(render_junit(recording([])))
    suite = root.find("testsuite")
    assert suite is not None
    assert suite.get("tests") == "0"
    assert list(root.iter("testcase")) == []


def test_suite_name_and_elapsed_time() -> None:
    """The suite takes the given name (the scenario file by default) and real elapsed seconds."""
    suite = parse(render_junit(recording(VERDICTS), suite="ci", elapsed=1.5)).find("testsuite")
    assert suite is not None
    assert (suite.get("name"), suite.get("time")) == ("ci", "1.500")
    default = parse(render_junit(recording(VERDICTS))).find("testsuite")
    assert default is not None
    assert default.get("name") == "outage.yaml"


def test_hostile_text_stays_well_formed() -> None:
    """Markup, quotes and control characters in names still give parseable XML."""
    evil = '<x a="1">&\x00\x1b</x>'
    root = parse(render_junit(recording([Verdict(evil, False, evil, evil, 1.0, evil)])))
    case = next(root.iter("testcase"))
    assert case.get("name") == '<x a="1">&\ufffd\ufffd</x>'
    assert case.get("classname") == '<x a="1">&\ufffd\ufffd</x>'


def test_a_skipped_verdict_is_a_skipped_case_with_its_reason() -> None:
    """A check that could not be judged is counted as skipped and says why, failing nothing."""
    skipped = Verdict("endpoint duplicates 0", True, "0", "not judged", 1200.0, skipped="why")
    root = parse(render_junit(recording([skipped])))
    case = next(root.iter("testcase"))
    assert [(child.tag, child.get("message")) for child in case] == [("skipped", "why")]
    assert (root.get("tests"), root.get("failures"), root.get("skipped")) == ("1", "0", "1")
