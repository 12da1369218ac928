"""The `tagger` component: one label per token, fine-grained tags (`token.tag_`) or UPOS (`token.pos_`).

Labels are string ids internally: the model outputs a score per label index, and `set_annotations`
turns the argmax into string ids with one array lookup, so no Python runs per token.
"""
from typing import Any, Callable, Dict, Iterable, List, Optional, Sequence, Tuple

import numpy
from thinc.api import Model
from thinc.types import Floats2d

from ..doc import Doc
from ..example import Example
from ..models.tagger import OUTPUT_LAYER
from ..pipeline.component import TrainableComponent, label_indices
from ..pipeline.factory import factory
from ..pipeline.given_labels import check_given, scan_examples
from ..scorer import score_token_attr

LABEL_ATTRS = {"tag": "TAG", "pos": "POS"}
N_INIT_EXAMPLES = 10

DEFAULT_TAGGER_MODEL: Dict[str, Any] = {
    "@architectures": "nbnlp.Tagger.v1",
    "nO": None,
    "tok2vec": {"@architectures": "nbnlp.Tok2VecListener.v1", "width": 96, "upstream": "*"},
}


class Tagger(TrainableComponent):
    """Predicts one label per token into the TAG (or POS) column."""

    output_layer_ref = OUTPUT_LAYER

    kind = "tagger"

    def __init__(self, nlp: Any, name: str, model: Model, label_attr: str = "tag") -> None:
        super().__init__(nlp, name, model)
        if label_attr not in LABEL_ATTRS:
            raise ValueError(f"tagger {name!r}: label_attr must be 'tag' or 'pos', got {label_attr!r}")
        self.label_attr = label_attr
        self._label_ids = numpy.zeros((0,), dtype=numpy.int32)  # label index -> string id

    # ----- labels -------------------------------------------------------------------------
    @property
    def column(self) -> str:
        return LABEL_ATTRS[self.label_attr]

    @property
    def score_key(self) -> str:
        return f"{self.label_attr}_acc"

    def _set_labels(self, labels: Sequence[str]) -> None:
        super()._set_labels(labels)
        self._label_ids = self.vocab.strings.add_many(self._labels) if self._labels else numpy.zeros((0,), numpy.int32)

    def _ids_in(self, vocab: Any) -> numpy.ndarray:
        """Label index -> string id in `vocab` (docs from another vocab get their own ids)."""
        return self._label_ids if vocab is self.vocab else vocab.strings.add_many(self._labels)

    # ----- inference ----------------------------------------------------------------------
    def predict(self, docs: Sequence[Doc]) -> List[Floats2d]:
        docs = list(docs)
        if not any(len(doc) for doc in docs):
            n = len(self._labels)
            return [self.model.ops.alloc2f(len(doc), n) for doc in docs]
        return self.model.predict(docs)

    def set_annotations(self, docs: Sequence[Doc], scores: List[Floats2d]) -> None:
        lengths = [len(doc) for doc in docs]
        if not sum(lengths) or not self._labels:
            return
        ops = self.model.ops
        # One argmax over the batch, one host transfer, then label index -> string id by indexing.
        best = ops.to_numpy(ops.xp.concatenate(scores).argmax(axis=1))
        column = self.column
        start = 0
        for doc, n in zip(docs, lengths):
            doc.arrays[column][:] = self._ids_in(doc.vocab)[best[start : start + n]]
            start += n

    # ----- training -----------------------------------------------------------------------
    def initialize(self, get_examples: Callable[[], Iterable[Example]], *, nlp: Any = None, labels: Optional[Sequence[str]] = None) -> None:
        """Labels (sorted) from the references, or the given ones (`nbnlp init-labels`), then the model's shapes from a sample."""
        found, sample = scan_examples(get_examples, self.labels_of, labels)
        if labels is not None:
            self._initialize_model(check_given(self, labels, found), sample)
            return
        found.update(self._labels)
        if not found:
            raise ValueError(
                f"tagger {self.name!r}: no {self.label_attr!r} annotation in the training examples; "
                f"check the corpus has {'XPOS' if self.label_attr == 'tag' else 'UPOS'} values"
            )
        self._initialize_model(sorted(found), sample)

    def labels_of(self, eg: Example) -> set[str]:
        """The labels in one example's reference."""
        ref_strings = eg.reference.vocab.strings
        return {ref_strings[int(i)] for i in numpy.unique(eg.reference.arrays[self.column]).tolist() if i}

    def get_loss(self, examples: Sequence[Example], scores: List[Floats2d]) -> Tuple[float, List[Floats2d]]:
        """Categorical cross-entropy per token; tokens without a usable gold label get no gradient."""
        ops = self.model.ops
        gold = numpy.concatenate(
            [self._gold_indices(eg.get_aligned_ids(self.column), eg.predicted.vocab) for eg in examples] or [numpy.zeros(0, numpy.int64)]
        )
        guesses = ops.xp.concatenate(scores) if scores else ops.alloc2f(0, len(self._labels))
        rows = numpy.flatnonzero(gold >= 0)
        n = max(len(rows), 1)
        # d(loss)/d(logits) of softmax + cross-entropy is (probabilities - one-hot gold), averaged over gold tokens.
        d_guesses = guesses.copy()
        unknown = numpy.flatnonzero(gold < 0)
        if len(unknown):
            d_guesses[ops.asarray(unknown)] = 0.0
        loss = 0.0
        if len(rows):
            at_rows, at_gold = ops.asarray(rows), ops.asarray(gold[rows])
            loss = -float(ops.xp.log(ops.xp.maximum(guesses[at_rows, at_gold], 1e-12)).sum()) / n
            d_guesses[at_rows, at_gold] -= 1.0
        d_guesses /= n
        return loss, ops.unflatten(d_guesses, ops.asarray1i([len(s) for s in scores]))

    def _gold_indices(self, truths: numpy.ndarray, vocab: Any) -> numpy.ndarray:
        return label_indices(truths, self._ids_in(vocab))

    def score(self, examples: Sequence[Example], **kwargs: Any) -> Dict[str, Any]:
        return score_token_attr(examples, self.column, name=self.score_key)

    # ----- serialisation ------------------------------------------------------------------
    def get_cfg(self) -> Dict[str, Any]:
        return {**super().get_cfg(), "label_attr": self.label_attr}

    def set_cfg(self, cfg: Dict[str, Any]) -> None:
        self.label_attr = cfg.get("label_attr", self.label_attr)
        super().set_cfg(cfg)


@factory(
    "tagger",
    default_config={"model": DEFAULT_TAGGER_MODEL, "label_attr": "tag"},
    default_score_weights={"tag_acc": 1.0},
)
def make_tagger(nlp: Any, name: str, model: Model, label_attr: str = "tag") -> Tagger:
    """A part-of-speech tagger: label_attr "tag" predicts token.tag_, "pos" predicts token.pos_."""
    return Tagger(nlp, name, model, label_attr=label_attr)


__all__ = ["Tagger", "DEFAULT_TAGGER_MODEL", "make_tagger"]
