"""What a worker process needs that it cannot import: the pipeline's files, and functions registered in
notebook cells or in `--code` files.

Ray starts workers as fresh Python processes: the registrations a notebook cell or `--code` made in the
driver do not exist there, and a model built from a config that names them would fail. The driver
therefore collects those registry entries (and component factories) and sends the functions by value;
the worker registers them again before it builds anything.
"""
from __future__ import annotations

import sys
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, Any

import catalogue

from ..pipeline import factory as factory_module
from ..registry import registry

if TYPE_CHECKING:
    from ..language import Language

USER_CODE_PREFIX = "nbnlp_user_code_"  # modules made by `nbnlp.core.util.import_code`


def _defined_by_user(func: Any) -> bool:
    module = getattr(func, "__module__", None) or ""
    return module == "__main__" or module.startswith(USER_CODE_PREFIX)


def user_registrations() -> dict[str, Any]:
    """Registry entries and component factories defined in `__main__` (a notebook) or a `--code` file."""
    entries: list[tuple[str, str, Any]] = []
    for namespace in dir(registry):
        table = getattr(registry, namespace, None)
        if not isinstance(table, catalogue.Registry):
            continue
        for name, func in table.get_all().items():
            if _defined_by_user(func):
                entries.append((namespace, name, func))
    factories = [meta for meta in factory_module._FACTORIES.values() if _defined_by_user(meta.func)]
    for module_name in {getattr(f, "__module__", "") for _, _, f in entries} | {getattr(m.func, "__module__", "") for m in factories}:
        module = sys.modules.get(module_name)
        if module is not None and module_name.startswith(USER_CODE_PREFIX):
            from ray import cloudpickle

            cloudpickle.register_pickle_by_value(module)  # a worker cannot import it by name
    return {"entries": entries, "factories": factories}


def register_again(shipped: dict[str, Any]) -> None:
    """In a worker: register what `user_registrations` collected in the driver."""
    for namespace, name, func in shipped["entries"]:
        getattr(registry, namespace).register(name, func=func)
    for meta in shipped["factories"]:
        factory_module.factory(meta.name, default_config=meta.default_config, default_score_weights=meta.default_score_weights)(meta.func)


def pipeline_files(nlp: "Language") -> dict[str, bytes]:
    """The pipeline's saved files by relative path (sent to workers, which may be on other machines)."""
    with tempfile.TemporaryDirectory(prefix="nbnlp-ship-") as tmp:
        folder = Path(tmp)
        nlp.write_files(folder)
        return {str(p.relative_to(folder)): p.read_bytes() for p in folder.rglob("*") if p.is_file()}


def load_pipeline_files(files: dict[str, bytes]) -> "Language":
    """A pipeline from `pipeline_files` output, in a worker."""
    from ..language import Language

    with tempfile.TemporaryDirectory(prefix="nbnlp-worker-") as tmp:
        folder = Path(tmp)
        for relative, data in files.items():
            path = folder / relative
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(data)
        return Language.from_disk(folder)
