"""The `--report` page, drawn from hand-built recordings (no engine run)."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest

from simulator.core.delivery import Ledger
from simulator.core.outcome import OutcomeKind
from simulator.core.records import AttemptRecord, StateChange
from simulator.reports.chartdata import (
    MAX_COLUMNS,
    MAX_POINTS,
    Axis,
    attempt_columns,
    downsample,
    state_segments,
)
from simulator.reports.html import render_html
from simulator.timeline.recording import Recording, Sample, Verdict

START = 1_767_225_600.0  # 2026-01-01T00:00:00Z
DAY = 86_400.0
CHROMIUM = Path("/usr/bin/chromium")


def attempt(at: float, outcome: OutcomeKind = OutcomeKind.SUCCESS, sub: str = "leads"):
    return AttemptRecord(
        at=at,
        wall=START + at,
        subscription=sub,
        message_id=f"m{at}",
        attempt=1,
        kind="push",
        events=100,
        outcome=outcome,
        status=200 if outcome is OutcomeKind.SUCCESS else 503,
        latency=0.05,
        state="active",
    )


def recording(subscriptions: tuple[str, ...] = ("leads",), **fields) -> Recording:
    """A 20-minute run: leads times out at +00:05:00, pauses at +00:14:00, recovers."""
    rec = Recording(
        title="outage.yaml",
        munchkin_id="123-ABC-456",
        seed=7,
        start_wall=START,
        ended_at=1200.0,
        subscriptions=list(subscriptions),
    )
    for name in subscriptions:
        rec.samples[name] = [Sample(t, "active", int(t), t / 10) for t in range(0, 1201, 60)]
        rec.ledgers[name] = Ledger(1000, 990, 0, 0, 0, 10, 0)
        rec.attempts += [attempt(t, sub=name) for t in range(0, 300, 2)]
        rec.attempts += [attempt(t, OutcomeKind.TIMEOUT, sub=name) for t in (300, 480, 660)]
        rec.changes += [
            StateChange(300.0, START + 300, name, "active", "retrying", "failed"),
            StateChange(840.0, START + 840, name, "retrying", "paused", "exhausted"),
            StateChange(1020.0, START + 1020, name, "paused", "active", "acknowledged"),
        ]
    rec.steps = [(300.0, "endpoint times out"), (1020.0, "endpoint recovers")]
    rec.verdicts = [
        Verdict("leads: state paused by +00:15:00", True, "paused", "paused", 900.0, "leads"),
        Verdict("leads: queue drained", False, "0 queued", "10 queued", None, "leads"),
    ]
    for key, value in fields.items():
        setattr(rec, key, value)
    return rec


def big_recording() -> Recording:
    """Seven days, two subscriptions, 100k attempts and 10k samples each."""
    end = 7 * DAY
    subs = ("leads", "opportunities")
    rec = Recording("week.yaml", "123-ABC-456", 1, START, end, list(subs))
    kinds = list(OutcomeKind)
    step = end / 100_000
    rec.attempts = [  # positional and with one messageId: building 100k records stays cheap
        AttemptRecord(
            i * step, START + i * step, subs[i % 2], "m", 1, "push", 100, kinds[i % 97 % 5],
            None, 0.05, "active",
        )
        for i in range(100_000)
    ]  # fmt: skip
    for name in subs:
        rec.samples[name] = [
            Sample(j * end / 10_000, "active", j % 700, j % 300) for j in range(10_000)
        ]
        rec.ledgers[name] = Ledger(5, 5, 0, 0, 0, 0, 0)
    rec.steps = [(d * DAY, f"day {d}") for d in range(1, 7)]
    return rec


def test_page_is_self_contained() -> None:
    """No external resource: no URL, no linked stylesheet, no script file, no CSS import."""
    page = render_html(recording(endpoint={"requests": 3}))
    for banned in ("http://", "https://", "<link", "<script", "src=", "href=", "url(", "@import"):
        assert banned not in page
    assert "<style>" in page


def test_page_shows_every_verdict_failures_first() -> None:
    """Each verdict is listed with expected and observed, the failing one above the passing."""
    page = render_html(recording())
    failing, passing = page.index("leads: queue drained"), page.index("leads: state paused by")
    assert failing < passing
    assert "10 queued" in page
    assert "✗ fail" in page
    assert "✓ pass" in page


@pytest.mark.parametrize(
    ("verdicts", "badge"),
    [
        pytest.param([Verdict("ok", True, "a", "a")], "badge pass", id="pass"),
        pytest.param(
            [Verdict("ok", True, "a", "a"), Verdict("no", False, "a", "b")], "badge fail", id="fail"
        ),
        pytest.param([], "badge none", id="no-expectations"),
    ],
)
def test_badge_follows_the_verdicts(verdicts: list[Verdict], badge: str) -> None:
    """The header badge reads PASS, FAIL or NO EXPECTATIONS."""
    assert badge in render_html(recording(verdicts=verdicts))


def test_fail_badge_counts_the_failures() -> None:
    """A failing run says how many expectations failed out of how many."""
    assert "1 of 2 failed" in render_html(recording())


def test_one_svg_timeline_per_subscription() -> None:
    """Each subscription gets its own SVG chart with state band, lines and attempt strip."""
    page = render_html(recording(subscriptions=("leads", "opportunities", "programs")))
    assert page.count("<svg") == 3
    assert page.count("events queued or in flight") == 3


def test_hostile_names_are_escaped() -> None:
    """Subscription, verdict and step names are HTML-escaped, never markup."""
    evil = "<script>alert(1)</script>"
    rec = recording(subscriptions=(evil,), steps=[(10.0, evil)], title=evil)
    rec.verdicts = [Verdict(evil, False, evil, '"><img onerror=x>', 5.0, evil)]
    page = render_html(rec)
    assert "<script" not in page
    assert "<img" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page


def test_ledger_table_says_whether_it_balances() -> None:
    """The ledger row reads yes when balanced and the difference otherwise."""
    assert "✓ yes" in render_html(recording())
    rec = recording(ledgers={"leads": Ledger(1000, 900, 0, 0, 0, 10, 0)})
    assert "off by 90" in render_html(rec)


def test_state_segments_start_from_the_first_sample() -> None:
    """The state band is the first sample's state, then each change in time order."""
    assert state_segments(recording(), "leads") == [
        (0.0, 300.0, "active"),
        (300.0, 840.0, "retrying"),
        (840.0, 1020.0, "paused"),
        (1020.0, 1200.0, "active"),
    ]


