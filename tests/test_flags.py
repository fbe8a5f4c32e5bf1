"""The flags of `marketo-sim receive` (simulator.endpoint.flags) and what they ask of the dev
endpoint."""

from __future__ import annotations

import argparse
import math

import pytest

from simulator.core.behaviour import Window
from simulator.endpoint.flags import parse_outage


@pytest.mark.parametrize(
    ("text", "window"),
    [
        pytest.param("0:60", Window(start=0.0, end=60.0), id="refuse-default"),
        pytest.param("60:1260:hang", Window(start=60.0, end=1260.0, mode="hang"), id="hang"),
        pytest.param("5:inf:reset", Window(start=5.0, end=math.inf, mode="reset"), id="forever"),
        pytest.param(
            "60:1260:502", Window(start=60.0, end=1260.0, mode="status", status=502), id="status"
        ),
    ],
)
def test_parse_outage(text: str, window: Window) -> None:
    """--outage START:END[:MODE] parses to a Window; a number as MODE is a status."""
    assert parse_outage(text) == window


def test_parse_outage_rejects_garbage() -> None:
    """A malformed --outage is an argparse type error naming the value."""
    with pytest.raises(argparse.ArgumentTypeError, match="'60'"):
        parse_outage("60")
