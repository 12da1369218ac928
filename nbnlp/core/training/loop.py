"""The training loop as a generator: one `StepInfo` per update, with scores on evaluation steps.

Everything that watches training (console table, JSONL log, notebook view, checkpointing in
`train.py`) consumes these StepInfos, so the loop itself prints and saves nothing. Stopping the
consumer early (closing the generator) simply ends training after the current step.
"""
import contextlib
import random
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Callable, Iterable, Iterator, Mapping, Optional, Sequence

from thinc.api import Optimizer

from ..example import Example
from ..pipeline.factory import get_factory_meta
from ..settings import TrainingSchema
from .dropout import dropout_schedule
from .gradients import apply_gradients, sum_gradients, take_gradients
from .run_state import LoopState, set_global_random_states
from .shuffle import shuffled
from .signals import StopSignals

if TYPE_CHECKING:
    from ..language import Language

CorpusReader = Callable[["Language"], Iterable[Example]]


@dataclass
class StepInfo:
    """The state after one update. `scores` and the score fields are set on evaluation steps only."""

    epoch: int  # 0-based, as in spaCy's table
    step: int  # 1-based: the number of updates done so far
    losses: dict[str, float]  # per component, summed since the last evaluation
    words: int  # training words seen so far
    seconds: float  # since training started
    scores: Optional[dict[str, Any]] = None
    score: Optional[float] = None
    is_best: bool = False
    best_score: Optional[float] = None
    best_step: Optional[int] = None
    stop_reason: Optional[str] = None  # "max_steps", "max_epochs" or "patience" on the last step
    learn_rate: Optional[float] = None

    @property
    def is_evaluation(self) -> bool:
        return self.scores is not None


@dataclass
class TrainingSettings:
    """What the loop runs with: the checked `[training]` values and the functions its blocks resolved to."""

    values: TrainingSchema = field(default_factory=TrainingSchema)
    seed: int = 0  # `[training] seed`, else `[system] seed`
    score_weights: dict[str, Optional[float]] = field(default_factory=dict)
    batcher: Callable[[Iterable[Example]], Iterator[list[Example]]] = field(
        default_factory=lambda: resolve_default_block("batcher")
    )
    before_update: Optional[Callable[["Language", dict[str, Any]], None]] = None


def resolve_default_block(key: str) -> Any:
    """The function a `[training]` block resolves to when the config leaves it out."""
    from ..registry import registry

    return registry.resolve({"block": TrainingSchema.default(key)})["block"]


# ----- score weights --------------------------------------------------------------------------
def normalize_weights(weights: Mapping[str, Optional[float]]) -> dict[str, Optional[float]]:
    """Weights scaled to sum to 1; None (shown, not counted) stays None."""
    total = sum(w for w in weights.values() if w is not None)
    return {k: (None if w is None else (w / total if total else 0.0)) for k, w in weights.items()}


def default_score_weights(nlp: "Language") -> dict[str, Optional[float]]:
    """The components' own default weights, each component counting equally, normalised."""
    per_component = []
    components = nlp.config["components"]
    for name in nlp.pipe_names:
        factory = components.get(name, {}).get("factory")
        if not factory:
            continue
        try:
            weights = get_factory_meta(factory).default_score_weights
        except ValueError:
            continue
        if weights:
            per_component.append(normalize_weights(weights))
    n_counted = sum(1 for w in per_component if any(v for v in w.values()))
    combined: dict[str, Optional[float]] = {}
    for weights in per_component:
        for key, value in weights.items():
            if value is None:
                combined.setdefault(key, None)
            else:
                combined[key] = (combined.get(key) or 0.0) + value / max(n_counted, 1)
    return normalize_weights(combined)


def resolve_score_weights(nlp: "Language", given: Optional[Mapping[str, Optional[float]]] = None) -> dict[str, Optional[float]]:
    """The config's `[training.score_weights]` normalised, or the components' defaults when it gives none."""
    return normalize_weights(dict(given)) if given else default_score_weights(nlp)


