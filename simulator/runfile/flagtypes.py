"""The command line's flag converters, one set for every command: argparse `type=`s that read a
flag's text with the run file's own parsers and bounds (`simulator.core.bounds`,
`simulator.runfile.fields`), so a flag and a file field refuse the same garbage with the same
words, and argparse answers "argument --flag: message" with exit 2, before anything starts.

`marketo-sim run`, `replay` and `events` (`simulator.cli`), `receive`
(`simulator.endpoint.flags`: ports, seeds, counts; its Behaviour flags are checked by Behaviour),
`contract` (`simulator.contract.command`), `send` (`simulator.send.command`) and `make bench`
(`simulator.bench.main`) take their numbers, durations, ports, URLs and output files from here.

Pure: reading text only (`output_file` asks the disk whether a folder exists).
"""

from __future__ import annotations

import functools
import os
from collections.abc import Callable
from pathlib import Path

from simulator.core.bounds import (
    COUNT_MAX,
    DURATION_MAX,
    SEED_MAX,
    SPEED_MAX,
    SPEED_MIN,
    flag_type,
    parse_float,
    parse_int,
    parse_output_path,
    parse_port,
)
from simulator.errors import MissingSecret
from simulator.runfile.fields import check_url, parse_duration

__all__ = [
    "count",
    "duration",
    "event_count",
    "http_url",
    "int_between",
    "output_file",
    "port",
    "seed",
    "speed",
    "time_limit",
]


def parse_positive_duration(text: str, *, high: float = DURATION_MAX) -> float:
    """A duration (`30s`, `5m`, `90`, `1e3`) above 0 and at most `high` seconds."""
    seconds = parse_duration(text)
    if seconds <= 0:
        raise ValueError(f"must be longer than 0s (got {text})")
    if seconds > high:
        raise ValueError(f"must be at most {high:g}s (got {text})")
    return seconds


def parse_http_url(text: str) -> str:
    """An http(s) URL with a host, as a run file's endpoint is checked (no control characters,
    no credentials, a port in 1-65535); `embedded` is a run file's word, not a URL."""
    if text == "embedded":
        raise ValueError(f"must be an http(s) URL (got {text!r})")
    try:
        return check_url(text)
    except ValueError as exc:
        # The file's message offers `embedded` too, which a flag does not take.
        raise ValueError(str(exc).replace("must be embedded or an", "must be an")) from None


def _output(text: str) -> Path:
    return Path(parse_output_path(text))


def int_between(low: int, high: int, name: str = "int") -> Callable[[str], int]:
    """A whole number in [low, high] (`1e3` too)."""
    return flag_type(functools.partial(parse_int, low=low, high=high), name)


def time_limit(high: float = DURATION_MAX) -> Callable[[str], float]:
    """A duration above 0 and at most `high` seconds."""
    return flag_type(functools.partial(parse_positive_duration, high=high), "duration")


speed = flag_type(functools.partial(parse_float, low=SPEED_MIN, high=SPEED_MAX), "speed")
"""`--speed`: simulated seconds per real second."""
duration = time_limit()
"""A run length or time limit: above 0, at most a year."""
seed = int_between(0, SEED_MAX, "seed")
"""A seed: 0 to 2**63 - 1."""
event_count = int_between(1, COUNT_MAX, "count")
"""Events to make: 1 to COUNT_MAX."""
count = int_between(0, COUNT_MAX, "count")
"""A count of things, 0 included."""
port = flag_type(functools.partial(parse_port, any_port=True), "port")
"""A TCP port to listen on; 0 asks for any free one."""
output_file = flag_type(_output, "file")
"""A file to write: its folder exists, it is no folder; `-` is standard output."""
http_url = flag_type(parse_http_url, "URL")
"""An http(s) URL to send to."""


def secret_from_env(flag: str, name: str | None) -> str | None:
    """The secret a `--...-env NAME` flag names, read from the environment (None without the
    flag); MissingSecret naming the flag and the variable when it is unset or empty. The value
    never reaches a message."""
    if name is None:
        return None
    value = os.environ.get(name, "")
    if not value:
        raise MissingSecret(f"{flag} {name}: the environment variable is not set or is empty")
    return value
