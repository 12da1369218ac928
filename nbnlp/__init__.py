"""nbnlp: train, evaluate, inspect and ship NLP pipelines from Jupyter notebooks (built on thinc)."""
from __future__ import annotations

from .core import Doc, Span, StringStore, Token, Vocab
from .core.about import __version__
from .core.alignment import Alignment
from .core.example import Example
from .core.corpus.errors import CorpusError, CorpusWarning
from .core.config import ConfigError, load_config
from .core.corpus.loader import load_docs, save_docs
from .core.language import Language, blank, load
from .core.pipeline.factory import factory
from .core.registry import registry
from .core.training import iter_training, train
from .core.distributed import shutdown
from .core.distributed.sweep import sweep


def load_ipython_extension(ipython: object) -> None:
    """`%load_ext nbnlp` registers the notebook magics (IPython is imported only then)."""
    from .magics import load_ipython_extension as register

    register(ipython)


__all__ = [
    "Alignment", "CorpusError", "CorpusWarning", "Doc", "Example", "Span", "StringStore", "Token", "Vocab",
    "load_docs", "save_docs", "__version__", "ConfigError", "load_config", "Language", "blank", "load",
    "factory", "registry", "train", "iter_training",
    "shutdown", "sweep",
]
