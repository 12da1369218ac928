"""The `[nlp]` section beyond language and tokenizer: its keys checked, `disabled` names checked, and the
creation callbacks (`before_creation`, `after_creation`, `after_pipeline_creation`) resolved and applied.

As in spaCy, a callback is a block naming a registered function (`@callbacks = "my_callback.v1"`) that
returns the callable to apply: `before_creation` gets the Language class and returns the class to build
(itself or a subclass), the other two get the pipeline (with no components yet / with all of them) and
return it. `Language.from_config` runs them, so training and `nbnlp.load` of a saved pipeline (whose
config keeps them) both do. A wrong return value is a ConfigError naming the setting, not a later crash.
"""
from __future__ import annotations

import difflib
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Callable, Mapping, Optional, Sequence

import catalogue
from confection import ConfigValidationError

from ..config import ConfigError, ConfigProblem, problems_from_validation
from ..registry import registry

if TYPE_CHECKING:
    from ..language import Language

CALLBACK_KEYS = ("before_creation", "after_creation", "after_pipeline_creation")
# Every key `[nlp]` may hold; any other is an error (nothing in a config is silently ignored).
NLP_KEYS = ("lang", "pipeline", "disabled", "batch_size", "tokenizer", *CALLBACK_KEYS)


@dataclass(frozen=True)
class CreationCallbacks:
    """The resolved `[nlp]` callbacks (None where the config sets none)."""

    before_creation: Optional[Callable[[type], type]] = None
    after_creation: Optional[Callable[["Language"], "Language"]] = None
    after_pipeline_creation: Optional[Callable[["Language"], "Language"]] = None


def check_nlp_section(nlp_cfg: Mapping[str, Any]) -> list[ConfigProblem]:
    """Unknown `[nlp]` keys, and `disabled` naming a component that is not in `nlp.pipeline`."""
    problems = []
    for key in nlp_cfg:
        if key not in NLP_KEYS:
            close = difflib.get_close_matches(str(key), NLP_KEYS, n=1)
            hint = f"; did you mean 'nlp.{close[0]}'?" if close else ""
            problems.append(ConfigProblem(f"nlp.{key}", f"unknown setting{hint}", expected=", ".join(NLP_KEYS), given=nlp_cfg[key]))
    disabled = nlp_cfg.get("disabled")
    pipeline = list(nlp_cfg.get("pipeline") or [])
    if disabled is None:
        return problems
    if not isinstance(disabled, (list, tuple)) or not all(isinstance(n, str) for n in disabled):
        problems.append(ConfigProblem("nlp.disabled", "wrong type", expected="a list of component names", given=disabled))
        return problems
    for name in disabled:
        if name not in pipeline:
            problems.append(ConfigProblem("nlp.disabled", f"{name!r} is not in nlp.pipeline",
                                          expected=" or ".join(pipeline) or "a component in nlp.pipeline", given=name))
    return problems


def disabled_names(nlp_cfg: Mapping[str, Any]) -> list[str]:
    """`[nlp] disabled` as a list (checked by `check_nlp_section`)."""
    return list(nlp_cfg.get("disabled") or [])


def resolve_callbacks(nlp_cfg: Mapping[str, Any], *, validate: bool = True) -> CreationCallbacks:
    """Each callback block resolved to the function it returns; problems name `nlp.KEY`."""
    problems: list[ConfigProblem] = []
    found: dict[str, Any] = {}
    for key in CALLBACK_KEYS:
        block = nlp_cfg.get(key)
        if block is None:
            continue
        loc = f"nlp.{key}"
        if not isinstance(block, Mapping) or "@callbacks" not in block:
            problems.append(ConfigProblem(loc, "must be a block naming a registered function", expected=f'[{loc}] with @callbacks = "..." (or null)', given=block))
            continue
        try:
            made = registry.resolve({"cb": dict(block)}, validate=validate)["cb"]
        except ConfigValidationError as err:
            problems.extend(unwrapped(p, loc) for p in problems_from_validation(err))
            continue
        except catalogue.RegistryError:
            names = sorted(registry.callbacks.get_all())
            problems.append(ConfigProblem(f"{loc}.@callbacks", "no such registered callback (register it with @nbnlp.registry.callbacks, or pass --code FILE)",
                                          expected=", ".join(names) or "a registered callback", given=block["@callbacks"]))
            continue
        if not callable(made):
            problems.append(ConfigProblem(loc, "the registered function must return the callback to apply", expected="a callable", given=made))
            continue
        found[key] = made
    if problems:
        raise ConfigError(problems)
    return CreationCallbacks(**found)


def unwrapped(problem: ConfigProblem, loc: str) -> ConfigProblem:
    """A problem confection located under the wrapper key a block was resolved in (`loc.t.x`, `cb.x`), moved to the
    config setting (`loc.x`)."""
    rest = problem.loc.split(".")
    wrapper = len(loc.split(".")) + 1 if problem.loc.startswith(loc + ".") else 1  # parts up to and including the wrapper key
    tail = ".".join(rest[wrapper:])
    return ConfigProblem(f"{loc}.{tail}" if tail else loc, problem.message, problem.expected, problem.given)


def language_class(base: type, callbacks: CreationCallbacks) -> type:
    """The class to instantiate: `base`, or what `before_creation` makes of it (a subclass of `base`)."""
    if callbacks.before_creation is None:
        return base
    made = callbacks.before_creation(base)
    if not (isinstance(made, type) and issubclass(made, base)):
        raise ConfigError([ConfigProblem("nlp.before_creation", "the callback must return the Language class it was given, or a subclass",
                                         expected=f"a subclass of {base.__name__}", given=_shown(made))])
    return made


def after(key: str, callback: Optional[Callable[[Any], Any]], nlp: "Language") -> "Language":
    """`nlp` passed through the `after_creation` / `after_pipeline_creation` callback, checked to still be a pipeline."""
    from ..language import Language  # here: language.py imports this module

    if callback is None:
        return nlp
    made = callback(nlp)
    if not isinstance(made, Language):
        raise ConfigError([ConfigProblem(f"nlp.{key}", "the callback must return the pipeline it was given (or another Language)",
                                         expected="a Language", given=_shown(made))])
    return made


def _shown(value: Any) -> str:
    from ..config import _Raw

    return _Raw(f"{type(value).__name__} {value!r}"[:80])


def set_disabled(nlp: "Language", names: Sequence[str]) -> None:
    """Disable the components `names` (built and saved, not run or trained); a disabled component that an active
    one listens to (a shared tok2vec) is an error at `nlp.disabled`, since the listener would get no input."""
    for name in names:
        nlp.disable_pipe(name)
    problems = []
    for name in names:
        fed = _listening_components(nlp, name)
        if fed:
            problems.append(ConfigProblem("nlp.disabled", f"{name!r} feeds {', '.join(fed)} (their listener layers), which would get no input",
                                          expected=f"{name!r} disabled with them, or their own tok2vec", given=name))
    if problems:
        raise ConfigError(problems)


def _listening_components(nlp: "Language", name: str) -> list[str]:
    """The active components with listener layers fed by component `name`."""
    from ..models.listener import find_listener_layers

    source = nlp.get_pipe(name)
    found = []
    for other, component in nlp.pipeline:
        model = getattr(component, "model", None)
        if model is not None and any(layer.attrs["inbox"].owner == id(source) for layer in find_listener_layers(model)):
            found.append(other)
    return found


__all__ = ["CALLBACK_KEYS", "NLP_KEYS", "CreationCallbacks", "after", "check_nlp_section", "disabled_names", "language_class", "resolve_callbacks", "set_disabled", "unwrapped"]
