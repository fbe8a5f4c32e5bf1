"""The dev endpoint (`marketo-sim receive`): an aiohttp server on 127.0.0.1 that plays a customer's
consumer, misbehaves on command, and counts what it was sent.

May import: `simulator.shell` (to start its server), `simulator.core`, `simulator.payloads`
(signatures it verifies) and `simulator.errors`.
Offers: `receiver` (the server), `misbehaviour` (its `Behaviour` and outage windows), `flags` (the
`receive` command line), `received` (what it keeps), `bodies` (the shapes it is POSTed), `idp`
(the mock OAuth identity provider), `verification` (what it checks as an I/O consumer).
"""
