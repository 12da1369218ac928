"""The `ner` component: named entities as BILUO tags per token, decoded into valid entity spans.

The model scores "O" and B/I/L/U-LABEL for every token independently; `set_annotations` then
picks the best sequence that is valid BILUO (constrained Viterbi over the whole batch), so every
token ends up either "O" or inside exactly one well-formed entity, and writes the result into the
ENT_IOB / ENT_TYPE columns with one array lookup per doc.
"""
from typing import Any, Callable, Dict, Iterable, List, Optional, Sequence, Tuple

import numpy
from thinc.api import Model
from thinc.types import Floats2d

from ..biluo import MISSING
from ..doc import Doc
from ..example import Example
from ..models.ner import OUTPUT_LAYER
from ..pipeline.component import TrainableComponent
from ..pipeline.factory import factory
from ..pipeline.given_labels import check_given, scan_examples
from ..scores.ner import score_ents
from ..viterbi import biluo_constraints, biluo_tag_names, viterbi_decode

N_INIT_EXAMPLES = 10
# ENT_IOB code per BILUO prefix: B and U open an entity (3), I and L continue it (1), O is outside (2).
_IOB_OF_PREFIX = {"O": 2, "B": 3, "I": 1, "L": 1, "U": 3}

DEFAULT_NER_MODEL: Dict[str, Any] = {
    "@architectures": "nbnlp.EntityTagger.v1",
    "hidden_width": 128,
    "window_size": 0,
    "maxout_pieces": 2,
    "nO": None,
    "tok2vec": {"@architectures": "nbnlp.Tok2VecListener.v1", "width": 96, "upstream": "*"},
}


