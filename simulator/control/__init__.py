"""Steering a running producer: `run --control-port` (the live page; the control server joins
from branch `control`).

May import: `simulator.timeline`, `simulator.producer` and everything below them.
Offers: `page` (the live page and its server-sent events).
"""
