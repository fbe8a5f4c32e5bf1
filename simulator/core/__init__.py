"""The pure core: delivery state machines, the retention queue, traffic and the records they emit.

Everything here is sans-IO, like h11's `Connection`: a function takes `now` and outcomes as
arguments and returns decisions. Nothing here reads a clock, opens a socket, awaits, or prints.

May import: the standard library and `simulator.errors`. Nothing else of the simulator.
Offers: `delivery` (the legacy subscription machine and its ledger), `registration` (the Adobe
I/O registration machine), `queue` (retention as spans of sequence numbers), `traffic` (when
events are produced), `journal` (the I/O journal as spans), `outcome` (what one attempt came to),
`records` (the attempt and state-change records, `Observer` and `Machine`), `tracks` (each
subscription's records folded as they come, in bounded memory), `series` (bounded time series of
attempts and samples), `recording` (what a played scenario leaves for its reports), `timefmt`
(how simulated times read to people), `behaviour` (how the dev endpoint is told to misbehave),
`intervals` (a set of integers held as its runs: exact, in memory proportional to the gaps),
`bounds` (the sane bounds of every number a user gives, and the command line's number parsers).
"""
