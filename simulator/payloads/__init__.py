"""What is sent: the catalogs, the seeded world, the event streams, the wire formats, signatures.

Events are made from sequence numbers at send time: a stream maps (sequence, time) to bytes, and
the same seed gives the same bytes. Pure: no clock, no sockets, no asyncio.

May import: `simulator.errors` and third-party encoders (orjson, faker, cryptography).
Offers: `catalog` (activity types, audit actions, notification kinds: records and lookups) over
`catalog_tables` (the reference's rows, as data), `world` (the seeded World) over `pools` (its
record types and the pools every world shares), `draws` (seeded hashing, salts, event ids),
`values` (how each value an event carries is drawn), `events` (Lead Activity), `iostreams` (the
Adobe I/O streams), `formats` (wrappers and envelopes), `signing` (I/O delivery signatures),
`anomalies` and `unknowns` (what a consumer must tolerate).
"""
