"""`make bench`: speed and memory measured in one run, each figure printed next to its target.

The bench drives the simulator only through what a user or a test reaches: run files, the
`Producer`, `replay`, the `marketo-sim` command in a child process, the payloads' batch encoder and
the HTML renderer, so it measures whatever those do today. Traffic goes to a bare aiohttp sink in
a separate process (`sink`), never to the dev endpoint, which parses every body. It reports and
never fails: a missed target is printed as FAIL and the exit code stays 0. `make test` never runs
it, and no test reads an absolute time: timings live here.

May import: everything of the simulator (this is a face, like the CLI), aiohttp, and the real
clock (it measures wall time: ruff's TID251 is lifted for this room alone).
"""
