"""The dev endpoint's public face: everything the rest of the simulator, and a user's code, needs
from it, under one name.

The endpoint itself is in the modules named beside each import below: the `Receiver` and its
routes (`routing`, which leaves refusing, hanging and resetting a request to `faults`), the
`Behaviour` it is told to misbehave by (`simulator.core.behaviour`), the bodies it takes
(`bodies`), what it keeps of them (`received`), its identity provider (`idp`), the I/O Events
checks (`verification`), and `marketo-sim receive`: its flags (`flags`) and `serve`
(`command`). Import from here; the modules behind it may be rearranged.
"""

from __future__ import annotations

from simulator.core.behaviour import (
    CHALLENGE_STYLES,
    OUTAGE_MODES,
    Behaviour,
    Window,
    behaviour_from_json,
    behaviour_to_json,
    describe_behaviour,
)
from simulator.endpoint.bodies import Parsed, event_id, parse_batch, parse_delivery
from simulator.endpoint.command import serve
from simulator.endpoint.flags import add_arguments, parse_outage
from simulator.endpoint.idp import OAuthServer
from simulator.endpoint.received import ReceivedBatch, Stats
from simulator.endpoint.routing import Receiver

__all__ = [
    "CHALLENGE_STYLES",
    "OUTAGE_MODES",
    "Behaviour",
    "OAuthServer",
    "Parsed",
    "ReceivedBatch",
    "Receiver",
    "Stats",
    "Window",
    "add_arguments",
    "behaviour_from_json",
    "behaviour_to_json",
    "describe_behaviour",
    "event_id",
    "parse_batch",
    "parse_delivery",
    "parse_outage",
    "serve",
]
