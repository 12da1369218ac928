"""A sweep's search space: `KEY=DIST` strings parsed and checked against the config before anything starts.

DIST is one of `choice(v1, v2, ...)`, `uniform(a, b)`, `loguniform(a, b)` or `randint(a, b)` (a and b
included, like Python's `random.randint`); KEY is any `section.key` path of the config, checked the
way `--section.key value` overrides are (a mistyped key gets a "did you mean"), and the ends of each
range (every value of a choice) are checked against the `[training]` settings' types and limits.
Ray is imported only by `Distribution.to_tune`.
"""
from __future__ import annotations

import difflib
import math
import re
from dataclasses import dataclass
from typing import Any, Iterable, Mapping, Sequence, Union

import json

from ..config import ConfigError, ConfigProblem, apply_overrides, is_int, load_config

KINDS = ("choice", "uniform", "loguniform", "randint")
DIST_FORMS = "choice(v1, v2, ...), uniform(a, b), loguniform(a, b) or randint(a, b)"


@dataclass(frozen=True)
class Distribution:
    """Where one setting's values come from: `kind` is one of KINDS, `args` its values (choice) or its two ends."""

    kind: str
    args: tuple[Any, ...]

    def __str__(self) -> str:
        return f"{self.kind}({', '.join(json.dumps(a) for a in self.args)})"

    def to_tune(self) -> Any:
        """The Ray Tune search-space object (`tune.choice`, `tune.uniform`, ...)."""
        from ray import tune

        if self.kind == "choice":
            return tune.choice(list(self.args))
        low, high = self.args
        if self.kind == "uniform":
            return tune.uniform(low, high)
        if self.kind == "loguniform":
            return tune.loguniform(low, high)
        return tune.randint(low, high + 1)  # Tune's upper end is excluded; ours is included

    def extremes(self) -> list[Any]:
        """The values that bound the distribution: every choice, or both ends of a range."""
        return list(self.args)


SpaceSpec = Union[Sequence[str], Mapping[str, Union[str, Distribution, Sequence[Any]]]]


def parse_distribution(text: str, key: str = "") -> Distribution:
    """`"loguniform(1e-4, 1e-2)"` -> Distribution("loguniform", (0.0001, 0.01)); a bad form is a ConfigError at `key`."""
    match = re.fullmatch(r"\s*([A-Za-z_]\w*)\s*\((.*)\)\s*", text, re.S)
    if not match:
        raise ConfigError([ConfigProblem(key, "not a distribution", expected=DIST_FORMS, given=text)])
    kind, inner = match.group(1).lower(), match.group(2)
    if kind not in KINDS:
        close = difflib.get_close_matches(kind, KINDS, n=1)
        hint = f"; did you mean {close[0]}(...)?" if close else ""
        raise ConfigError([ConfigProblem(key, f"unknown distribution {kind!r}{hint}", expected=DIST_FORMS, given=text)])
    args = _parse_args(inner)
    problem = _check_args(kind, args)
    if problem:
        raise ConfigError([ConfigProblem(key, f"{kind}(...) {problem}", given=text)])
    if kind != "choice":
        args = [int(a) for a in args] if kind == "randint" else [float(a) for a in args]
    return Distribution(kind, tuple(args))


def _parse_args(inner: str) -> list[Any]:
    """The comma-separated values: JSON where they parse (numbers, quoted strings, true/false/null, lists), else text
    (or a number JSON does not read, like `.5`)."""
    if not inner.strip():
        return []
    try:
        return list(json.loads(f"[{inner}]"))  # not srsly: its floats can be off in the last digit
    except ValueError:
        return [_value(part.strip()) for part in _split_top_level(inner)]


def _value(text: str) -> Any:
    """One value: JSON where it parses, a number JSON does not read (`.5`, `1.`, `+2`), else the text itself."""
    try:
        return json.loads(text)
    except ValueError:
        pass
    try:
        number = float(text)
    except ValueError:
        return text
    return int(text) if re.fullmatch(r"[+-]?\d+", text) else number


