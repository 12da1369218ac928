"""The `textcat` and `textcat_multilabel` components: one score per label per doc, into `doc.cats`.

`textcat` treats the labels as mutually exclusive: softmax scores that sum to 1, trained with
cross-entropy towards the gold class. A reference's `cats` may name only its positive class
(the JSONL reader's `{"label": "spam"}` gives `{"spam": 1.0}`); every label it does not name
counts as 0.0 once `initialize` has collected the label set.

`textcat_multilabel` treats each label as an independent yes/no: sigmoid scores, binary
cross-entropy per label. A label absent from a reference's `cats` is *unknown* for that doc
and gets no gradient (partially annotated data stays usable) unless `absent_as_negative =
true`, which makes it a 0.0. Docs whose reference has no `cats` at all are skipped by both.
"""
from typing import Any, Callable, Dict, Iterable, Optional, Sequence, Tuple

import numpy
from thinc.api import Model
from thinc.types import Floats2d

from ..doc import Doc
from ..example import Example
from ..pipeline.component import TrainableComponent
from ..pipeline.factory import factory
from ..pipeline.given_labels import check_given, scan_examples
from ..scores.textcat import score_cats

N_INIT_EXAMPLES = 10

DEFAULT_TEXTCAT_MODEL: Dict[str, Any] = {
    "@architectures": "nbnlp.TextCatBOW.v1",
    "exclusive_classes": True,
    "ngram_size": 1,
    "length": 262144,
    "attrs": ["LOWER", "SHAPE"],
    "nO": None,
}
DEFAULT_MULTILABEL_MODEL: Dict[str, Any] = {**DEFAULT_TEXTCAT_MODEL, "exclusive_classes": False}

SCORE_WEIGHTS: Dict[str, Optional[float]] = {
    "cats_score": 1.0,
    "cats_micro_p": None,
    "cats_micro_r": None,
    "cats_micro_f": None,
    "cats_macro_p": None,
    "cats_macro_r": None,
    "cats_macro_f": None,
    "cats_macro_auc": None,
    "cats_f_per_type": None,
    "cats_auc_per_type": None,
}


