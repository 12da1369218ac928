"""Functions registered in this process that a Ray worker cannot import: packed here, registered again there.

A notebook cell that registers an architecture (`@registry.architectures("my.Model.v1")`) or a
`--code` file leaves the function in `__main__` or in a module made up on the spot
(`nbnlp_user_code_*`); a worker process has neither. `pack_registrations()` pickles those registry
entries (and component factories) by value, with their code, and `restore_registrations(blob)`
registers them in the worker before its config is resolved.
"""
from __future__ import annotations

import sys
from typing import Any, Callable, Optional

USER_CODE_PREFIX = "nbnlp_user_code_"  # the modules `nbnlp.core.util.import_code` makes


def is_local(func: Any) -> bool:
    """A function another process cannot import by name: defined in `__main__` (a notebook cell, a script) or in a
    module made up at run time (a `--code` file), or in no module at all."""
    module = getattr(func, "__module__", None)
    if module is None or module == "__main__" or module.startswith(USER_CODE_PREFIX):
        return True
    loaded = sys.modules.get(module)
    return loaded is None or getattr(loaded, "__spec__", None) is None


def local_registrations() -> tuple[list[tuple[tuple[str, ...], Any]], list[Any]]:
    """(catalogue entries whose function is local, component factories whose function is local)."""
    import catalogue

    from ..pipeline.factory import _FACTORIES

    entries = [(key, value) for key, value in catalogue.REGISTRY.copy().items() if callable(value) and is_local(value)]
    factories = [meta for meta in _FACTORIES.values() if is_local(meta.func)]
    factory_keys = {("nbnlp", "factories", meta.name) for meta in factories}
    return [(key, value) for key, value in entries if key not in factory_keys], factories


def pack_registrations() -> Optional[bytes]:
    """The local registrations pickled by value (code included), or None when there are none."""
    entries, factories = local_registrations()
    if not entries and not factories:
        return None
    from ray import cloudpickle

    modules = {getattr(f, "__module__", "") for f in [v for _, v in entries] + [m.func for m in factories]}
    by_value = [sys.modules[m] for m in modules if m.startswith(USER_CODE_PREFIX) and m in sys.modules]
    for module in by_value:  # pickled by reference otherwise, and the worker has no such module
        cloudpickle.register_pickle_by_value(module)
    try:
        return cloudpickle.dumps((entries, factories))
    finally:
        for module in by_value:
            cloudpickle.unregister_pickle_by_value(module)


def restore_registrations(blob: Optional[bytes]) -> None:
    """Register the packed functions in this process (after nbnlp's own, as they were in the process that packed them)."""
    if not blob:
        return
    import pickle

    import catalogue

    from .. import components  # noqa: F401  (the built-in factories first, as in the sending process)
    from ..pipeline.factory import factory

    entries, factories = pickle.loads(blob)
    for key, func in entries:
        catalogue.Registry(tuple(key[:-1])).register(key[-1], func=func)
    for meta in factories:
        register: Callable[[Any], Any] = factory(meta.name, default_config=meta.default_config,
                                                 default_score_weights=meta.default_score_weights)
        register(meta.func)