def weighted_score(scores: Mapping[str, Any], weights: Mapping[str, Optional[float]]) -> float:
    """One number to pick the best model: the weighted mean of the weighted scores that have a value.

    A weight of None only shows a score; a score of None (e.g. nothing annotated to compare) is
    left out and the remaining weights are rescaled.
    """
    missing = [k for k, w in weights.items() if w is not None and k not in scores]
    if missing:
        known = ", ".join(sorted(k for k in scores if k != "speed"))
        raise ValueError(f"training.score_weights names {missing}, which the evaluation does not report; it reports: {known}")
    used = [(float(scores[k]), w) for k, w in weights.items() if w and scores.get(k) is not None]
    total = sum(w for _, w in used)
    return sum(s * w for s, w in used) / total if total else 0.0


# ----- parameter averages ---------------------------------------------------------------------
@contextlib.contextmanager
def averaged_params(nlp: "Language", optimizer: Optional[Optimizer]) -> Iterator[None]:
    """Temporarily give every model the optimizer's averaged weights (Adam `use_averages`).

    Restores the live weights even when the body raises (an interrupt during evaluation).
    """
    averages = getattr(optimizer, "averages", None)
    if not averages:
        yield
        return
    backup = []
    seen: set[int] = set()
    for _, component in nlp.pipeline:
        model = getattr(component, "model", None)
        if model is None:
            continue
        for node in model.walk():
            if node.id in seen:
                continue
            seen.add(node.id)
            for name in node.param_names:
                key = (node.id, name)
                if key in averages and node.has_param(name):
                    backup.append((node, name, node.get_param(name)))
                    node.set_param(name, averages[key])
    try:
        yield
    finally:
        for node, name, value in backup:
            node.set_param(name, value)


