"""`fill-config`: a partial config (or one written by spaCy) completed with every default, as training would use it.

Training fills the same defaults (and saves the filled config with the run), so the file written here
is what `nbnlp train` runs; writing it out lets a user see and edit every setting.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Mapping, Optional

from ..config import ConfigError, naming_source, source_file
from ..training.check import check_config


@dataclass
class FilledConfig:
    text: str
    substitutions: list[str]  # spaCy names replaced by nbnlp's, one line each
    notes: list[str]  # settings left for training time (corpus paths)


def fill_config_text(config: Any, overrides: Optional[Mapping[str, Any]] = None) -> FilledConfig:
    """The filled config's text; a config that would not train (other than for unset corpus paths) is a ConfigError."""
    with naming_source(source_file(config)):
        checked = check_config(config, overrides)
        if checked.problems:
            raise ConfigError(checked.problems)
    return FilledConfig(checked.config.to_str(), checked.substitutions, [str(n) for n in checked.notes])


__all__ = ["FilledConfig", "fill_config_text"]
