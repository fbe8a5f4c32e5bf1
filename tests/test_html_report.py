"""The `--report` page, drawn from hand-built recordings (no engine run)."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest
from recordings import attempt, big_recording, recording

from simulator.core.delivery import Ledger
from simulator.core.outcome import OutcomeKind
from simulator.core.recording import Verdict
from simulator.reports.chartdata import MAX_COLUMNS, MAX_POINTS
from simulator.reports.html import render_html

CHROMIUM = Path("/usr/bin/chromium")


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
