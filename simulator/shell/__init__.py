"""The producer's I/O shell: the clock, the HTTP transport, auth, the asyncio engine and its lanes.

Thin on purpose: a lane asks its pure machine (`simulator.core`) what to do, does it over the
network, and tells the machine the outcome. Real time enters the simulator here, in `clock`.

May import: `simulator.core`, `simulator.payloads`, `simulator.errors`, asyncio and aiohttp.
Offers: `clock` (the `Clock` protocol; real, scaled and virtual time), `transit` (the virtual
clock's wait for our own bytes on their way), `transport` (POST with the 20 s timeout, as an
`Outcome`), `faketransport` (a transport that asks a handler function, for tests), `auth` (tokens
and OAuth), `engine` (the push loop, the `Lane` protocol and the legacy lane), `iolane` (the Adobe
I/O lane), `publisher` (the producer-side I/O service), `servers` (loopback start-up, the control
routes' token check), `signals` (SIGINT and SIGTERM for every command), `pipes` (standard output for
pipes: a closed reader, `-` as a file).
"""
