"""The `--report` page: one self-contained HTML file drawn from a `Recording`.

Inline CSS and inline SVG; no JavaScript, no external URL, so it opens offline. The page is the
header and verdict badge, the expectations, the timeline's steps, one section per subscription
(its state, an SVG timeline from `svg`, its push attempts and ledger) and the dev endpoint's
counters. Big runs stay small: the run kept its attempts as tallies and bounded time buckets,
`chartdata` bins those into at most `MAX_COLUMNS` columns and thins samples to at most
`MAX_POINTS` points per chart.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from html import escape

from simulator import __version__
from simulator.core.delivery import Ledger
from simulator.core.recording import Recording, Verdict, VerdictStatus
from simulator.core.timefmt import duration, iso
from simulator.reports.chartdata import (
    OUTCOME_COLOURS,
    STATE_COLOURS,
    UNKNOWN_COLOUR,
    Axis,
    Segment,
    severity,
    state_segments,
    track_columns,
    when,
)
from simulator.reports.svg import chart

LEDGER_ROWS = (
    ("produced", "produced"),
    ("acknowledged", "acknowledged"),
    ("expired", "expired"),
    ("discarded", "discarded"),
    ("dropped", "dropped"),
    ("queued", "queued"),
    ("in flight", "in_flight"),
)


def render_html(recording: Recording) -> str:
    """The whole report page as one string."""
    parts = [
        _head(recording),
        _header(recording),
        _expectations(recording),
        _steps_table(recording),
        *(_subscription(recording, name) for name in recording.subscriptions),
        _endpoint(recording.endpoint),
        f"<footer>marketo-stream-simulator {escape(__version__)}</footer>",
        "</main></body></html>\n",
    ]
    return "".join(parts)


# -- the page -------------------------------------------------------------------------------


def _head(recording: Recording) -> str:
    title = escape(f"{recording.title} · {'PASS' if recording.passed else 'FAIL'}")
    return (
        '<!doctype html><html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{title}</title><style>{CSS}</style></head><body><main>"
    )


def _header(recording: Recording) -> str:
    start, end = recording.start_wall, recording.start_wall + recording.ended_at
    meta = [
        ("munchkin", recording.munchkin_id),
        ("seed", str(recording.seed)),
        ("simulated", f"{duration(recording.ended_at)} ({when(recording.ended_at)})"),
        ("from", iso(start)),
        ("to", iso(end)),
    ]
    if recording.interrupted:
        meta.append(("interrupted", f"by {recording.interrupted} at {when(recording.ended_at)}"))
    items = "".join(f"<span><b>{escape(k)}</b> {escape(v)}</span>" for k, v in meta)
    return (
        f'<header><div class="title"><h1>{escape(recording.title)}</h1>{_badge(recording)}</div>'
        f'<div class="meta">{items}</div></header>'
    )


def _badge(recording: Recording) -> str:
    total = len(recording.verdicts)
    failed = sum(not v.passed for v in recording.verdicts)
    if not total:
        return '<span class="badge none">NO EXPECTATIONS</span>'
    if failed:
        verdict, count = "fail", f"{failed} of {total} failed"
    else:
        verdict, count = "pass", f"{total} of {total} passed"
    return (
        f'<span class="badge {verdict}">{verdict.upper()}</span><span class="count">{count}</span>'
    )


def _expectations(recording: Recording) -> str:
    if not recording.verdicts:
        return '<section><h2>Expectations</h2><p class="muted">None were declared.</p></section>'
    ordered = sorted(recording.verdicts, key=lambda v: v.passed)  # failures first, order kept
    rows = "".join(_verdict_row(v, recording.ended_at) for v in ordered)
    return (
        '<section><h2>Expectations</h2><table class="verdicts"><thead><tr><th></th>'
        "<th>expectation</th><th>expected</th><th>observed</th><th>at</th></tr></thead>"
        f"<tbody>{rows}</tbody></table></section>"
    )


_MARKS = {
    VerdictStatus.PASSED: '<span class="ok">✓ pass</span>',
    VerdictStatus.FAILED: '<span class="ko">✗ fail</span>',
    VerdictStatus.SKIPPED: '<span class="muted">– skipped</span>',
    VerdictStatus.ERROR: '<span class="ko">✗ error</span>',
}


def _verdict_row(verdict: Verdict, ended_at: float) -> str:
    mark = _MARKS[verdict.status]
    observed = verdict.skipped if verdict.skipped is not None else verdict.observed
    at = when(verdict.at) if verdict.at is not None else f"end {when(ended_at)}"
    return (
        f'<tr class="{"pass" if verdict.passed else "fail"}"><td>{mark}</td>'
        f"<td>{escape(verdict.name)}</td><td>{escape(verdict.expected)}</td>"
        f'<td>{escape(observed)}</td><td class="at">{escape(at)}</td></tr>'
    )


def _steps_table(recording: Recording) -> str:
    if not recording.steps:
        return ""
    rows = "".join(
        f'<tr><td class="num">{i}</td><td class="at">{escape(when(t))}</td>'
        f"<td>{escape(label)}</td></tr>"
        for i, (t, label) in enumerate(sorted(recording.steps), 1)
    )
    return (
        '<section><h2>Steps</h2><table class="steps"><thead><tr><th>#</th><th>at</th>'
        f"<th>step</th></tr></thead><tbody>{rows}</tbody></table></section>"
    )


def _subscription(recording: Recording, name: str) -> str:
    axis = Axis(recording.ended_at)
    samples = recording.samples.get(name, [])
    segments = state_segments(recording, name)
    track = recording.tracks.view(name)
    bins = track_columns(track, axis.span)
    counts = +track.tally.by_outcome
    verdicts = [v for v in recording.verdicts if v.subscription == name]
    final = segments[-1][2] if segments else "unknown"
    return (
        f'<section class="sub"><div class="subhead"><h2>{escape(name)}</h2>'
        f"{_state_chip(final)}{_verdict_summary(verdicts)}</div>"
        f"{_state_totals(segments)}"
        f"{chart(axis, segments, samples, bins, sorted(recording.steps))}"
        f'<div class="tables">{_outcome_table(counts)}'
        f"{_ledger_table(recording.ledgers.get(name))}</div></section>"
    )


def _state_chip(state: str) -> str:
    colour = STATE_COLOURS.get(state, UNKNOWN_COLOUR)
    return f'<span class="chip" style="background:{colour}">{escape(state)}</span>'


def _verdict_summary(verdicts: list[Verdict]) -> str:
    if not verdicts:
        return ""
    failed = sum(not v.passed for v in verdicts)
    cls, text = ("ko", f"{failed} of {len(verdicts)} failed") if failed else ("ok", "all pass")
    noun = "expectation" if len(verdicts) == 1 else "expectations"
    return f'<span class="{cls}">{len(verdicts)} {noun}: {text}</span>'


def _state_totals(segments: list[Segment]) -> str:
    spent: dict[str, float] = defaultdict(float)
    for start, end, state in segments:
        spent[state] += end - start
    items = "".join(
        f'<span><i style="background:{STATE_COLOURS.get(s, UNKNOWN_COLOUR)}"></i>'
        f"{escape(s)} {escape(duration(t))}</span>"
        for s, t in spent.items()
    )
    return f'<div class="legend">{items}</div>'


def _outcome_table(counts: Counter[str]) -> str:
    rows = "".join(
        f'<tr><td><i style="background:{OUTCOME_COLOURS.get(kind, UNKNOWN_COLOUR)}"></i>'
        f'{escape(kind)}</td><td class="num">{n:,}</td></tr>'
        for kind, n in sorted(counts.items(), key=lambda kv: severity(kv[0]))
    )
    total = f'<tr class="total"><td>attempts</td><td class="num">{counts.total():,}</td></tr>'
    return f'<table class="small"><caption>push attempts</caption>{rows}{total}</table>'


def _ledger_table(ledger: Ledger | None) -> str:
    if ledger is None:
        return '<table class="small"><caption>ledger</caption><tr><td>none</td></tr></table>'
    rows = "".join(
        f'<tr><td>{label}</td><td class="num">{getattr(ledger, key):,}</td></tr>'
        for label, key in LEDGER_ROWS
    )
    off = ledger.produced - ledger.accounted
    balanced = (
        '<span class="ok">✓ yes</span>' if not off else f'<span class="ko">✗ off by {off:,}</span>'
    )
    rows += f'<tr class="total"><td>balanced?</td><td class="num">{balanced}</td></tr>'
    return f'<table class="small"><caption>ledger</caption>{rows}</table>'


def _endpoint(counters: dict[str, int] | None) -> str:
    if not counters:
        return ""
    rows = "".join(
        f'<tr><td>{escape(k)}</td><td class="num">{v:,}</td></tr>' for k, v in counters.items()
    )
    return f'<section><h2>Dev endpoint</h2><table class="small">{rows}</table></section>'


CSS = """
:root{--fg:#1f2328;--muted:#656d76;--line:#d8dee4;--soft:#f6f8fa;--ok:#1a7f37;--ko:#cf222e}
*{box-sizing:border-box}
body{margin:0;background:#fff;color:var(--fg);font:14px/1.45 system-ui,-apple-system,"Segoe UI",
Roboto,"Helvetica Neue",Arial,sans-serif;font-variant-numeric:tabular-nums}
main{max-width:1180px;margin:0 auto;padding:28px 24px 40px}
header{border-bottom:1px solid var(--line);padding-bottom:14px;margin-bottom:8px}
.title{display:flex;align-items:center;gap:12px;flex-wrap:wrap}
h1{font-size:22px;margin:0;font-weight:600;word-break:break-all}
h2{font-size:17px;margin:0;font-weight:600}
section{margin-top:26px}
section>h2{margin-bottom:10px}
.meta{display:flex;flex-wrap:wrap;gap:6px 20px;margin-top:8px;color:var(--muted)}
.meta b{font-weight:600;color:var(--fg)}
.badge{font-weight:700;letter-spacing:.06em;padding:3px 10px;border-radius:4px;color:#fff;
font-size:13px}
.badge.pass{background:var(--ok)}.badge.fail{background:var(--ko)}.badge.none{background:#8c959f}
.count{color:var(--muted)}
.muted{color:var(--muted)}
table{border-collapse:collapse}
th{font-weight:600;text-align:left;color:var(--muted);font-size:12px;text-transform:uppercase;
letter-spacing:.04em}
th,td{padding:6px 12px 6px 0;border-bottom:1px solid var(--line);vertical-align:top}
td.num{text-align:right;white-space:nowrap}
td.at{white-space:nowrap}
table.verdicts{width:100%}
table.steps td.num{padding-right:16px}
tr.fail td{background:#ffebe9}
tr.fail td:first-child{box-shadow:inset 3px 0 var(--ko);padding-left:10px}
tr.pass td:first-child{padding-left:10px}
.ok{color:var(--ok);font-weight:600;white-space:nowrap}
.ko{color:var(--ko);font-weight:600;white-space:nowrap}
.sub{border:1px solid var(--line);border-radius:8px;padding:16px 18px}
.subhead{display:flex;align-items:center;gap:12px;flex-wrap:wrap}
.chip{color:#fff;font-size:12px;font-weight:600;padding:2px 8px;border-radius:10px}
.legend{display:flex;gap:16px;flex-wrap:wrap;color:var(--muted);font-size:13px;margin:8px 0 4px}
i{display:inline-block;width:10px;height:10px;border-radius:2px;margin-right:6px}
svg.chart{width:100%;height:auto;display:block;margin-top:6px}
svg text{font-family:inherit}
.tick{font-size:11px;fill:var(--muted)}
.row{font-size:12px;fill:var(--fg);font-weight:600}
.ctitle{font-size:12px;fill:var(--fg);font-weight:600;stroke:#fff;stroke-width:4px;
paint-order:stroke;stroke-linejoin:round}
.inband{font-size:11px;fill:#fff;font-weight:600}
.steplabel{font-size:11px;fill:#57606a}
.grid{stroke:#eaeef2}
.hgrid{stroke:#eef1f4}
.step{stroke:#6e7781;stroke-dasharray:3 3}
.track{fill:var(--soft)}
.tables{display:flex;gap:48px;flex-wrap:wrap;align-items:flex-start;margin-top:14px}
table.small caption{text-align:left;font-weight:600;padding-bottom:4px}
table.small td:first-child{padding-right:28px}
tr.total td{font-weight:600;border-bottom:none}
footer{margin-top:32px;color:var(--muted);font-size:12px}
"""
