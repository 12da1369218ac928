"""Parts of a config nbnlp does not read: reported in one line each, so nothing is silently ignored.

spaCy allows free top-level sections (`[paths]`, `[variables]`, ...) whose values other settings
refer to with `${section.key}`; those stay allowed. What nothing uses (a section that is neither
nbnlp's nor referred to, a `[components.NAME]` block that is not in `nlp.pipeline`, a
`[corpora.NAME]` reader no setting names) is harmless but most often a typo or a leftover, so it is
reported as a warning line (with the spaCy substitutions, shown by `nbnlp train`, `fill-config`
and `%%nlp_config`), not refused.
"""
from __future__ import annotations

import re
from typing import Any, Iterator, Mapping

# The sections nbnlp reads; `[paths]` is the conventional home of `${paths.x}` variables, allowed unused.
KNOWN_SECTIONS = frozenset({"paths", "system", "nlp", "components", "corpora", "training", "pretraining", "initialize"})

_REFERENCE = re.compile(r"\$\{([^}]+)\}")


def unused_parts(config: Mapping[str, Any]) -> list[str]:
    """One warning line per part of `config` (not interpolated: `${...}` kept) that nbnlp would ignore."""
    refs = set(_references(config))
    lines = []
    for section in config:
        if section not in KNOWN_SECTIONS and not _referred(section, refs):
            lines.append(f"Warning: [{section}] is not an nbnlp section and no setting refers to it: it is ignored")
    nlp = config.get("nlp") if isinstance(config.get("nlp"), Mapping) else {}
    pipeline = nlp.get("pipeline") if isinstance(nlp.get("pipeline"), list) else []
    for name in _children(config.get("components")):
        if name not in pipeline and not _referred(f"components.{name}", refs):
            lines.append(f"Warning: [components.{name}] is not in nlp.pipeline and no setting refers to it: it is not built")
    used = _used_corpora(config)
    for name in _children(config.get("corpora")):
        if f"corpora.{name}" not in used and not _referred(f"corpora.{name}", refs):
            lines.append(f"Warning: [corpora.{name}] is named by no setting (training.train_corpus, training.dev_corpus, "
                         "pretraining.corpus): it is not read")
    for section in ("components", "corpora"):
        values = config.get(section)
        for key in (k for k, v in values.items() if not isinstance(v, Mapping)) if isinstance(values, Mapping) else ():
            if not _referred(f"{section}.{key}", refs):
                lines.append(f"Warning: {section}.{key} is a setting, not a [{section}.NAME] block, and no setting refers to it: it is ignored")
    return lines


def _children(section: Any) -> list[str]:
    return [str(k) for k, v in section.items() if isinstance(v, Mapping)] if isinstance(section, Mapping) else []


def _used_corpora(config: Mapping[str, Any]) -> set[str]:
    training = config.get("training") if isinstance(config.get("training"), Mapping) else {}
    used = {str(training.get("train_corpus") or "corpora.train"), str(training.get("dev_corpus") or "corpora.dev")}
    pretraining = config.get("pretraining")
    if isinstance(pretraining, Mapping) and pretraining:
        used.add(str(pretraining.get("corpus") or "corpora.pretrain"))
    return used


def _references(node: Any) -> Iterator[str]:
    """Every `${section.key}` a value of `node` refers to."""
    if isinstance(node, Mapping):
        for value in node.values():
            yield from _references(value)
    elif isinstance(node, (list, tuple)):
        for value in node:
            yield from _references(value)
    elif isinstance(node, str):
        yield from (ref.strip() for ref in _REFERENCE.findall(node))


def _referred(dotted: str, refs: set[str]) -> bool:
    return any(ref == dotted or ref.startswith(dotted + ".") for ref in refs)


__all__ = ["KNOWN_SECTIONS", "unused_parts"]
