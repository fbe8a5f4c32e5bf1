"""Scenarios in time: the director plays a timeline's steps, replay runs a scenario to its end, and
the verdicts judge its expectations from the recording (`simulator.core.recording`). Against a
real consumer, `faulting` puts a fault proxy in front of it for the endpoint steps.

`verdicts` is pure: it reads records, never sockets or clocks.

May import: `simulator.producer` and everything below it.
Offers: `director`, `replay`, `verdicts`, `faulting`, `gate` (the default threshold of a run
without `expect:`, and what an interruption does to the verdicts).
"""
