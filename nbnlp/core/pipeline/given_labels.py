"""Labels given to a component by `[initialize.components.NAME] labels` (a file written by `nbnlp init-labels`),
so `initialize` reads only a small sample of the corpus for shapes instead of a pass over all of it for labels.

The sample is still checked: a label it has that the given labels lack is an error naming the component, the
label and the file, instead of a model that silently never learns that label.
"""
from __future__ import annotations

from pathlib import Path
from typing import Any, Callable, Iterable, Optional, Sequence

import srsly

from ..doc import Doc
from ..example import Example
from ..registry import registry

N_INIT_EXAMPLES = 10


class GivenLabels(list):
    """A list of labels that remembers the file it came from (for error messages)."""

    path: Optional[str] = None


class MissingLabelError(ValueError):
    """The training data has a label that the component's given labels lack."""


@registry.readers("nbnlp.read_labels.v1")
def read_labels(path: str, require: bool = False) -> Optional[GivenLabels]:
    """The labels in a JSON file written by `nbnlp init-labels`; None for a missing file unless `require`
    (then the component infers its labels from the data, as spaCy's `spacy.read_labels.v1` does)."""
    file = Path(path)
    if not file.exists():
        if require:
            raise ValueError(f"labels file {path} does not exist; write it with nbnlp init-labels CONFIG {file.parent}")
        return None
    data = srsly.read_json(file)
    if not isinstance(data, list) or not all(isinstance(x, str) and x for x in data):
        raise ValueError(f"labels file {path}: expected a JSON list of non-empty strings (as nbnlp init-labels writes)")
    labels = GivenLabels(data)
    labels.path = str(path)
    return labels


def scan_examples(
    get_examples: Callable[[], Iterable[Example]],
    labels_of: Callable[[Example], Iterable[str]],
    given: Optional[Sequence[str]],
    *,
    keep_empty: bool = False,
) -> tuple[set[str], list[Doc]]:
    """The labels in the examples and a sample of predicted docs for shapes. With `given` labels only the
    first N_INIT_EXAMPLES examples are read."""
    found: set[str] = set()
    sample: list[Doc] = []
    for n, eg in enumerate(get_examples(), 1):
        found.update(labels_of(eg))
        if len(sample) < N_INIT_EXAMPLES and (keep_empty or len(eg.predicted)):
            sample.append(eg.predicted)
        if given is not None and n >= N_INIT_EXAMPLES:
            break
    return found, sample


def check_given(component: Any, given: Sequence[str], found: Iterable[str]) -> list[str]:
    """`given` as a list, after checking it has every label `found` in the data; raises MissingLabelError."""
    labels = list(given)
    missing = sorted(set(found) - set(labels))
    if missing:
        where = where_of(component, given)
        names = ", ".join(repr(x) for x in missing)
        raise MissingLabelError(
            f"{component.kind} {component.name!r}: the training data has label{'s' if len(missing) > 1 else ''} {names}, "
            f"missing from the labels in {where} ({len(labels)} labels); run nbnlp init-labels again on this corpus "
            "or add the label to the file"
        )
    if not labels:
        raise ValueError(f"{component.kind} {component.name!r}: the labels in {where_of(component, given)} are empty")
    return labels


def where_of(component: Any, given: Sequence[str]) -> str:
    """The labels' file, or the config setting that gave them."""
    return getattr(given, "path", None) or f"[initialize.components.{component.name}] labels"
