"""Training: config -> corpus readers, batchers, the update loop, loggers and checkpoints.

`train(config, output_path)` runs it all with a console table; `iter_training` hands out the
same run step by step (for the notebook view); `train_steps` is the bare loop.
"""
from .batchers import configure_batch_by_sequence, configure_batch_by_words
from .corpus import Corpus, create_corpus
from .loggers import TrainingTable, console_logger, jsonl_logger, multi_logger, step_record
from .loop import (
    StepInfo,
    TrainingSettings,
    averaged_params,
    default_score_weights,
    resolve_score_weights,
    train_steps,
    weighted_score,
)
from .train import TrainResult, TrainingRun, iter_training, prepare_training, train

__all__ = [
    "Corpus", "StepInfo", "TrainResult", "TrainingRun", "TrainingSettings", "TrainingTable",
    "averaged_params", "configure_batch_by_sequence", "configure_batch_by_words", "console_logger",
    "create_corpus", "default_score_weights", "iter_training", "jsonl_logger", "multi_logger",
    "prepare_training", "resolve_score_weights", "step_record", "train", "train_steps", "weighted_score",
]
