"""IPython magics (`%load_ext nbnlp`): parse the line, call one function of `nbnlp.core`, display a view.

Every user mistake (a bad config, a missing file, an unknown variable, a bad argument) becomes an
IPython `UsageError` (`magic_errors.user_errors`), which the notebook shows as one short red
message instead of a traceback; nothing here calls `sys.exit`. Arguments come from the tables the
CLI uses too (`nbnlp.arguments`), so `%nlp_train?` and `nbnlp train --help` agree. One module per
group of magics: `training`, `evaluation`, `toolbox`, `sweep`, `runs`.
"""
from __future__ import annotations

from typing import Any

from .evaluation import EvaluationMagics
from .runs import RunsMagics
from .sweep import SweepMagics
from .toolbox import ToolboxMagics
from .training import TrainingMagics

MAGIC_CLASSES = (TrainingMagics, EvaluationMagics, ToolboxMagics, SweepMagics, RunsMagics)


def load_ipython_extension(ipython: Any) -> None:
    """`%load_ext nbnlp`: register the magics (loading again simply re-registers them)."""
    ipython.register_magics(*MAGIC_CLASSES)
