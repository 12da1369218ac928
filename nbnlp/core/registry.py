"""`nbnlp.registry`: the function registries that config files refer to with `@name` keys.

Built on thinc's registry, so thinc's optimizers, schedules, layers and losses are available
as-is, with nbnlp's own namespaces added. catalogue replaces an entry registered again under
the same name, so re-running a notebook cell that registers a function is safe.
"""
import catalogue
import thinc.api


class registry(thinc.api.registry):
    """Registries of architectures, factories, readers, batchers, loggers, callbacks and misc functions."""

    architectures = catalogue.create("nbnlp", "architectures", entry_points=True)
    factories = catalogue.create("nbnlp", "factories", entry_points=True)
    readers = catalogue.create("nbnlp", "readers", entry_points=True)
    batchers = catalogue.create("nbnlp", "batchers", entry_points=True)
    loggers = catalogue.create("nbnlp", "loggers", entry_points=True)
    callbacks = catalogue.create("nbnlp", "callbacks", entry_points=True)
    misc = catalogue.create("nbnlp", "misc", entry_points=True)
    tokenizers = catalogue.create("nbnlp", "tokenizers", entry_points=True)
    scorers = catalogue.create("nbnlp", "scorers", entry_points=True)
    augmenters = catalogue.create("nbnlp", "augmenters", entry_points=True)


def registered_names(namespace: str) -> list[str]:
    """Names registered in one namespace (for help texts, dropdowns and "did you mean" hints)."""
    return sorted(getattr(registry, namespace).get_all())


__all__ = ["registry", "registered_names"]
