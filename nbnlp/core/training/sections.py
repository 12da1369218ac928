"""Keys of the config sections that have no schema of their own, checked so that nothing is silently ignored.

`[training]` and `[pretraining]` have schemas (`settings.py`), components and registered functions are
checked by their signatures when resolved, and `[nlp]` by `pipeline/creation.py`. What is left is
checked here: `[system]`, the top level of `[initialize]`, and (before anything is initialised, for
`%%nlp_config` and `nbnlp fill-config`) the keys of `[initialize.tokenizer]` and
`[initialize.components.NAME]`, which `Language.initialize` would otherwise reject only at start-up.
"""
from __future__ import annotations

import difflib
from typing import TYPE_CHECKING, Any, Mapping, Sequence

from ..config import ConfigError, ConfigProblem
from ..init_settings import accepted_keys, component_sections
from ..settings import PretrainingSchema

if TYPE_CHECKING:
    from ..language import Language

SYSTEM_KEYS = ("seed", "gpu_id", "gpu_allocator")
INITIALIZE_KEYS = ("vectors", "init_tok2vec", "tokenizer", "components")


def check_section_keys(cfg: Mapping[str, Any], problems: list[ConfigProblem]) -> None:
    """Unknown keys of `[system]` and `[initialize]`, and `[pretraining]` against its schema (when it has settings)."""
    _unknown_keys("system", cfg.get("system"), SYSTEM_KEYS, problems)
    _unknown_keys("initialize", cfg.get("initialize"), INITIALIZE_KEYS, problems)
    pretraining = cfg.get("pretraining")
    if isinstance(pretraining, Mapping) and pretraining:
        PretrainingSchema.check(pretraining, problems)


def _unknown_keys(section: str, values: Any, known: Sequence[str], problems: list[ConfigProblem]) -> None:
    if values is None:
        return
    if not isinstance(values, Mapping):
        problems.append(ConfigProblem(section, "wrong type", expected=f"a [{section}] section", given=values))
        return
    for key in values:
        if key not in known:
            close = difflib.get_close_matches(str(key), known, n=1)
            hint = f"; did you mean '{section}.{close[0]}'?" if close else ""
            problems.append(ConfigProblem(f"{section}.{key}", f"unknown setting{hint}", expected=", ".join(known) or "no settings", given=values[key]))


def check_initialize_keys(cfg: Mapping[str, Any], nlp: "Language", problems: list[ConfigProblem]) -> None:
    """The keys of `[initialize.tokenizer]` and `[initialize.components.NAME]` against what each `initialize` takes
    (what `Language.initialize` checks at start-up, found without initialising anything)."""
    settings = cfg.get("initialize") or {}
    if not isinstance(settings, Mapping):
        return
    targets: list[tuple[str, Any, Any]] = []
    tokenizer_initialize = getattr(nlp.tokenizer, "initialize", None)
    if tokenizer_initialize is not None:
        targets.append(("initialize.tokenizer", settings.get("tokenizer"), tokenizer_initialize))
    try:
        sections = component_sections(settings, nlp.component_names)
    except ConfigError as err:
        problems.extend(err.problems)
        return
    for name, section in sections.items():
        targets.append((f"initialize.components.{name}", section, nlp.get_pipe(name).initialize))
    for loc, section, method in targets:
        if section in (None, {}):
            continue
        if not isinstance(section, Mapping):
            problems.append(ConfigProblem(loc, "wrong type", expected="a section of settings", given=section))
            continue
        _unknown_keys(loc, section, accepted_keys(method), problems)


__all__ = ["INITIALIZE_KEYS", "SYSTEM_KEYS", "check_initialize_keys", "check_section_keys"]
