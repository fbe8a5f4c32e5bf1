"""Expected schedules shared by the test tiers: the pure machine and the engine over HTTP must
agree to the second, so both assert against the same table."""

from simulator.core.delivery import AttemptKind, State

# An endpoint down from 0 to 20 min, events from t=1 s: the first push at 2 s fails, three
# retries follow at +3, +6 and +9 min, the last one pauses, probes run every 3 min, and the first
# probe after the endpoint is back (21:02) succeeds.
OUTAGE_0_TO_20_MIN = [
    (2.0, AttemptKind.PUSH, State.RETRYING),
    (182.0, AttemptKind.RETRY, State.RETRYING),
    (362.0, AttemptKind.RETRY, State.RETRYING),
    (542.0, AttemptKind.RETRY, State.PAUSED),
    (722.0, AttemptKind.PROBE, State.PAUSED),
    (902.0, AttemptKind.PROBE, State.PAUSED),
    (1082.0, AttemptKind.PROBE, State.PAUSED),
    (1262.0, AttemptKind.PROBE, State.ACTIVE),
]
