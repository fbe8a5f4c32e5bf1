"""How the dev consumer misbehaves on command: the `Behaviour` and its outage `Window`s, and the
lists of outage modes and challenge styles, each defined here once.

A test or a scenario needs a consumer that fails in known ways: fixed or random failure
statuses, latency, hangs, resets and outage windows in receiver time. This module holds those
values and everything done with them that needs no network: their checks (a bad value is a
`ConfigError` when it is made), their JSON form for `PUT /_sim/behaviour`, their one-line
description and the parser of the `--outage START:END[:MODE]` flag. Acting on them over HTTP
(dropping a connection, hanging, answering a status) is the Receiver's job.

Pure: no asyncio, no aiohttp, no clock.
"""

from __future__ import annotations

import argparse
import dataclasses
import math
from dataclasses import dataclass
from typing import Any, Literal, get_args

from simulator.errors import ConfigError

__all__ = [
    "CHALLENGE_STYLES",
    "DEFAULT_BEHAVIOUR",
    "OUTAGE_MODES",
    "Behaviour",
    "ChallengeStyle",
    "OutageMode",
    "Window",
    "behaviour_from_json",
    "behaviour_to_json",
    "check_challenge_style",
    "check_status",
    "describe_behaviour",
    "parse_outage",
]

OutageMode = Literal["refuse", "status", "hang", "reset"]
OUTAGE_MODES: tuple[OutageMode, ...] = get_args(OutageMode)

# How the consumer answers the Adobe I/O challenge GET: echoed as text, as JSON, or ignored.
ChallengeStyle = Literal["text", "json", "refuse"]
CHALLENGE_STYLES: tuple[ChallengeStyle, ...] = get_args(ChallengeStyle)


def check_challenge_style(text: str) -> ChallengeStyle:
    """`text` as a challenge style; ConfigError naming the styles if it is none of them."""
    for style in CHALLENGE_STYLES:
        if text == style:
            return style
    expected = ", ".join(CHALLENGE_STYLES)
    raise ConfigError(f"challenge_style {text!r}: expected one of {expected}")


def check_status(name: str, value: int) -> None:
    """ConfigError unless `value` is a final HTTP status (200-599)."""
    if not 200 <= value <= 599:
        raise ConfigError(f"{name}: {value} is not a final HTTP status (200-599)")


@dataclass(frozen=True, slots=True, kw_only=True)
class Window:
    """A span of receiver time [start, end) in seconds since start (end may be math.inf) during
    which the consumer misbehaves as `mode` says, whatever the rest of the Behaviour says:
    "refuse" drops the connection unread, "status" answers `status`, "hang" never answers,
    "reset" reads the request and drops the connection."""

    start: float
    end: float
    mode: OutageMode = "refuse"
    status: int = 503

    def __post_init__(self) -> None:
        if not (0 <= self.start < self.end and math.isfinite(self.start)):
            raise ConfigError(f"outage {self.start}-{self.end}: need 0 <= start < end")
        if self.mode not in OUTAGE_MODES:
            expected = ", ".join(OUTAGE_MODES)
            raise ConfigError(f"outage mode {self.mode!r}: expected one of {expected}")
        check_status("outage status", self.status)

    def covers(self, now: float) -> bool:
        """Whether receiver time `now` falls inside the window (start inclusive, end exclusive)."""
        return self.start <= now < self.end


@dataclass(frozen=True, slots=True, kw_only=True)
class Behaviour:
    """How the consumer answers deliveries; `Receiver.behaviour` can be replaced at run time."""

    status: int = 200
    failure_rate: float = 0.0
    failure_status: int = 503
    latency: float = 0.0
    hang: bool = False
    reset: bool = False
    outages: tuple[Window, ...] = ()

    def __post_init__(self) -> None:
        check_status("status", self.status)
        check_status("failure_status", self.failure_status)
        if not 0.0 <= self.failure_rate <= 1.0:
            raise ConfigError(f"failure_rate: {self.failure_rate} is not between 0 and 1")
        if not (self.latency >= 0.0 and math.isfinite(self.latency)):
            raise ConfigError(f"latency: {self.latency} is not a finite number >= 0")


DEFAULT_BEHAVIOUR = Behaviour()


# --- Behaviour <-> JSON (for PUT /_sim/behaviour) ------------------------------------------------

_SCALARS: dict[str, type] = {
    "status": int,
    "failure_rate": float,
    "failure_status": int,
    "latency": float,
    "hang": bool,
    "reset": bool,
}
_WINDOW_FIELDS: dict[str, type] = {"start": float, "end": float, "mode": str, "status": int}


def _typed(name: str, value: object, kind: type) -> Any:
    if kind is float and isinstance(value, int | float) and not isinstance(value, bool):
        return float(value)
    if isinstance(value, kind) and (kind is bool or not isinstance(value, bool)):
        return value
    raise ConfigError(f"{name}: expected {kind.__name__}, got {value!r}")


def _fields(obj: object, allowed: dict[str, type], where: str) -> dict[str, Any]:
    if not isinstance(obj, dict):
        raise ConfigError(f"{where}: expected a JSON object")
    unknown = sorted(set(obj) - set(allowed))
    if unknown:
        raise ConfigError(f"{where}: unknown field {unknown[0]!r}")
    return {name: _typed(f"{where}.{name}", value, allowed[name]) for name, value in obj.items()}


def behaviour_from_json(changes: object, base: Behaviour) -> Behaviour:
    """`base` with the fields named in a JSON object replaced; raises ConfigError on anything
    unknown, mistyped or out of range."""
    if isinstance(changes, dict) and "outages" in changes:
        changes = dict(changes)
        outages = changes.pop("outages")
        if not isinstance(outages, list):
            raise ConfigError("behaviour.outages: expected a list")
        windows = tuple(
            Window(**_fields(item, _WINDOW_FIELDS, f"behaviour.outages[{i}]"))
            for i, item in enumerate(outages)
        )
        return dataclasses.replace(base, outages=windows, **_fields(changes, _SCALARS, "behaviour"))
    return dataclasses.replace(base, **_fields(changes, _SCALARS, "behaviour"))


def behaviour_to_json(behaviour: Behaviour) -> dict[str, Any]:
    return dataclasses.asdict(behaviour)


def describe_behaviour(behaviour: Behaviour) -> str:
    """The fields that differ from the default, e.g. `latency=19.5 outage=60-1260s:refuse`."""
    parts = [
        f"{f.name}={getattr(behaviour, f.name)}"
        for f in dataclasses.fields(behaviour)
        if f.name != "outages" and getattr(behaviour, f.name) != f.default
    ]
    parts += [
        f"outage={w.start:g}-{w.end:g}s:{w.status if w.mode == 'status' else w.mode}"
        for w in behaviour.outages
    ]
    return " ".join(parts) or "always 200"


def parse_outage(text: str) -> Window:
    """`START:END[:MODE]` in seconds; MODE is refuse, hang, reset, status or an HTTP status."""
    parts = text.split(":")
    if len(parts) not in (2, 3):
        raise argparse.ArgumentTypeError(f"{text!r}: expected START:END[:MODE]")
    mode, status = (parts[2] if len(parts) == 3 else "refuse"), 503
    if mode.isdigit():
        mode, status = "status", int(mode)
    try:
        return Window(start=float(parts[0]), end=float(parts[1]), mode=mode, status=status)
    except (ValueError, ConfigError) as exc:
        raise argparse.ArgumentTypeError(f"{text!r}: {exc}") from None
