"""`[initialize.tokenizer]` and `[initialize.components.NAME]`: settings passed to the tokenizer's and each
component's `initialize` (as spaCy does), with `@readers` blocks such as `nbnlp.read_labels.v1` resolved.

A key the receiving `initialize` does not take is an error naming it, never silently ignored.
"""
from __future__ import annotations

import difflib
import inspect
from typing import Any, Callable, Mapping

from .config import ConfigError, ConfigProblem
from .pipeline import given_labels  # noqa: F401  (registers nbnlp.read_labels.v1)
from .registry import registry

RESERVED = ("get_examples", "nlp")


def accepted_keys(method: Callable[..., Any]) -> list[str]:
    """The keyword settings `method` takes (not the examples or the pipeline, which nbnlp passes itself)."""
    params = inspect.signature(method).parameters.values()
    return [p.name for p in params if p.kind is p.KEYWORD_ONLY and p.name not in RESERVED]


def initialize_settings(loc: str, section: Any, method: Callable[..., Any]) -> dict[str, Any]:
    """The settings of `section` (at config path `loc`) for `method`, blocks resolved; ConfigError on unknown keys."""
    if section in (None, {}):
        return {}
    if not isinstance(section, Mapping):
        raise ConfigError([ConfigProblem(loc, "wrong type", expected="a section of settings", given=section)])
    accepted = accepted_keys(method)
    problems = []
    for key in section:
        if key not in accepted:
            close = difflib.get_close_matches(str(key), accepted, n=1)
            hint = f"; did you mean '{loc}.{close[0]}'?" if close else ""
            problems.append(ConfigProblem(f"{loc}.{key}", f"unknown setting{hint}", expected=" or ".join(accepted) or "no settings", given=section[key]))
    if problems:
        raise ConfigError(problems)
    return {key: _resolve(value) for key, value in section.items()}


def _resolve(value: Any) -> Any:
    """A registered-function block (`{"@readers": ...}`) called; other values as they are."""
    if isinstance(value, Mapping) and any(str(k).startswith("@") for k in value):
        resolved = registry.resolve({"value": dict(value)})["value"]
        if isinstance(resolved, list) and isinstance(value.get("path"), str):  # resolving copies the list: keep its file
            resolved = given_labels.GivenLabels(resolved)
            resolved.path = value["path"]
        return resolved
    return value


def component_sections(settings: Mapping[str, Any], pipe_names: list[str]) -> Mapping[str, Any]:
    """`[initialize.components]`, checked to name only components in the pipeline."""
    sections = settings.get("components") or {}
    if not isinstance(sections, Mapping):
        raise ConfigError([ConfigProblem("initialize.components", "wrong type", expected="a section per component", given=sections)])
    unknown = [name for name in sections if name not in pipe_names]
    if unknown:
        raise ConfigError([ConfigProblem(f"initialize.components.{name}", "no such component in the pipeline",
                                         expected=" or ".join(pipe_names), given=name) for name in unknown])
    return sections
