"""`marketo-sim contract`: is a running consumer fit for the real producer? A battery of named
checks, each a small scenario played against the consumer.

May import: `simulator.producer` and everything below it, and `simulator.reports`.
Offers: `command` (the command line and its exit codes), `checks` (the battery), `probe` (how a
check talks to the consumer), `rate` (the sustained-rate check), `processed` (the consumer's own
list of what it processed).
"""
