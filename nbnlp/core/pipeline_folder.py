"""Reading a saved pipeline folder's own files (config.cfg, meta.json, tokenizer.json), each checked.

`Language.from_disk` reads through here so that a folder that is not a pipeline, or a file in it
that is missing, empty, cut short or overwritten, is one error naming that file and what to do
(see `damaged.py`), never a decoder's bare message.
"""
from __future__ import annotations

from pathlib import Path
from typing import Any

from thinc.api import Config

from .config import ConfigError, parse_error_text
from .damaged import RESAVE, DamagedFileError, damaged_if_fails, read_json_file, read_text_checked
from .tokenizer import Tokenizer
from .vocab import Vocab

CONFIG_FILE = "config.cfg"
META_FILE = "meta.json"
TOKENIZER_FILE = "tokenizer.json"
NOT_A_PIPELINE = "Give a folder saved by nlp.to_disk or nbnlp train (e.g. out/model-best), or an installed pipeline package"


def check_pipeline_folder(path: Path) -> None:
    """A clear error when `path` is missing, a file, or a folder that holds no pipeline at all."""
    if not path.exists():
        raise FileNotFoundError(f"{path}: no such pipeline folder")
    if not path.is_dir():
        raise DamagedFileError(path, "is a file, not a pipeline folder", NOT_A_PIPELINE)
    if not (path / CONFIG_FILE).exists():
        if (path / META_FILE).exists() or (path / TOKENIZER_FILE).exists():
            raise DamagedFileError(path / CONFIG_FILE, "the pipeline's config is missing")
        raise DamagedFileError(path, "is not an nbnlp pipeline: no config.cfg in it", NOT_A_PIPELINE)


def read_pipeline_config(path: Path) -> Config:
    """The config saved in the pipeline folder `path` (interpolated), or an error naming config.cfg."""
    file = path / CONFIG_FILE
    what = "the pipeline's config file"
    text = read_text_checked(file, what=what)
    try:
        config = Config().from_str(text)
    except Exception as err:  # confection raises several types for bad syntax and bad ${...} references
        raise DamagedFileError(file, f"{what} is cut short or not a config ({parse_error_text(err)})") from None
    if not isinstance(config.get("nlp"), dict) or "pipeline" not in config["nlp"]:
        raise DamagedFileError(file, f"{what} has no [nlp] section with the pipeline (the file is cut short or not a pipeline's config)")
    missing = [name for name in config["nlp"]["pipeline"] if name not in (config.get("components") or {})]
    if missing:
        raise DamagedFileError(file, f"{what} has no [components.{missing[0]}] section (the file is cut short or was edited)")
    return config


def config_error_in(path: Path, err: ConfigError) -> ConfigError:
    """`err` as raised while building from the saved config of pipeline folder `path`: naming config.cfg."""
    return ConfigError(err.problems, source=str(path / CONFIG_FILE))


def read_meta(path: Path) -> dict[str, Any]:
    return read_json_file(path / META_FILE, what="the pipeline's meta file", expect=dict)


def read_tokenizer(path: Path, vocab: Vocab) -> Tokenizer:
    """The tokenizer saved in the pipeline folder `path`, over `vocab`."""
    file = path / TOKENIZER_FILE
    data = read_json_file(file, what="the pipeline's tokenizer file", expect=dict)
    with damaged_if_fails(file, "the pipeline's tokenizer file does not load"):
        return Tokenizer.from_dict(vocab, data)


def check_component_folder(path: Path, name: str) -> None:
    if not path.is_dir():
        raise DamagedFileError(path, f"the folder of component {name!r} is missing" if not path.exists() else f"is a file, not the folder of component {name!r}", RESAVE)


__all__ = [
    "CONFIG_FILE", "META_FILE", "TOKENIZER_FILE", "check_component_folder", "check_pipeline_folder", "config_error_in",
    "read_meta", "read_pipeline_config", "read_tokenizer",
]
