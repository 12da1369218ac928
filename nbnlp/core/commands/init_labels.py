"""`nbnlp init-labels CONFIG OUT_DIR`: each labelled component's labels from the training corpus, one JSON
file per component (OUT_DIR/NAME.json, as spaCy's `init labels`), read in one pass over the corpus.

`[initialize.components.NAME] labels = {"@readers": "nbnlp.read_labels.v1", "path": "OUT_DIR/NAME.json"}`
then initialises the component from the file, so start-up reads only a small sample instead of the corpus.
"""
from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Mapping, Optional, Union

from ..config import ConfigError, ConfigProblem, load_config, naming_source, source_file
from ..corpus.atomic import atomic_write
from ..language import Language
from ..settings import TrainingSchema
from ..training.blocks import resolve_corpus

ConfigSource = Union[str, Path, Mapping[str, Any]]


def init_labels(config: ConfigSource, out_dir: Union[str, Path], overrides: Optional[Mapping[str, Any]] = None) -> dict[str, Path]:
    """Write OUT_DIR/NAME.json for every component with labels; returns {component name: file written}."""
    with naming_source(source_file(config)):
        raw = load_config(config, overrides, interpolate=False)
        cfg = load_config(raw)
        nlp = Language.from_config(cfg)
        problems: list[ConfigProblem] = []
        settings = TrainingSchema.check(cfg.get("training", {}) or {}, problems)
        reader = resolve_corpus(cfg, raw, settings.train_corpus, problems)
        if problems:
            raise ConfigError(problems)
    labelled = [(name, c) for name, c in nlp.components if hasattr(c, "labels_of")]
    if not labelled:
        raise ValueError(f"no component in the pipeline ({', '.join(nlp.pipe_names)}) has labels")
    found: dict[str, set[str]] = {name: set() for name, _ in labelled}
    for eg in reader(nlp):
        for name, component in labelled:
            found[name].update(component.labels_of(eg))
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    written: dict[str, Path] = {}
    for name, component in labelled:
        labels = [*component.labels, *sorted(found[name] - set(component.labels))]
        if not labels:
            raise ValueError(f"{component.kind} {name!r}: no labels in the training corpus ({settings.train_corpus})")
        path = out / f"{name}.json"
        with atomic_write(path, "w", encoding="utf8") as file:
            file.write(json.dumps(labels, ensure_ascii=False, indent=2) + "\n")
        written[name] = path
    return written
