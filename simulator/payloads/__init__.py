"""What is sent: the catalogs, the seeded world, the event streams, the wire formats, signatures.

Events are made from sequence numbers at send time: a stream maps (sequence, time) to bytes, and
the same seed gives the same bytes. An event is described once, as draws of `values`; `templates`
compiles that into text encoders, and the dict form of an event is its text parsed. Pure: no
clock, no sockets, no asyncio.

May import: `simulator.errors`, third-party encoders (orjson, cryptography) and Faker (lazily).
Offers: `catalog` (activity types, audit actions, notification kinds: records and lookups) over
`catalog_tables` (the reference's rows, as data), `world` (the seeded World) over `pools` (its
record types and the pools every world shares) and `locales` (the name lists it draws from: `names`,
shipped en_US data, or Faker's lists for another locale), `draws` (seeded hashing, block words,
salts, and own ids: `own_id` maps an event id back to its stream and seq), `values` (how each value
an event carries is drawn), `templates` (activity types compiled to text encoders), `events` (Lead
Activity, `encode_legacy_batch`), `iostreams` (the Adobe I/O streams), `formats` (wrappers and
envelopes), `signing` (I/O delivery signatures), `anomalies` and `unknowns` (what a consumer must
tolerate), `jsonschemas` and `asyncapi` (the published contracts of all that, from the catalog)."""