# ----- the loop -------------------------------------------------------------------------------
class TrainingLoop:
    """Update `nlp` batch by batch, yielding a StepInfo after every update until a stop condition.

    Evaluates every `eval_frequency` steps and at the last step; stops at `max_steps`, after
    `max_epochs`, or when the score has not improved for `patience` steps (0 disables each).
    `state` is the position after the last finished update, so a checkpoint written at any moment
    (also after an interrupt) resumes exactly: given a saved state, the loop replays the epoch's
    epochs' shuffles and batches, skips the batches of the current epoch already trained on, then
    restores the global random states. This assumes what nbnlp's readers and batchers do: the
    corpus yields the same examples each epoch and the batcher draws no random numbers.
    Updates run inside `signals.protected()`, so a stop signal never leaves one half-applied.
    """

    def __init__(
        self,
        nlp: "Language",
        settings: TrainingSettings,
        optimizer: Optimizer,
        train_corpus: CorpusReader,
        dev_corpus: CorpusReader,
        *,
        state: Optional[LoopState] = None,
        random_states: Optional[dict[str, Any]] = None,
        signals: Optional[StopSignals] = None,
        updater: Optional[Any] = None,
    ) -> None:
        self.nlp, self.settings, self.optimizer = nlp, settings, optimizer
        self.updater = updater  # data-parallel workers (`update(batch, losses)`, `sync()`) instead of this process
        self.train_corpus, self.dev_corpus = train_corpus, dev_corpus
        self.resumed = state is not None
        self.state = state if state is not None else LoopState()
        self._random_states = random_states  # applied once the resume position is reached
        self.signals = signals if signals is not None else StopSignals()
        self._start = 0.0
        self._seconds_before = self.state.seconds
        self._dropout_at = dropout_schedule(settings.values.dropout)  # a rate for each step (a number or a schedule)

    def __iter__(self) -> Iterator[StepInfo]:
        return self._steps()

    def _elapsed(self) -> float:
        return self._seconds_before + time.perf_counter() - self._start

    def _steps(self) -> Iterator[StepInfo]:
        values, state, nlp = self.settings.values, self.state, self.nlp
        rng = random.Random(self.settings.seed)
        dev_examples = list(self.dev_corpus(nlp))
        if not dev_examples:
            raise ValueError("The dev corpus is empty: nothing to evaluate on")
        frozen = set(values.frozen_components)
        updated = [n for n, c in nlp.pipeline if c.is_trainable and n not in frozen]
        self._start = time.perf_counter()
        skip = state.batches_done if self.resumed else 0
        if self.resumed:
            self._replay_earlier_epochs(rng)
        if self.resumed and state.pending_evaluation:
            info = self.step_info(state.last_in_epoch)
            self._evaluate(info, dev_examples)
            yield info
            if info.stop_reason:
                return
        while not values.max_epochs or state.epoch < values.max_epochs:
            n_batches = 0
            for batch, last_in_epoch in _flag_last(self.settings.batcher(self._epoch_examples(rng))):
                n_batches += 1
                if skip:  # resuming: these were trained on before the checkpoint
                    skip -= 1
                    continue
                self._restore_random_states()
                with self.signals.protected():
                    if self.settings.before_update is not None:
                        self.settings.before_update(nlp, {"step": state.step, "epoch": state.epoch})
                    if self.updater is not None:
                        self.updater.update(batch, state.losses, self._dropout_at(state.step))
                    else:
                        _update(nlp, batch, self.settings, self.optimizer, state.losses, updated, self._dropout_at(state.step))
                    state.step += 1
                    state.batches_done = n_batches
                    state.words += sum(len(eg.predicted) for eg in batch)
                    state.last_in_epoch = last_in_epoch
                    state.seconds = self._elapsed()
                info = self.step_info(last_in_epoch)
                if state.step % values.eval_frequency == 0 or info.stop_reason:
                    self._evaluate(info, dev_examples)
                yield info
                if info.stop_reason:
                    return
            if n_batches == 0:
                raise ValueError("The batcher made no batches from the training corpus (every example discarded as oversize?)")
            state.epoch += 1
            state.batches_done = 0
            skip = 0

    def _replay_earlier_epochs(self, rng: random.Random) -> None:
        """Shuffle and batch the epochs before the checkpoint's without training, so the shuffle RNG and the
        batcher (a batch-size schedule continues across epochs) are where they were; cheap next to training."""
        for _ in range(self.state.epoch):
            for _ in self.settings.batcher(self._epoch_examples(rng)):
                pass

    def _epoch_examples(self, rng: random.Random) -> Iterator[Example]:
        """One epoch of the training corpus, streamed through a bounded shuffle buffer (`shuffle_buffer` docs)."""
        count = 0
        corpus = self.train_corpus
        # An augmenter's per-epoch seed comes from the shuffle RNG, so replaying earlier epochs restores it too.
        examples = corpus(self.nlp, seed=rng.getrandbits(63)) if getattr(corpus, "augmenter", None) is not None else corpus(self.nlp)  # type: ignore[call-arg]
        for example in shuffled(examples, rng, self.settings.values.shuffle_buffer):
            count += 1
            yield example
        if count == 0:
            raise ValueError("The training corpus is empty: nothing to train on")

    def _restore_random_states(self) -> None:
        if self._random_states is not None:
            set_global_random_states(self._random_states)
            self._random_states = None

    def step_info(self, last_in_epoch: bool) -> StepInfo:
        """A StepInfo for the state now (no scores)."""
        state, values = self.state, self.settings.values
        info = StepInfo(
            epoch=state.epoch, step=state.step, losses=dict(state.losses), words=state.words, seconds=state.seconds,
            best_score=state.best_score, best_step=state.best_step, learn_rate=_learn_rate(self.optimizer),
        )
        if values.max_steps and state.step >= values.max_steps:
            info.stop_reason = "max_steps"
        elif last_in_epoch and values.max_epochs and state.epoch + 1 >= values.max_epochs:
            info.stop_reason = "max_epochs"
        return info

    def _evaluate(self, info: StepInfo, dev_examples: list[Example]) -> None:
        """Score the dev set with averaged weights; an interrupt here leaves `pending_evaluation` set."""
        state, values = self.state, self.settings.values
        state.pending_evaluation = True
        if self.updater is not None:
            self.updater.sync()  # the workers' weights into this pipeline, and their losses into state.losses
            info.losses = dict(state.losses)
        with averaged_params(self.nlp, self.optimizer):
            info.scores = self.nlp.evaluate(dev_examples)
        info.score = weighted_score(info.scores, self.settings.score_weights)
        if state.best_score is None or info.score > state.best_score:
            state.best_score, state.best_step, info.is_best = info.score, state.step, True
        info.best_score, info.best_step = state.best_score, state.best_step
        state.seconds = info.seconds = self._elapsed()
        if values.patience and state.best_step is not None and state.step - state.best_step >= values.patience:
            info.stop_reason = info.stop_reason or "patience"
        state.losses = {}
        state.pending_evaluation = False
        state.stop_reason = info.stop_reason


