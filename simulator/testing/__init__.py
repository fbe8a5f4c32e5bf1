"""A producer inside a test's own event loop, for consumers written in Python.

`simulation` is what a test touches: `Simulation` (let time pass, add events, read attempts,
state changes and ledgers, assert with explanations) and `start_producer`. `runner` is the
machinery behind it: it serves the consumer's app on 127.0.0.1, plays the producer and the
timeline in the background, knows when nothing is due any more (`Engine.settled`), and stops
everything without leaving a task behind. `simulator.pytest_plugin` turns `start_producer` into
the `marketo_producer` fixture.

May import: everything of the simulator (this is a face, like the CLI), asyncio, aiohttp,
looptime and, when an ASGI app is served, uvicorn; not pytest, which only the plugin needs.
Offers: `simulation` (Simulation, Factory, start_producer, inject), `runner` (Runner, launch),
`fixture` (the fixture's body), `attempts` (the bounded attempt log), `asgi` (serving ASGI apps
with uvicorn), `scaled` (a scaled clock for `url=`).
"""
