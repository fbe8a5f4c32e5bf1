"""`run --record-scenario FILE`: the run file as data, with every step applied while the run went
merged into its timeline at the simulated time it was applied, the effective seed, and an end.
`replay FILE` then plays the same pushes, outcomes and state changes on the virtual clock.

The file is loaded as YAML data and dumped again: its content is kept, its comments and
formatting are not (the header says so). Its own steps are written with their absolute time
(`at:`, an `after:` resolved); every time is written as Python's repr of the float, which YAML
reads back to the same float. Secrets stay as the file wrote them (`${VAR}`): nothing revealed is
written. Pure: text in, text out.
"""

from __future__ import annotations

from typing import Any

import yaml

from simulator import __version__
from simulator.errors import ConfigError
from simulator.runfile.scenario import RunSpec
from simulator.runfile.steps import StepSpec


class _Loader(yaml.SafeLoader):
    """YAML's safe loader, with timestamps kept as the text the file wrote (`start:`)."""


_Loader.add_constructor(
    "tag:yaml.org,2002:timestamp",
    lambda loader, node: loader.construct_scalar(node),  # type: ignore[arg-type]
)


def recorded(
    run: RunSpec,
    source: str,
    live: list[tuple[float, StepSpec]],
    *,
    duration: float | None,
    ended_at: float,
    interrupted: str | None = None,
    shard: str | None = None,
) -> str:
    """The scenario of a run of `run` (whose file's text is `source`) in which the `live` steps
    were applied, each at its simulated time; it played until `duration` (None: until stopped,
    at `ended_at`), or was `interrupted` at `ended_at`. `shard` ("I/N"): the run played that
    shard of the file (`--shard`); the recording is still the whole file, which that shard's
    replay plays as the session did."""
    data = yaml.load(source, Loader=_Loader)  # a SafeLoader: plain data only
    if not isinstance(data, dict):
        raise ConfigError(f"{run.file}: changed during the run: it is no run file any more")
    file_steps = data.get("timeline") or []
    if len(file_steps) != len(run.timeline):
        raise ConfigError(f"{run.file}: its timeline changed during the run: not recorded")
    timed: list[tuple[float, int, dict[str, Any]]] = []
    for index, ((at, _), written) in enumerate(zip(run.step_times(), file_steps, strict=True)):
        step = {key: value for key, value in written.items() if key not in ("at", "after")}
        timed.append((at, index, {"at": at, **step}))
    # Stable: at one instant, the file's steps come first, as the director played them.
    offset = len(timed)
    for index, (at, given) in enumerate(live):
        timed.append((at, offset + index, {"at": at, **given.as_data()}))
    timed.sort(key=lambda item: (item[0], item[1]))
    data["seed"] = run.seed
    ended = duration if duration is not None and not interrupted else ended_at
    data["duration"] = ended
    if timed:
        data["timeline"] = [step for _, _, step in timed]
    body = yaml.safe_dump(data, sort_keys=False, allow_unicode=True, width=100)
    return _header(run, len(live), ended, interrupted, shard) + body


def _header(
    run: RunSpec, live: int, ended: float, interrupted: str | None, shard: str | None
) -> str:
    how = f"interrupted by {interrupted}" if interrupted else "played to its end"
    flags = f" --shard {shard}" if shard is not None else ""
    lines = [
        f"Recorded by marketo-sim {__version__} run{flags} --record-scenario from {run.file}",
        f"({how} at {ended!r} simulated seconds): its content, with the {live} step(s) applied",
        "during the run at their simulated time, the run's seed and end. Replay it with",
        f"`marketo-sim replay THIS_FILE{flags}`. The original's comments and layout are not kept.",
    ]
    if shard is not None:
        lines.append(f"The session played shard {shard} of the file only: without --shard, a")
        lines.append("replay plays every subscription, which this session did not.")
    if run.expect:
        lines.append("Its expect: block is the original's: edit it to what this session shows.")
    return "".join(f"# {line}\n" for line in lines)