class TextCategorizer(TrainableComponent):
    """Scores each doc for every label; `exclusive` picks softmax + one gold class, or sigmoids."""

    exclusive: bool = True

    def __init__(self, nlp: Any, name: str, model: Model, *, threshold: float = 0.5, absent_as_negative: bool = False) -> None:
        super().__init__(nlp, name, model)
        model_exclusive = model.attrs.get("exclusive_classes")
        if model_exclusive is not None and model_exclusive != self.exclusive:
            wanted = "true" if self.exclusive else "false"
            other = "textcat_multilabel" if self.exclusive else "textcat"
            raise ValueError(
                f"{self.kind} {name!r}: the model has exclusive_classes = {str(model_exclusive).lower()}; set it to "
                f"{wanted} (or use the {other!r} factory)"
            )
        if not 0.0 <= threshold <= 1.0:
            raise ValueError(f"{self.kind} {name!r}: threshold must be between 0 and 1, got {threshold}")
        self.threshold = threshold
        self.absent_as_negative = absent_as_negative or self.exclusive

    @property
    def kind(self) -> str:
        return "textcat" if self.exclusive else "textcat_multilabel"

    # ----- labels -------------------------------------------------------------------------
    def is_initialized(self) -> bool:
        return self.model.get_ref("linear").has_param("W") if self.model.has_ref("linear") else False

    def _set_nO(self) -> None:
        self._set_output_width(self.model, len(self._labels))

    def output_params(self) -> list[tuple[Model, str, int]]:
        """The BOW table's columns and bias, and (ensemble) the pooled network's output rows, one per label."""
        params = [(self.model.get_ref("linear"), "W", 1), (self.model.get_ref("linear"), "b", 0)]
        if self.model.has_ref("cnn_output"):
            layer = self.model.get_ref("cnn_output")
            params += [(layer, "W", 0), (layer, "b", 0)]
        return params

    # ----- inference ----------------------------------------------------------------------
    def predict(self, docs: Sequence[Doc]) -> Floats2d:
        docs = list(docs)
        if not docs:
            return self.model.ops.alloc2f(0, len(self._labels))
        return self.model.predict(docs)

    def set_annotations(self, docs: Sequence[Doc], scores: Floats2d) -> None:
        """Write every label's score into `doc.cats` (other components' labels there are kept)."""
        host = self.model.ops.to_numpy(scores).tolist()  # one transfer for the batch
        for doc, row in zip(docs, host):
            doc.cats.update(zip(self._labels, row))

    # ----- training -----------------------------------------------------------------------
    def initialize(self, get_examples: Callable[[], Iterable[Example]], *, nlp: Any = None, labels: Optional[Sequence[str]] = None) -> None:
        """Labels: those added so far plus every label in the references' cats (sorted), or the given ones
        (`nbnlp init-labels`, in their order); then shapes."""
        found, sample = scan_examples(get_examples, self.labels_of, labels, keep_empty=True)
        if labels is not None:
            labels = check_given(self, labels, found)
        else:
            labels = [*self._labels, *sorted(found - set(self._labels))]  # added ones first, in their order
        if self.exclusive and len(labels) < 2:
            raise ValueError(
                f"textcat {self.name!r}: exclusive classes need at least two labels, found {labels}; give the "
                "docs of every class their label, or use 'textcat_multilabel' for a single yes/no label"
            )
        if not labels:
            raise ValueError(f"{self.kind} {self.name!r}: no labels in the training examples' cats and none added")
        self._initialize_model(labels, sample)

    def labels_of(self, eg: Example) -> set[str]:
        """The categories named in one example's reference."""
        return set(eg.reference.cats)

    def _gold(self, examples: Sequence[Example]) -> Tuple[numpy.ndarray, numpy.ndarray]:
        """(truths, known) as (n_docs, n_labels) host arrays: gold values and which of them count."""
        n = len(self._labels)
        truths = numpy.zeros((len(examples), n), dtype="float32")
        known = numpy.zeros((len(examples), n), dtype=bool)
        for i, eg in enumerate(examples):
            cats = eg.reference.cats
            if not cats:
                continue
            for j, label in enumerate(self._labels):
                value = cats.get(label)
                if value is not None:
                    truths[i, j], known[i, j] = value, True
                elif self.absent_as_negative:
                    known[i, j] = True
        if self.exclusive:
            # A doc counts only with a positive class; soft labels are normalised to a distribution.
            totals = truths.sum(axis=1, keepdims=True)
            known &= totals > 0
            truths = numpy.divide(truths, totals, out=numpy.zeros_like(truths), where=totals > 0)
        return truths, known

    def get_loss(self, examples: Sequence[Example], scores: Floats2d) -> Tuple[float, Floats2d]:
        """Cross-entropy (softmax) or binary cross-entropy per label (sigmoid), averaged over docs.

        The gradient returned is with respect to the logits: probabilities minus truth, zero where
        the truth is unknown (see `nbnlp.core.models.textcat`).
        """
        ops = self.model.ops
        truths_host, known_host = self._gold(examples)
        n_docs = max(int(known_host.any(axis=1).sum()), 1)
        truths, known = ops.asarray2f(truths_host), ops.asarray2f(known_host.astype("float32"))
        d_scores = (scores - truths) * known / n_docs
        p = ops.xp.clip(scores, 1e-7, 1.0 - 1e-7)
        if self.exclusive:
            loss = -(truths * ops.xp.log(p) * known).sum()
        else:
            loss = -((truths * ops.xp.log(p) + (1.0 - truths) * ops.xp.log(1.0 - p)) * known).sum()
        return float(loss) / n_docs, d_scores

    def score(self, examples: Sequence[Example], **kwargs: Any) -> Dict[str, Any]:
        return score_cats(
            examples, self._labels, multi_label=not self.exclusive, threshold=self.threshold,
            absent_as_negative=self.absent_as_negative,
        )


class MultiLabelTextCategorizer(TextCategorizer):
    """Independent labels: sigmoid scores, each thresholded on its own."""

    exclusive = False


@factory(
    "textcat",
    default_config={"model": DEFAULT_TEXTCAT_MODEL, "threshold": 0.5},
    default_score_weights={**SCORE_WEIGHTS, "cats_accuracy": None},
)
def make_textcat(nlp: Any, name: str, model: Model, threshold: float = 0.5) -> TextCategorizer:
    """Mutually exclusive classes (one per doc): `doc.cats` scores sum to 1, the argmax is the class.

    `threshold` is unused in scoring exclusive classes (the argmax decides); it is kept so the
    setting reads the same as in textcat_multilabel.
    """
    return TextCategorizer(nlp, name, model, threshold=threshold)


@factory(
    "textcat_multilabel",
    default_config={"model": DEFAULT_MULTILABEL_MODEL, "threshold": 0.5, "absent_as_negative": False},
    default_score_weights=SCORE_WEIGHTS,
)
def make_textcat_multilabel(
    nlp: Any, name: str, model: Model, threshold: float = 0.5, absent_as_negative: bool = False
) -> MultiLabelTextCategorizer:
    """Independent labels (zero or more per doc): a label applies where its score is >= `threshold`.

    `absent_as_negative`: a label missing from an annotated reference's cats counts as 0.0
    (false: it is unknown there and gets no gradient).
    """
    return MultiLabelTextCategorizer(nlp, name, model, threshold=threshold, absent_as_negative=absent_as_negative)


__all__ = [
    "TextCategorizer", "MultiLabelTextCategorizer", "DEFAULT_TEXTCAT_MODEL", "DEFAULT_MULTILABEL_MODEL",
    "make_textcat", "make_textcat_multilabel",
]