def _split_top_level(text: str) -> list[str]:
    """Split on commas outside brackets and quotes."""
    parts, depth, quote, current = [], 0, "", []
    for char in text:
        if quote:
            quote = "" if char == quote else quote
        elif char in "\"'":
            quote = char
        elif char in "([{":
            depth += 1
        elif char in ")]}":
            depth -= 1
        elif char == "," and depth == 0:
            parts.append("".join(current))
            current = []
            continue
        current.append(char)
    parts.append("".join(current))
    return parts


def _check_args(kind: str, args: list[Any]) -> str | None:
    if kind == "choice":
        return None if args else "needs at least one value"
    if len(args) != 2:
        return f"needs two values, a low and a high end (got {len(args)})"
    numeric = all(isinstance(a, (int, float)) and not isinstance(a, bool) and math.isfinite(a) for a in args)
    if kind == "randint" and not all(is_int(a) or (isinstance(a, float) and a.is_integer()) for a in args):
        return "needs two integers"
    if not numeric:
        return "needs two numbers"
    low, high = args
    if kind == "loguniform" and low <= 0:
        return "needs a low end above 0"
    if not low < high:
        return "needs a low end below the high end"
    return None


def parse_params(items: Iterable[str]) -> dict[str, Distribution]:
    """`["training.dropout=uniform(0.05,0.3)", ...]` (the `--param` values) -> {"training.dropout": Distribution}.

    Every problem is reported at once in one ConfigError."""
    space: dict[str, Distribution] = {}
    problems: list[ConfigProblem] = []
    for item in items:
        key, sep, dist = str(item).partition("=")
        key = key.strip().lstrip("-").replace("-", "_")
        if not sep or not key or not dist.strip():
            problems.append(ConfigProblem(key if sep else "", "a --param is KEY=DIST", expected="section.key=DIST", given=item))
            continue
        if "." not in key:
            problems.append(ConfigProblem(key, "a --param must name a section and a key", expected="section.key=DIST", given=item))
            continue
        if key in space:
            problems.append(ConfigProblem(key, "given twice as a --param"))
            continue
        try:
            space[key] = parse_distribution(dist, key)
        except ConfigError as err:
            problems.extend(err.problems)
    if problems:
        raise ConfigError(problems)
    return space


def as_space(spec: SpaceSpec) -> dict[str, Distribution]:
    """A search space from `--param` strings, or a mapping of key -> DIST string, Distribution, or a list (a choice)."""
    if isinstance(spec, Mapping):
        space: dict[str, Distribution] = {}
        problems: list[ConfigProblem] = []
        for key, value in spec.items():
            try:
                if isinstance(value, Distribution):
                    space[key] = value
                elif isinstance(value, str):
                    space.update(parse_params([f"{key}={value}"]))
                elif isinstance(value, (list, tuple)) and value:
                    space[key] = Distribution("choice", tuple(value))
                else:
                    raise ConfigError([ConfigProblem(key, "not a distribution", expected=f"{DIST_FORMS} or a list of values", given=value)])
            except ConfigError as err:
                problems.extend(err.problems)
        if problems:
            raise ConfigError(problems)
        return space
    if isinstance(spec, str):
        return parse_params([spec])
    return parse_params(spec)


def check_space(config: Any, space: Mapping[str, Distribution], overrides: Mapping[str, Any] | None = None) -> None:
    """Every key names a setting of `config` (a did-you-mean otherwise), none is also an override, and the ends of
    each range are valid `[training]` values. Raises one ConfigError with every problem."""
    from ..training.validate import check_training

    if not space:
        raise ConfigError([ConfigProblem("", "nothing to sweep: give at least one --param KEY=DIST")])
    both = [key for key in space if key in (overrides or {})]
    if both:
        raise ConfigError([ConfigProblem(key, "given both as a --param and as an override; keep one") for key in both])
    apply_overrides(load_config(config, interpolate=False), {key: dist.extremes()[0] for key, dist in space.items()})
    problems: list[ConfigProblem] = []
    for key, dist in space.items():
        if not key.startswith("training."):
            continue
        for value in dist.extremes():
            found: list[ConfigProblem] = []
            check_training(load_config(config, {key: value}), found)
            problems.extend(ConfigProblem(p.loc, f"{p.message} (from --param {key}={dist})", p.expected, p.given) for p in found if p.loc == key)
    if problems:
        raise ConfigError(problems)