@pytest.mark.parametrize(
    ("end", "labels"),
    [
        pytest.param(540.0, ["+00:00:00", "+00:01:00", "+00:09:00"], id="minutes"),
        pytest.param(7 * DAY, ["+0d", "+1d", "+7d"], id="days"),
    ],
)
def test_time_axis_ticks_are_readable(end: float, labels: list[str]) -> None:
    """Ticks fall on round simulated times, labelled +HH:MM:SS or in days for long runs."""
    ticks = [label for _, label in Axis(end).ticks()]
    assert {labels[0], labels[1], labels[-1]} <= set(ticks)
    assert len(ticks) <= 11


def test_downsample_keeps_the_peaks() -> None:
    """Thinning samples to at most MAX_POINTS keeps every bucket's extremes."""
    points = [(float(t), 1.0) for t in range(10_000)]
    points[4321] = (4321.0, 99.0)
    thinned = downsample(points, 10_000.0)
    assert len(thinned) <= MAX_POINTS
    assert (4321.0, 99.0) in thinned


def test_attempt_columns_count_outcomes_per_bucket() -> None:
    """Attempts fall into time columns that keep the count of each outcome."""
    attempts = [attempt(0.0), attempt(0.5, OutcomeKind.TIMEOUT), attempt(1200.0)]
    columns = attempt_columns(attempts, 1200.0)
    assert columns[0] == {"success": 1, "timeout": 1}
    assert columns[MAX_COLUMNS - 1] == {"success": 1}


def test_worst_outcome_colours_a_column() -> None:
    """A column holding a timeout among successes shows the timeout colour and the counts."""
    rec = recording(attempts=[attempt(0.0), attempt(0.5, OutcomeKind.TIMEOUT)], verdicts=[])
    page = render_html(rec)
    assert 'fill="#8553c7"' in page
    assert "1 success, 1 timeout" in page


def test_hundred_thousand_attempts_make_a_small_page() -> None:
    """A 7-day run with 100k attempts and 10k samples a subscription renders under 1 MB: at most
    MAX_COLUMNS attempt columns and MAX_POINTS points per line, whatever the run's size."""
    page = render_html(big_recording())
    assert len(page.encode()) < 1_000_000
    strips = re.findall(r"<g><title>\+\S+ – ", page)
    assert len(strips) <= 2 * MAX_COLUMNS
    lines = re.findall(r'<path d="M([^"]*)" fill="none"', page)
    assert len(lines) == 4  # queue and age, for each of the two subscriptions
    assert all(len(line.split("L")) <= MAX_POINTS for line in lines)


@pytest.mark.skipif(not CHROMIUM.exists(), reason="no /usr/bin/chromium to render the page")
def test_page_renders_headless_to_a_png(tmp_path: Path) -> None:
    """Headless Chromium, offline, turns the page into a non-empty screenshot."""
    page, png = tmp_path / "report.html", tmp_path / "report.png"
    page.write_text(render_html(recording()), encoding="utf-8")
    command = [
        str(CHROMIUM),
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--no-first-run",
        f"--user-data-dir={tmp_path / 'profile'}",
        "--window-size=1280,1000",
        f"--screenshot={png}",
        page.as_uri(),
    ]
    subprocess.run(command, capture_output=True, timeout=60, check=False)
    assert png.exists()
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert png.stat().st_size > 1000
