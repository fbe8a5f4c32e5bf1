"""Scenarios in time: the director plays a timeline's steps, replay runs a scenario to its end, and
the verdicts judge its expectations from the recording.

`recording` and `verdicts` are pure: they read records, never sockets or clocks.

May import: `simulator.producer` and everything below it.
Offers: `director`, `replay`, `verdicts`, `recording`.
"""
