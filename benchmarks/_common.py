"""What every benchmark script shares: a wall-clock-budgeted training run, gold examples, memory, machine."""
from __future__ import annotations

import os
import platform
import resource
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

import nbnlp
from nbnlp.core.example import Example
from nbnlp.core.training import iter_training


@dataclass
class TimedRun:
    """A training run cut at a wall-clock budget, with the pipeline it saved."""

    nlp: Any
    seconds: float
    steps: int
    epochs: int
    words: int
    history: list[dict] = field(default_factory=list)

    def figures(self) -> dict[str, Any]:
        return {
            "pipeline": self.nlp.pipe_names,
            "train_seconds": round(self.seconds, 1),
            "train_steps": self.steps,
            "train_epochs": self.epochs,
            "train_words": self.words,
            "train_words_per_sec": round(self.words / self.seconds) if self.seconds else 0,
        }


def train_for(
    config: Any,
    seconds: float,
    *,
    keep: str = "model-best",
    describe: Callable[[Any], dict] | None = None,
    until: Callable[[], bool] | None = None,
    save: str | Path | None = None,
) -> TimedRun:
    """Train until `seconds` have passed, `until()` says so (e.g. a competitor's run has ended) or
    training stops, then load `keep` (model-best or model-last).

    Closing the generator ends training as an interrupt does, so both models are written.
    `describe(step_info)` gives the figures logged for each evaluation; `save` keeps the output
    folder (model-best, model-last) there instead of a temporary one.
    """
    history: list[dict] = []
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(save) if save else Path(tmp) / "out"
        start = time.perf_counter()
        last = None
        steps = iter_training(config, out)
        for info in steps:
            last = info
            if info.scores is not None:
                entry = {"step": info.step, "epoch": info.epoch, "seconds": round(info.seconds, 1), "score": info.score}
                entry.update(describe(info) if describe else {})
                history.append(entry)
                shown = "  ".join(f"{k} {v:.4f}" for k, v in entry.items() if isinstance(v, float) and k != "seconds")
                print(f"step {info.step:>6}  epoch {info.epoch:>3}  {info.seconds:7.1f}s  words {info.words:>9}  {shown}", flush=True)
            if time.perf_counter() - start >= seconds or (until is not None and until()):
                break
        steps.close()
        elapsed = time.perf_counter() - start
        nlp = nbnlp.load(out / keep)
    return TimedRun(nlp, elapsed, last.step if last else 0, (last.epoch + 1) if last else 0, last.words if last else 0, history)


def gold_examples(nlp: Any, path: Path) -> list[Example]:
    """Examples whose predicted docs have the corpus' own tokens (gold tokenization)."""
    refs = list(nbnlp.load_docs(path, vocab=nlp.vocab))
    return [Example(nbnlp.Doc.from_orths(nlp.vocab, r.arrays["ORTH"], r.arrays["SPACY"]), r) for r in refs]


def words_per_second(nlp: Any, inputs: list) -> int:
    """Throughput of `nlp.pipe` over texts or pre-tokenized docs."""
    start = time.perf_counter()
    n_words = sum(len(doc) for doc in nlp.pipe(inputs))
    return round(n_words / (time.perf_counter() - start))


def peak_memory_mib() -> float:
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)


def machine() -> str:
    return f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}"