def train_steps(
    nlp: "Language",
    settings: TrainingSettings,
    optimizer: Optimizer,
    train_corpus: CorpusReader,
    dev_corpus: CorpusReader,
) -> Iterator[StepInfo]:
    """The bare loop from the start (see `TrainingLoop`)."""
    return iter(TrainingLoop(nlp, settings, optimizer, train_corpus, dev_corpus))


def _update(
    nlp: "Language",
    batch: Sequence[Example],
    settings: TrainingSettings,
    optimizer: Optimizer,
    losses: dict[str, float],
    updated: Sequence[str],
    dropout: float,
) -> None:
    """One optimizer step over `batch` at dropout rate `dropout`; with `accumulate_gradient` N, computed in N sub-batches of nearly equal
    word counts whose gradients are summed (the same split and sum data-parallel workers do)."""
    frozen = list(settings.values.frozen_components)
    n_parts = min(settings.values.accumulate_gradient, len(batch))
    annotating = list(settings.values.annotating_components)
    if n_parts <= 1:
        nlp.update(batch, drop=dropout, sgd=optimizer, losses=losses, exclude=frozen, annotates=annotating)
    else:
        parts = []
        for part in split_by_words(batch, n_parts):
            nlp.update(part, drop=dropout, sgd=False, losses=losses, exclude=frozen, annotates=annotating)  # type: ignore[arg-type]
            parts.append(take_gradients(nlp, updated))
        apply_gradients(nlp, optimizer, sum_gradients(parts))
    optimizer.step_schedules()


def split_by_words(batch: Sequence["Example"], n_parts: int) -> list[Sequence["Example"]]:
    """`batch` in `n_parts` consecutive slices with nearly equal word counts (none empty while examples last)."""
    n_parts = max(1, min(n_parts, len(batch)))
    lengths = [len(eg.predicted) for eg in batch]
    total = sum(lengths)
    parts: list[Sequence["Example"]] = []
    start = 0
    seen = 0
    for i in range(n_parts):
        if i == n_parts - 1:
            parts.append(batch[start:])
            break
        target = total * (i + 1) / n_parts
        end = start + 1  # at least one example per part
        seen += lengths[start]
        remaining_parts = n_parts - i - 1
        while end < len(batch) - remaining_parts and seen + lengths[end] / 2 <= target:
            seen += lengths[end]
            end += 1
        parts.append(batch[start:end])
        start = end
    return parts



def _flag_last(batches: Iterable[list[Example]]) -> Iterator[tuple[list[Example], bool]]:
    """Each batch with whether it is the epoch's last (one batch of lookahead)."""
    iterator = iter(batches)
    previous = next(iterator, None)
    while previous is not None:
        current = next(iterator, None)
        yield previous, current is None
        previous = current


def _learn_rate(optimizer: Optimizer) -> Optional[float]:
    value = getattr(optimizer, "learn_rate", None)
    return float(value) if isinstance(value, (int, float)) else None
