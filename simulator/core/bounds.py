"""The sane bounds of every number a user gives, and the one parser of numbers and ports for the
command line, each defined here once.

A run file, a flag and the dev endpoint's `PUT /_sim/behaviour` all ask for durations, rates,
counts, seeds, byte limits and ports. A value far outside what a real Marketo instance or a
consumer could see (a duration of 10^20 days, a burst of 10^15 events, 10^40 retries) is a typo
or a fuzzer, and accepting it would run until killed or exhaust memory, so each is refused with
the bound in the message. The run file's models (`simulator.runfile.fields`), the JSON Schema
they publish, the Behaviour's checks and the command line's converters all read these numbers.

Numbers on the command line are read like YAML reads them: integers, decimals and scientific
notation (`1e6`, `2.5E-3`); an integer flag takes `1e6` too, when it is a whole number. A flag
converter (`flag_type`) turns a parser's ValueError into argparse's "argument --x: message".

Pure: no clock, no sockets; `parse_output_path` only asks the disk whether a folder exists.
"""

from __future__ import annotations

import argparse
import math
import os
from collections.abc import Callable
from typing import TypeVar

__all__ = [
    "BYTES_MAX",
    "COUNT_MAX",
    "DURATION_MAX",
    "FILE_BYTES_MAX",
    "LATENCY_MAX",
    "NESTING_MAX",
    "PORT_MAX",
    "RATE_MAX",
    "RETRIES_MAX",
    "SEED_MAX",
    "SPEED_MAX",
    "SPEED_MIN",
    "flag_type",
    "parse_count",
    "parse_float",
    "parse_int",
    "parse_output_path",
    "parse_port",
    "parse_positive_float",
]

DAY = 86_400.0
DURATION_MAX = 366 * DAY
"""Any duration (a run, a timeout, a retention, a step time): a year, leap day included."""
RATE_MAX = 100_000.0
"""Events per second of one subscription (8.6 billion a day; real instances send far fewer)."""
COUNT_MAX = 10_000_000
"""Events in one burst, `events --count`, and other counts of things."""
RETRIES_MAX = 100
"""Retries of a failed batch before a legacy subscription pauses (Marketo's is 3)."""
SEED_MAX = 2**63 - 1
"""Seeds are 64-bit signed integers >= 0, like a database key."""
BYTES_MAX = 16 * 1024 * 1024
"""A byte limit: a response read, a request's body (the dev endpoint takes up to this)."""
LATENCY_MAX = 3600.0
"""The dev endpoint's answer delay: an hour (any delivery timeout is shorter)."""
PORT_MAX = 65_535
"""TCP ports are 1-65535; `receive --port 0` asks for any free one."""
FILE_BYTES_MAX = 1024 * 1024
"""A run or scenario file: 1 MiB (the largest shipped scenario is about 5 KiB)."""
NESTING_MAX = 32
"""Levels of nested mappings and lists in a run file (a run file needs about 6)."""
SPEED_MIN = 1e-3
"""`--speed`: at most a thousand real seconds per simulated second."""
SPEED_MAX = 1e6
"""`--speed`: at most a million simulated seconds per real second."""

_T = TypeVar("_T")


def parse_float(text: str, *, low: float, high: float) -> float:
    """A finite number in [low, high] from `text` (`2`, `0.5`, `1e-3`); ValueError says why not."""
    try:
        value = float(text.strip())
    except ValueError:
        raise ValueError(f"{text!r} is not a number") from None
    if not math.isfinite(value):
        raise ValueError(f"{text!r} is not a finite number")
    if not low <= value <= high:
        raise ValueError(f"must be between {low:g} and {high:g} (got {text})")
    return value


def parse_positive_float(text: str, *, high: float) -> float:
    """A finite number above 0 and at most `high`."""
    value = parse_float(text, low=0.0, high=high)
    if value <= 0:
        raise ValueError(f"must be greater than 0 (got {text})")
    return value


def parse_int(text: str, *, low: int, high: int) -> int:
    """A whole number in [low, high] from `text` (`42`, `1e6`); ValueError says why not."""
    stripped = text.strip()
    try:
        value = int(stripped)
    except ValueError:
        number = parse_float(stripped, low=-math.inf, high=math.inf)
        if not number.is_integer():
            raise ValueError(f"{text!r} is not a whole number") from None
        value = int(number)
    if not low <= value <= high:
        raise ValueError(f"must be between {low} and {high} (got {text})")
    return value


def parse_count(text: str) -> int:
    """A count of things: 0 to COUNT_MAX."""
    return parse_int(text, low=0, high=COUNT_MAX)


def parse_port(text: str, *, any_port: bool = False) -> int:
    """A TCP port, 1-65535; with `any_port`, 0 too (the system picks a free one)."""
    return parse_int(text, low=0 if any_port else 1, high=PORT_MAX)


def parse_output_path(text: str) -> str:
    """A file the command will write: `-` (standard output), or a path whose folder exists and
    which is not itself a folder. The one check here that looks at the disk (it reads, never
    writes), so a typo is refused before anything starts rather than after a run."""
    if text == "-":
        return text
    if not text:
        raise ValueError("needs a file name (or - for standard output)")
    if "\0" in text:
        raise ValueError(f"{text!r} contains a NUL character")
    folder = os.path.dirname(text) or "."
    if not os.path.isdir(folder):
        raise ValueError(f"{text}: folder {folder} does not exist")
    if os.path.isdir(text):
        raise ValueError(f"{text} is a folder: name a file in it")
    return text


def flag_type(parse: Callable[[str], _T], name: str) -> Callable[[str], _T]:
    """`parse` as an argparse `type=`: its ValueError becomes argparse's message, which names
    the flag; `name` is what argparse calls the type in other messages."""

    def convert(text: str) -> _T:
        try:
            return parse(text)
        except ValueError as exc:
            raise argparse.ArgumentTypeError(str(exc)) from None

    convert.__name__ = name
    return convert
