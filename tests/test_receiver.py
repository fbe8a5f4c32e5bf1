"""The dev endpoint's public face (simulator.endpoint.receiver): it offers, under one name, the
very objects its modules define."""

from __future__ import annotations

import pytest

from simulator.core import behaviour
from simulator.endpoint import bodies, command, flags, idp, received, receiver, routing

HOMES = (behaviour, bodies, command, flags, idp, received, routing)


@pytest.mark.parametrize("name", receiver.__all__)
def test_the_face_offers_each_name_from_its_home_module(name: str) -> None:
    """Each name the face offers is offered (in `__all__`) by one module behind it, and is that
    module's object itself."""
    [home] = [module for module in HOMES if name in module.__all__]
    assert getattr(receiver, name) is getattr(home, name)
