"""A step given while the run goes, as `POST /steps` takes it and `marketo-sim ctl` sends it: one
step of the scenario language as JSON, without `at` or `after` (it happens now), checked by the
file's own model (`StepSpec`) with the file's messages. Pure.
"""

from __future__ import annotations

import orjson
from pydantic import ValidationError

from simulator.runfile.steps import StepSpec
from simulator.runfile.yamlsource import explain, field_path


def parse_live_step(body: bytes) -> StepSpec:
    """One step of the scenario language from a request's JSON body, without at/after (it
    happens now); ValueError says what is wrong, naming the field as a file's error would."""
    try:
        data = orjson.loads(body)
    except orjson.JSONDecodeError as exc:
        raise ValueError(f"the body is not JSON: {exc}") from None
    if not isinstance(data, dict):
        raise ValueError('the body must be one step, a JSON object like {"rotateKeys": true}')
    timed = [key for key in ("at", "after") if key in data]
    if timed:
        raise ValueError(f"{timed[0]}: a step given live happens now: leave out at and after")
    try:
        return StepSpec.model_validate({**data, "at": 0.0}, by_alias=True, by_name=False)
    except ValidationError as exc:
        loc, message = explain(exc.errors()[0], StepSpec)
        where = field_path(loc)
        raise ValueError(f"{where}: {message}" if where else message) from None
