"""`marketo-sim contract`: is a running consumer fit for the real producer? A battery of named
checks, each a small scenario played against the consumer.

May import: `simulator.producer` and everything below it, and `simulator.reports`.
Offers: `command` (the command line, its exit codes and what it writes), `runner` (one run of
the selected checks), `checks` (the battery), `findings` (how a check ends and how its evidence
reads), `probe` (how a check talks to the consumer), `rate` (the sustained-rate check's pacing),
`processed` (the consumer's own list of what it processed).
"""