class EntityRecognizer(TrainableComponent):
    """Predicts entity spans into `doc.ents` (every token O or inside one entity)."""

    output_layer_ref = OUTPUT_LAYER

    kind = "ner"

    def __init__(self, nlp: Any, name: str, model: Model, entity_weight: float = 3.0) -> None:
        super().__init__(nlp, name, model)
        if entity_weight <= 0:
            raise ValueError(f"ner {name!r}: entity_weight must be positive, got {entity_weight}")
        self.entity_weight = float(entity_weight)
        self._set_labels([])

    # ----- labels -------------------------------------------------------------------------
    @property
    def tag_names(self) -> List[str]:
        """The model's outputs, in order: "O", then B/I/L/U for each label."""
        return list(self._tag_names)

    def _set_labels(self, labels: Sequence[str]) -> None:
        super()._set_labels(labels)
        self._tag_names = biluo_tag_names(self._labels)
        self._tag_index = {tag: i for i, tag in enumerate(self._tag_names)}
        self._tag_iob = numpy.array([_IOB_OF_PREFIX[t[0]] for t in self._tag_names], dtype=numpy.uint8)
        self._constraints = biluo_constraints(len(self._labels))
        self._own_type_ids: Optional[numpy.ndarray] = None

    def _tag_types(self, vocab: Any) -> numpy.ndarray:
        """ENT_TYPE string id per tag index in `vocab` (0 for "O"); docs from another vocab get their own ids."""
        if vocab is self.vocab and self._own_type_ids is not None:
            return self._own_type_ids
        ids = vocab.strings.add_many(self._labels) if self._labels else numpy.zeros(0, numpy.int32)
        type_ids = numpy.concatenate([[0], numpy.repeat(ids, 4)]).astype(numpy.int32)
        if vocab is self.vocab:
            self._own_type_ids = type_ids
        return type_ids

    def _n_outputs(self) -> int:
        return len(self._tag_names)

    def output_names(self) -> List[str]:
        return list(self._tag_names)

    # ----- inference ----------------------------------------------------------------------
    def predict(self, docs: Sequence[Doc]) -> List[Floats2d]:
        """Per-token tag scores (logits outside training)."""
        docs = list(docs)
        if not any(len(doc) for doc in docs) or not self._labels:
            return [self.model.ops.alloc2f(len(doc), len(self._tag_names)) for doc in docs]
        return self.model.predict(docs)

    def decode(self, scores: List[Floats2d]) -> List[numpy.ndarray]:
        """The best valid BILUO tag indices per doc (host numpy), decoded for the whole batch at once."""
        ops = self.model.ops
        lengths = numpy.array([len(s) for s in scores], dtype=numpy.int32)
        if not len(scores) or not lengths.sum():
            return [numpy.zeros(n, dtype=numpy.int32) for n in lengths.tolist()]
        # `scores` are logits (predict runs outside training): log-softmax only shifts each token's
        # scores by a constant, which leaves the best path unchanged.
        paths = ops.to_numpy(viterbi_decode(ops, ops.pad(list(scores)), lengths, *self._constraints))
        return [paths[i, :n] for i, n in enumerate(lengths.tolist())]

    def set_annotations(self, docs: Sequence[Doc], scores: List[Floats2d]) -> None:
        docs = list(docs)
        for doc, tags in zip(docs, self.decode(scores)):
            doc.arrays["ENT_IOB"][:] = self._tag_iob[tags]
            doc.arrays["ENT_TYPE"][:] = self._tag_types(doc.vocab)[tags]

    # ----- training -----------------------------------------------------------------------
    def initialize(self, get_examples: Callable[[], Iterable[Example]], *, nlp: Any = None, labels: Optional[Sequence[str]] = None) -> None:
        """Labels (sorted) from the references' entities, or the given ones (`nbnlp init-labels`), then shapes from a sample."""
        found, sample = scan_examples(get_examples, self.labels_of, labels)
        if labels is not None:
            self._initialize_model(check_given(self, labels, found), sample)
            return
        found.update(self._labels)
        if not found:
            raise ValueError(
                f"ner {self.name!r}: no entity annotation in the training examples; check the corpus has "
                "entity tags (e.g. an .iob2 file, or 'entities' in JSONL), or add labels with add_label"
            )
        self._initialize_model(sorted(found), sample)

    def labels_of(self, eg: Example) -> set[str]:
        """The entity labels in one example's reference."""
        ref = eg.reference
        in_ent = ref.arrays["ENT_IOB"] % 2 == 1  # I (1) or B (3)
        strings = ref.vocab.strings
        return {strings[int(i)] for i in numpy.unique(ref.arrays["ENT_TYPE"][in_ent]).tolist() if i}

    def gold_indices(self, example: Example) -> numpy.ndarray:
        """Tag index per predicted token; -1 where the annotation is missing or names an unknown label."""
        tags = numpy.asarray(example.get_aligned_ner(), dtype=str)
        if not len(tags):
            return numpy.zeros(0, dtype=numpy.int64)
        unique, inverse = numpy.unique(tags, return_inverse=True)
        index = numpy.array([-1 if t == MISSING else self._tag_index.get(t, -1) for t in unique.tolist()], dtype=numpy.int64)
        return index[inverse.reshape(-1)]

    def get_loss(self, examples: Sequence[Example], scores: List[Floats2d]) -> Tuple[float, List[Floats2d]]:
        """Cross-entropy per token with a known gold tag; "-" (missing) tokens get no gradient.

        Tokens whose gold tag is part of an entity weigh `entity_weight` times an "O" token, which
        counters the ~95% of "O" tokens when data is scarce.
        """
        ops = self.model.ops
        n_tags = len(self._tag_names)
        gold = numpy.concatenate([self.gold_indices(eg) for eg in examples] or [numpy.zeros(0, numpy.int64)])
        guesses = ops.xp.concatenate(scores) if scores else ops.alloc2f(0, n_tags)
        known = gold >= 0
        weights = numpy.where(known, numpy.where(gold > 0, self.entity_weight, 1.0), 0.0).astype("float32")
        total = max(float(weights.sum()), 1e-8)
        rows = numpy.flatnonzero(known)
        # d(loss)/d(logits) of softmax + cross-entropy is (probabilities - one-hot gold), scaled by the token weight.
        d_guesses = guesses.copy()
        loss = 0.0
        if len(rows):
            at_rows, at_gold = ops.asarray(rows), ops.asarray(gold[rows])
            w = ops.asarray(weights[rows])
            loss = -float((ops.xp.log(ops.xp.maximum(guesses[at_rows, at_gold], 1e-12)) * w).sum()) / total
            d_guesses[at_rows, at_gold] -= 1.0
        d_guesses *= ops.asarray(weights / total)[:, None]
        return loss, ops.unflatten(d_guesses, ops.asarray1i([len(s) for s in scores]))

    def score(self, examples: Sequence[Example], **kwargs: Any) -> Dict[str, Any]:
        return score_ents(examples)


@factory(
    "ner",
    default_config={"model": DEFAULT_NER_MODEL, "entity_weight": 3.0},
    default_score_weights={"ents_f": 1.0, "ents_p": 0.0, "ents_r": 0.0, "ents_per_type": None},
)
def make_ner(nlp: Any, name: str, model: Model, entity_weight: float = 3.0) -> EntityRecognizer:
    """A named-entity recognizer: BILUO tags per token, decoded into valid entity spans."""
    return EntityRecognizer(nlp, name, model, entity_weight=entity_weight)


__all__ = ["EntityRecognizer", "DEFAULT_NER_MODEL", "make_ner"]
