"""Reading a saved pipeline folder's own files (config.cfg, meta.json, tokenizer.json), each checked.

`Language.from_disk` reads through here so that a folder that is not a pipeline, or a file in it
that is missing, empty, cut short or overwritten, is one error naming that file and what to do
(see `damaged.py`), never a decoder's bare message.
"""
from __future__ import annotations

import platform
from pathlib import Path
from typing import TYPE_CHECKING, Any

import thinc
from thinc.api import Config

from .config import ConfigError, parse_error_text
from .installed import spacy_refusal, spacy_version_of
from .damaged import RESAVE, DamagedFileError, damaged_if_fails, read_json_file, read_text_checked
from .tokenizer import Tokenizer
from .vectors import Vectors, has_vectors_dir
from .vocab import Vocab

if TYPE_CHECKING:
    from .language import Language

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


def read_pipeline(cls: "type[Language]", path: Path) -> "Language":
    """`Language.from_disk`: the pipeline its config builds, then its meta, tokenizer, vectors and each component's
    files, every one checked."""
    check_pipeline_folder(path)
    version = spacy_version_of(path)
    if version is not None:
        raise DamagedFileError(path, spacy_refusal("", version).strip(), "")  # "PATH: is a pipeline trained by spaCy..."
    config = read_pipeline_config(path)
    try:
        nlp = cls.from_config(config)
    except ConfigError as err:
        raise config_error_in(path, err) from None
    nlp.meta = read_meta(path)
    nlp.tokenizer = read_tokenizer(path, nlp.vocab)
    if has_vectors_dir(path) or nlp.meta.get("vectors"):
        nlp.vocab.vectors = Vectors.from_disk(path / "vectors")
    for name, component in nlp.components:
        check_component_folder(path / name, name)
        component.from_disk(path / name)
    nlp._link_listeners()
    return nlp


def meta_for_disk(nlp: "Language") -> dict[str, Any]:
    """meta.json: the user's meta plus what reproducing and checking the pipeline needs (versions, labels, seed)."""
    from .about import __version__

    meta = dict(nlp.meta)
    meta.update(
        {
            "lang": nlp.lang,
            "pipeline": nlp.component_names,
            "nbnlp_version": __version__,
            "thinc_version": thinc.__version__,
            "python_version": platform.python_version(),
            "labels": {name: list(getattr(c, "labels", ())) for name, c in nlp.components if hasattr(c, "labels")},
        }
    )
    meta.setdefault("seed", nlp._config.get("system", {}).get("seed"))
    if nlp.disabled:
        meta["disabled"] = nlp.disabled
    else:
        meta.pop("disabled", None)
    if nlp.vocab.vectors:
        meta["vectors"] = nlp.vocab.vectors.info()
    else:
        meta.pop("vectors", None)
    return meta
