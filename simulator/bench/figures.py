"""A measured figure next to its target, and the table they are printed in.

A figure without a target is information (printed with `-`); one with a target says PASS or
FAIL. Notes under a figure say how it was measured, so a reader can judge it.
"""

from __future__ import annotations

import math
import textwrap
from collections.abc import Sequence
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Figure:
    name: str
    measured: str
    target: str = ""  # "" when the figure has no target
    passed: bool | None = None  # None: nothing to pass
    note: str = ""

    @property
    def result(self) -> str:
        if self.passed is None:
            return "-"
        return "PASS" if self.passed else "FAIL"


def at_least(name: str, value: float, target: float, unit: str, *, note: str = "") -> Figure:
    """A figure that passes when `value >= target`, both shown in `unit` (see `amount`)."""
    return Figure(
        name, amount(value, unit), f">= {amount(target, unit)}", value >= target, note=note
    )


def at_most(name: str, value: float, target: float, unit: str, *, note: str = "") -> Figure:
    """A figure that passes when `value <= target`."""
    return Figure(
        name, amount(value, unit), f"<= {amount(target, unit)}", value <= target, note=note
    )


def skipped(name: str, target: str, why: str) -> Figure:
    """A figure that could not be measured: it fails, and the note says why."""
    return Figure(name, "not measured", target, False, note=why)


def amount(value: float, unit: str) -> str:
    """`value` written for people: `ev/s` and `B` grouped in thousands, `%` as a percentage of 1,
    `MB` from bytes, `s` and `us` with sensible decimals, `x` as a ratio."""
    if unit == "ev/s":
        return f"{value:,.0f} ev/s"
    if unit == "MB":
        return f"{value / 1e6:,.0f} MB"
    if unit == "B":
        return f"{value:,.0f} B"
    if unit == "%":
        return f"{value * 100:.2f} %"
    if unit == "ms":
        return f"{value * 1000:,.0f} ms"
    if unit == "us":
        return f"{value:.2f} us"
    if unit == "s":
        return f"{value:,.2f} s"
    return f"{value:.2f}{unit}"


def percentile(values: Sequence[float], share: float) -> float:
    """The nearest-rank percentile (`share` in 0..1) of `values`; nan when there are none."""
    if not values:
        return math.nan
    ordered = sorted(values)
    rank = max(1, math.ceil(share * len(ordered)))
    return ordered[rank - 1]


NAME, MEASURED, TARGET = 46, 16, 16


def table(figures: Sequence[Figure]) -> str:
    """The figures as a fixed-width table, each note on its own indented line below its row."""
    lines = [f"{'figure':<{NAME}} {'measured':>{MEASURED}} {'target':>{TARGET}}  result"]
    lines.append("-" * len(lines[0]))
    for f in figures:
        lines.append(f"{f.name:<{NAME}} {f.measured:>{MEASURED}} {f.target:>{TARGET}}  {f.result}")
        if f.note:
            lines.append(f"    {f.note}")
    failed = [f.name for f in figures if f.passed is False]
    lines.append("-" * len(lines[0]))
    met = sum(f.passed is True for f in figures)
    summary = f"{met} of {met + len(failed)} targets met"
    if failed:
        summary += f"; missed: {', '.join(failed)}"
    lines += textwrap.wrap(summary, len(lines[0]), subsequent_indent="    ")
    return "\n".join(lines)
