"""Resolve a config's registered-function blocks and corpus readers, every problem located at its `section.key`.

Shared by training, pretraining, `check_config` and debug-data, which all read blocks the schema in
`settings.py` declares (`[training.batcher]`, `[pretraining.objective]`, ...) and corpora named by
a dotted section (`training.train_corpus = "corpora.train"`).
"""
from __future__ import annotations

import difflib
import re
from typing import Any, Mapping

import catalogue
from confection import ConfigValidationError
from thinc.api import Config

from ..config import ConfigError, ConfigProblem, problems_from_validation
from ..registry import registered_names, registry
from ..settings import SettingsSchema
from .corpus import Corpus


def resolve_block(loc: str, block: Any, namespace: str, problems: list[ConfigProblem]) -> Any:
    """Resolve one `@registry` block; every problem is recorded under `loc` (None is returned then)."""
    if block is None:
        return None
    marker = f"@{namespace}"
    if not isinstance(block, dict) or marker not in block:
        problems.append(ConfigProblem(loc, "must be a block naming a registered function", expected=f"[{loc}] with {marker} = \"...\"", given=block))
        return None
    name = block[marker]
    if not registry.has(namespace, str(name)):
        options = registered_names(namespace)
        close = difflib.get_close_matches(str(name), options, n=1)
        hint = f"; did you mean {close[0]!r}?" if close else ""
        problems.append(ConfigProblem(f"{loc}.{marker}", f"no such function{hint}", expected=", ".join(options), given=name))
        return None
    try:
        return registry.resolve({"block": block})["block"]
    except ConfigValidationError as err:
        for p in problems_from_validation(err):
            problems.append(ConfigProblem(re.sub(r"^block\b", loc, p.loc), p.message, p.expected, p.given))
    except (catalogue.RegistryError, ValueError, TypeError) as err:
        problems.append(ConfigProblem(loc, str(err).strip().splitlines()[0]))
    return None


def resolve_blocks(settings: SettingsSchema, problems: list[ConfigProblem]) -> dict[str, Any]:
    """{key: resolved function} for every block the section's schema declares."""
    section = settings.section
    return {key: resolve_block(f"{section}.{key}", getattr(settings, key), namespace, problems) for key, namespace in settings.blocks().items()}


def resolve_corpus(cfg: Config, raw: Config, dotted: str, problems: list[ConfigProblem]) -> Any:
    """The reader at `dotted` (e.g. corpora.train), with its path checked; problems name the setting to fix."""
    node: Any = cfg
    for part in dotted.split("."):
        node = node.get(part) if isinstance(node, dict) else None
    if not isinstance(node, dict):
        problems.append(ConfigProblem(dotted, "no such section", expected=f"[{dotted}] with @readers = \"nbnlp.Corpus.v1\""))
        return None
    reader = resolve_block(dotted, node, "readers", problems)
    if isinstance(reader, Corpus):
        reader.config_key = _path_setting(raw, dotted)
        try:
            reader.check_path()
        except ConfigError as err:
            problems.extend(err.problems)
    return reader


def _path_setting(raw: Mapping[str, Any], dotted: str) -> str:
    """Where a corpus path is set: the `${paths.x}` variable it refers to, else its own key."""
    node: Any = raw
    for part in dotted.split("."):
        node = node.get(part, {}) if isinstance(node, dict) else {}
    value = node.get("path") if isinstance(node, dict) else None
    match = re.fullmatch(r"\$\{([\w.]+)\}", value) if isinstance(value, str) else None
    return match.group(1) if match else f"{dotted}.path"
