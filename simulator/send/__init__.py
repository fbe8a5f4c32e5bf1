"""`marketo-sim send`: one delivery to a consumer, built, authenticated and signed as the producer
builds it, and the consumer's answer.

May import: `simulator.contract` (its probe builds deliveries as the producer does, with the
producer's encoders, headers and signatures; its key host serves the public keys),
`simulator.producer` and everything below it.
Offers: `command` (the command line: flags, the delivery, what is printed, the exit code).
"""
