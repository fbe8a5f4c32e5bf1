"""Beyond one process: a run file's subscriptions cut into shards, shard processes on this
machine, and the shards' outputs merged back into one run's.

Subscriptions are independent (each one's stream, slots and ids depend on the seed, its name and
its place in the file, never on the others in the process), so a load shards by subscription and
an existing engine runs the shards: `--workers` here, an Indexed Job or a shell loop elsewhere.

May import: `simulator.timeline`, `simulator.producer` and everything below them.
Offers: `shard` (the partition and the `--shard I/N` flag), `merge` (attempt logs, `--json`
documents and JUnit files of several shards made one), `workers` (N shard processes and their
merged status).
"""
