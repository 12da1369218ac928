"""`[training] dropout` (and `[pretraining] dropout`) as a number or a thinc schedule: the rate at each step.

A schedule is resolved once. thinc 8.3's registered schedules are generators: the rate at step N is their
N-th value (counting from 0), kept as they are drawn, so a resumed run, which restores the step and draws the
sequence anew, gets exactly the rates an uninterrupted run got. A `Schedule` object or callable is called as
`schedule(step=N)`.
"""
from __future__ import annotations

from typing import Any, Callable, Optional

from ..config import ConfigError, ConfigProblem

DropoutAt = Callable[[int], float]
LOC = "training.dropout"


def dropout_schedule(value: Any, problems: Optional[list[ConfigProblem]] = None, loc: str = LOC) -> DropoutAt:
    """`step -> rate` for a number or a `@schedules` block at config path `loc`; problems are appended (or raised
    when `problems` is None)."""
    if not isinstance(value, dict):
        rate = float(value)
        return lambda step: rate
    from .blocks import resolve_block

    found: list[ConfigProblem] = []
    schedule = resolve_block(loc, value, "schedules", found)
    if schedule is not None and not callable(schedule) and not hasattr(schedule, "__next__"):
        found.append(ConfigProblem(loc, "the block does not make a schedule", expected='a block with @schedules = "..."', given=value))
    if schedule is not None and not found:
        schedule = _by_step(schedule)
        try:
            first = float(schedule(0))
        except Exception as err:  # a user's schedule may fail in any way; say where
            found.append(ConfigProblem(loc, f"the schedule fails at step 0: {err}"))
        else:
            if not 0 <= first < 1:
                found.append(ConfigProblem(loc, "the schedule's rate at step 0 is outside 0 to below 1", expected="a rate from 0 to below 1", given=first))
    if found:
        if problems is None:
            raise ConfigError(found)
        problems.extend(found)
        return lambda step: 0.0
    return lambda step: _checked(float(schedule(step)), step, loc)


def _by_step(schedule: Any) -> Callable[[int], float]:
    """`step -> value` for a generator (its values kept as drawn) or a callable taking `step=`."""
    if not hasattr(schedule, "__next__"):
        return lambda step: schedule(step=step)
    values: list[float] = []

    def at(step: int) -> float:
        while len(values) <= step:
            values.append(float(next(schedule)))
        return values[step]

    return at


def _checked(rate: float, step: int, loc: str = LOC) -> float:
    if not 0 <= rate < 1:
        raise ValueError(f"{loc}: the schedule gives {rate} at step {step}; a dropout rate must be from 0 to below 1")
    return rate
