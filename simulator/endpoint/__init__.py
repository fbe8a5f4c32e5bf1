"""The dev endpoint (`marketo-sim receive`): an aiohttp server on 127.0.0.1 that plays a customer's
consumer, misbehaves on command, and counts what it was sent; and the fault proxy that plays the
same misbehaviour in front of a real consumer.

May import: `simulator.shell` (to start its server), `simulator.core` (its `Behaviour` is
`simulator.core.behaviour`), `simulator.payloads` (signatures it verifies) and `simulator.errors`.
Offers: `receiver` (the public face: import from here), `routing` (the `Receiver` and its
routes), `faults` (refusing, hanging and resetting a request), `flags` and `command` (the
`receive` command line and its run), `received` (what it keeps), `bodies` (the shapes it is
POSTed), `idp` (the mock OAuth identity provider), `verification` (what it checks as an I/O
consumer), `proxy` (the fault proxy).
"""
