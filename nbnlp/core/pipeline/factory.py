"""Component factories: named constructors that `[components.NAME] factory = "..."` refers to.

`@nbnlp.factory("tagger", default_config={...})` registers `make(nlp, name, **settings)`. The
registry entry takes only the settings, so confection resolves and type-checks them exactly as
it does any `@architectures` block; it returns a builder that gets `nlp` and `name` afterwards.
Registering a name again replaces it (safe to re-run in a notebook).
"""
from __future__ import annotations

import inspect
import typing
from dataclasses import dataclass, field
from typing import Any, Callable

from ..registry import registry


@dataclass
class FactoryMeta:
    """What a factory needs besides its function: defaults for its config and its score weights."""

    name: str
    func: Callable[..., Any]
    default_config: dict[str, Any] = field(default_factory=dict)
    default_score_weights: dict[str, float | None] = field(default_factory=dict)


_FACTORIES: dict[str, FactoryMeta] = {}


def factory(
    name: str,
    *,
    default_config: dict[str, Any] | None = None,
    default_score_weights: dict[str, float | None] | None = None,
) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Register a component factory `func(nlp, name, **settings)` under `name`."""

    def register(func: Callable[..., Any]) -> Callable[..., Any]:
        try:  # real types even where the module uses `from __future__ import annotations`
            hints = typing.get_type_hints(func)
        except Exception:
            hints = {}
        params = [p.replace(annotation=hints.get(p.name, p.annotation)) for p in inspect.signature(func).parameters.values()]
        if len(params) < 2 or [p.name for p in params[:2]] != ["nlp", "name"]:
            raise TypeError(f"factory {name!r}: the function must take (nlp, name, ...) first, got {[p.name for p in params]}")

        def settings_only(**settings: Any) -> Callable[[Any, str], Any]:
            return lambda nlp, component_name: func(nlp, component_name, **settings)

        settings_only.__signature__ = inspect.Signature(params[2:])  # type: ignore[attr-defined]
        settings_only.__name__ = getattr(func, "__name__", name)
        settings_only.__doc__ = func.__doc__
        registry.factories.register(name, func=settings_only)
        _FACTORIES[name] = FactoryMeta(name, func, dict(default_config or {}), dict(default_score_weights or {}))
        return func

    return register


def get_factory_meta(name: str) -> FactoryMeta:
    if name not in _FACTORIES:
        _import_builtin_components()
    try:
        return _FACTORIES[name]
    except KeyError:
        import difflib

        close = difflib.get_close_matches(name, list(_FACTORIES), n=1)
        hint = f"; did you mean {close[0]!r}?" if close else ""
        raise ValueError(f"No component factory named {name!r}{hint} Known factories: {', '.join(sorted(_FACTORIES))}") from None


def factory_names() -> list[str]:
    _import_builtin_components()
    return sorted(_FACTORIES)


def _import_builtin_components() -> None:
    from .. import components  # noqa: F401  (registers the built-in factories)
