"""Marketo Engage Data Streams producer simulator.

Plays the producer side of Marketo's Lead Activity Data Stream against a consumer's HTTP
endpoint: batches every 2 seconds, a 20-second timeout, 3 retries at 3-minute intervals, the
pause/probe loop and 7-day retention, on a real, scaled or virtual clock.
"""

__version__ = "0.1.0"
