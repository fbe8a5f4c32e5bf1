"""The dev endpoint's Behaviour and outage Windows (simulator.core.behaviour): their checks."""

from __future__ import annotations

from typing import Any

import pytest

from simulator.core.behaviour import Window
from simulator.errors import ConfigError


@pytest.mark.parametrize(
    "kwargs",
    [
        pytest.param({"start": 10.0, "end": 10.0}, id="empty"),
        pytest.param({"start": -1.0, "end": 10.0}, id="negative"),
        pytest.param({"start": 0.0, "end": 1.0, "mode": "explode"}, id="mode"),
        pytest.param({"start": 0.0, "end": 1.0, "status": 99}, id="status"),
    ],
)
def test_window_rejects_bad_values(kwargs: dict[str, Any]) -> None:
    """A Window needs 0 <= start < end, a known mode and an HTTP status."""
    with pytest.raises(ConfigError):
        Window(**kwargs)
