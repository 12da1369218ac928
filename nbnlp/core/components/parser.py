"""The `parser` component: dependency heads and labels (`token.head`, `token.dep_`) and the
sentences of running text (`doc.sents`).

What is parsed as one unit: where a doc already has sentence starts (from the reader, a sentence
segmenter, or an earlier parse), each sentence is a unit and keeps its boundaries; in a doc
without them (raw text) the model's sentence view predicts them first, so a document is parsed
sentence by sentence at a cost per word that does not grow with its length. Every sentence comes
out as a single tree: heads that are not a well-formed tree are decoded again by `decoder`:
"eisner" (projective) or "mst" (Chu-Liu-Edmonds, non-projective). Sentences longer than
`max_length` tokens are cut into chunks of at most that length (one tree each), which bounds the
n x n score memory. Training teaches the sentence view from the reference's sentence starts, so
it needs multi-sentence documents (`nbnlp.Corpus.v1`'s `n_sents`); arcs are trained within the
reference sentences. With `nbnlp.BiaffineParser.v1` (no sentence view) a raw doc is one unit
whose trees define its sentences. Gold trees train as they are: the biaffine scorer does not need
projective trees, so no pseudo-projective labels are used.
"""
import warnings
from typing import Any, Callable, Dict, Iterable, List, Optional, Sequence, Tuple

import numpy
from thinc.api import Model

from ..decode import DECODERS
from ..doc import Doc
from ..example import Example
from ..models.parser import ParserGradients, ParserInput, ParserScores
from ..pipeline.component import TrainableComponent, label_indices
from ..pipeline.factory import factory
from ..pipeline.given_labels import check_given, scan_examples
from ..scores.parser import score_parse

N_INIT_EXAMPLES = 10


class SingleSentenceTrainingWarning(UserWarning):
    """The parser's training data has no multi-sentence document to learn sentence boundaries from."""

DEFAULT_PARSER_MODEL: Dict[str, Any] = {
    "@architectures": "nbnlp.BiaffineParser.v2",
    "arc_width": 128,
    "label_width": 128,
    "depth": 2,
    "window_size": 2,
    "sent_width": 64,
    "nO": None,
    "tok2vec": {"@architectures": "nbnlp.Tok2VecListener.v1", "width": 96, "upstream": "*"},
}


class DependencyParser(TrainableComponent):
    """Predicts a head and a dependency label per token with a biaffine graph-based model."""

    kind = "parser"

    def __init__(
        self,
        nlp: Any,
        name: str,
        model: Model,
        max_length: int = 200,
        decoder: str = "eisner",
        sent_threshold: float = 0.5,
        sent_loss_weight: float = 3.0,
    ) -> None:
        super().__init__(nlp, name, model)
        if decoder not in DECODERS:
            raise ValueError(f"parser {name!r}: decoder must be one of {', '.join(DECODERS)}, got {decoder!r}")
        if max_length < 2:
            raise ValueError(f"parser {name!r}: max_length must be at least 2, got {max_length}")
        if not 0.0 < sent_threshold < 1.0:
            raise ValueError(f"parser {name!r}: sent_threshold must lie strictly between 0 and 1, got {sent_threshold}")
        self.max_length = max_length
        if sent_loss_weight < 0:
            raise ValueError(f"parser {name!r}: sent_loss_weight must be at least 0, got {sent_loss_weight}")
        self.sent_threshold = sent_threshold
        self.sent_loss_weight = sent_loss_weight
        self.decoder = decoder
        self.root_label: Optional[str] = None
        self._ids_cache: Optional[Tuple[Any, numpy.ndarray]] = None

    # ----- labels -------------------------------------------------------------------------
    def is_initialized(self) -> bool:
        return self.model.has_param("lab_b")

    def _set_labels(self, labels: Sequence[str]) -> None:
        super()._set_labels(sorted(labels))

    def _label_ids(self, vocab: Any) -> numpy.ndarray:
        """Label index -> string id in `vocab` (cached for the pipeline's own vocab)."""
        if vocab is not self.vocab:
            return vocab.strings.add_many(self._labels) if self._labels else numpy.zeros(0, numpy.int32)
        if self._ids_cache is None or self._ids_cache[0] != tuple(self._labels):
            ids = vocab.strings.add_many(self._labels) if self._labels else numpy.zeros(0, numpy.int32)
            self._ids_cache = (tuple(self._labels), ids)
        return self._ids_cache[1]

    def _set_nO(self) -> None:
        n = len(self._labels)
        if self.model.has_param("lab_b") and self.model.get_dim("nO") != n:
            raise ValueError(f"parser {self.name!r}: the model has {self.model.get_dim('nO')} labels but {n} are set")
        self.model.set_dim("nO", n, force=True)

    def output_params(self) -> List[Tuple[Model, str, int]]:
        """The label scorer's weights: one column (V, W) or entry (b) per label."""
        return [(self.model, "lab_V", 1), (self.model, "lab_W", 1), (self.model, "lab_b", 0)]

    # ----- units ---------------------------------------------------------------------------
    def _input(
        self, docs: Sequence[Doc], gold_heads: Optional[numpy.ndarray] = None, gold_starts: Optional[numpy.ndarray] = None
    ) -> ParserInput:
        """The model's input: each doc's own sentence starts where it has them, else `gold_starts`
        (flat, training) where given, else none (the model predicts them)."""
        if gold_starts is not None:
            given = numpy.ones(len(docs), dtype=bool)
            starts = gold_starts == 1
        else:
            given, starts = _given_sentences(docs)
        return ParserInput(list(docs), starts, given, gold_heads, self.decoder, self.max_length, self.sent_threshold)

    # ----- inference ----------------------------------------------------------------------
    def predict(self, docs: Sequence[Doc]) -> Optional[ParserScores]:
        docs = list(docs)
        if not any(len(doc) for doc in docs):
            return None
        return self.model.predict(self._input(docs))

    def set_annotations(self, docs: Sequence[Doc], scores: Optional[ParserScores]) -> None:
        if scores is None or not self._labels:
            return
        ops = self.model.ops
        heads = scores.heads
        is_root = heads == numpy.arange(len(heads))
        labels = scores.labels
        if self.root_label in self._labels:
            # The root label goes to roots and only to roots.
            root_k = self._labels.index(self.root_label)
            best_other = labels.copy()
            best_other[:, root_k] = -numpy.inf
            best = ops.to_numpy(best_other.argmax(axis=1))
            best[is_root] = root_k
        else:
            best = ops.to_numpy(labels.argmax(axis=1))
        sent_starts, free = _unit_sentences(scores.units, scores.single_root, len(heads))
        label_ids = self._label_ids(docs[0].vocab) if docs else None
        start = 0
        for doc, known in zip(docs, scores.given.tolist()):  # given sentences are kept as they are
            n = len(doc)
            if n:
                doc.arrays["HEAD"][:] = heads[start : start + n] - start
                ids = label_ids if doc.vocab is docs[0].vocab else self._label_ids(doc.vocab)
                doc.arrays["DEP"][:] = ids[best[start : start + n]]
                if not known and free[start : start + n].any():
                    doc._set_sent_starts_from_heads()  # a unit of several trees: its trees are its sentences
                elif not known:
                    doc.arrays["SENT_START"][:] = sent_starts[start : start + n]
            start += n

    # ----- training -----------------------------------------------------------------------
    def initialize(self, get_examples: Callable[[], Iterable[Example]], *, nlp: Any = None, labels: Optional[Sequence[str]] = None) -> None:
        """Labels (sorted) and the root label from the references, or the labels given (`nbnlp init-labels`;
        the root label then from a sample), then shapes from a sample."""
        root_counts: Dict[str, int] = {}
        multi = [False]

        def labels_of(eg: Example) -> set[str]:
            ref = eg.reference
            multi[0] = multi[0] or bool((ref.arrays["SENT_START"][1:] == 1).any())
            heads = ref.arrays["HEAD"]
            has = (heads >= 0) & (ref.arrays["DEP"] != 0)
            strings = ref.vocab.strings
            roots = has & (heads == numpy.arange(len(heads)))
            for i in ref.arrays["DEP"][roots].tolist():
                root_counts[strings[int(i)]] = root_counts.get(strings[int(i)], 0) + 1
            return {strings[int(i)] for i in numpy.unique(ref.arrays["DEP"][has]).tolist()}

        found, sample = scan_examples(get_examples, labels_of, labels)
        if labels is not None:
            found = set(check_given(self, labels, found))
        found.update(self._labels)
        if not found:
            raise ValueError(
                f"parser {self.name!r}: no dependency annotation (HEAD and DEPREL) in the training examples"
            )
        self.root_label = max(root_counts, key=root_counts.get) if root_counts else None
        if self.root_label is None and labels is not None:
            self.root_label = next((x for x in ("ROOT", "root") if x in found), None)
        if not multi[0] and labels is None and self.model.get_dim("sent"):
            warnings.warn(
                f"parser {self.name!r}: no training document has more than one sentence, so the parser will not "
                "learn where sentences end and will never split a raw text; group sentences into documents "
                "([corpora.train] n_sents = 10)",
                SingleSentenceTrainingWarning,
                stacklevel=2,
            )
        self._initialize_model(found, sample)

    def labels_of(self, eg: Example) -> set[str]:
        """The dependency labels in one example's reference."""
        ref = eg.reference
        has = (ref.arrays["HEAD"] >= 0) & (ref.arrays["DEP"] != 0)
        return {ref.vocab.strings[int(i)] for i in numpy.unique(ref.arrays["DEP"][has]).tolist()}

    def _gold(self, examples: Sequence[Example]) -> Tuple[numpy.ndarray, numpy.ndarray, numpy.ndarray]:
        """Flat gold heads and label indices over the batch's predicted tokens (-1 = unknown), and
        sentence starts (1 start, -1 not, 0 unknown).

        Only tokens aligned one-to-one whose gold head also aligns one-to-one get a head.
        """
        all_heads, all_labels, all_starts = [], [], []
        offset = 0
        for eg in examples:
            x, y = eg.predicted, eg.reference
            align = eg.alignment
            x2y, y2x = align.x2y_one_to_one, align.y2x_one_to_one
            y_heads = y.arrays["HEAD"].astype(numpy.int64)
            heads = numpy.full(len(x), -1, dtype=numpy.int64)
            ok = x2y >= 0
            g = numpy.where(ok, y_heads[numpy.maximum(x2y, 0)], -1)
            heads[ok] = numpy.where(g[ok] >= 0, y2x[numpy.maximum(g[ok], 0)], -1)
            labels = numpy.full(len(x), -1, dtype=numpy.int64)
            has = heads >= 0
            dep_ids = y.arrays["DEP"][x2y[has]]
            labels[has] = self._label_index(dep_ids, y.vocab)
            all_heads.append(numpy.where(has, heads + offset, -1))
            all_labels.append(labels)
            all_starts.append(eg.aligned_sent_start_codes())
            offset += len(x)
        return numpy.concatenate(all_heads), numpy.concatenate(all_labels), numpy.concatenate(all_starts)

    def _label_index(self, ids: numpy.ndarray, vocab: Any) -> numpy.ndarray:
        return label_indices(ids, self._label_ids(vocab))

    def _model_input(self, examples: Sequence[Example], docs: List[Doc]) -> ParserInput:
        """Arcs are scored within the reference sentences and labels at the gold heads (teacher
        forcing); the gold is kept for `get_loss`."""
        gold = self._gold(examples)
        self._batch_gold = (examples, gold)
        return self._input(docs, gold[0], gold[2])

    def _gold_for_loss(self, examples: Sequence[Example]) -> Tuple[numpy.ndarray, numpy.ndarray, numpy.ndarray]:
        """The gold `_model_input` computed for this same batch, else computed now."""
        cached, self._batch_gold = getattr(self, "_batch_gold", None), None
        return cached[1] if cached is not None and cached[0] is examples else self._gold(examples)

    def get_loss(self, examples: Sequence[Example], scores: ParserScores) -> Tuple[float, ParserGradients]:
        """Cross-entropy over each token's candidate heads, over the labels of its gold head and of
        its sentence-start flag, each averaged over the tokens that have gold; tokens without gold
        get no gradient."""
        ops, xp = self.model.ops, self.model.ops.xp
        gold_heads, gold_labels, gold_starts = self._gold_for_loss(examples)
        N = len(gold_heads)
        n_arcs = max(int((gold_heads >= 0).sum()), 1)
        loss = 0.0
        d_arcs = []
        for g in scores.groups:
            U, n = g.tokens.shape
            valid = g.tokens < N
            flat = numpy.where(valid, g.tokens, 0)
            start = g.tokens[:, :1]
            rel = gold_heads[flat] - start
            has = valid & (gold_heads[flat] >= 0) & (rel >= 0) & (rel < g.lengths[:, None])
            S = g.scores
            probs = xp.exp(S - S.max(axis=2, keepdims=True))
            probs /= probs.sum(axis=2, keepdims=True)
            u_idx, i_idx = numpy.nonzero(has)
            j_idx = rel[has]
            at = (ops.asarray(u_idx), ops.asarray(i_idx), ops.asarray(j_idx))
            if len(u_idx):
                loss -= float(xp.log(xp.maximum(probs[at], 1e-12)).sum())
                probs[at] -= 1.0
            probs *= ops.asarray(has.astype("float32"))[:, :, None]
            d_arcs.append(probs / n_arcs)
        L = scores.labels
        probs = xp.exp(L - L.max(axis=1, keepdims=True))
        probs /= probs.sum(axis=1, keepdims=True)
        rows = numpy.flatnonzero((gold_labels >= 0) & (gold_heads >= 0))
        n_labels = max(len(rows), 1)
        label_loss = 0.0
        known = numpy.zeros(N, dtype="float32")
        known[rows] = 1.0
        if len(rows):
            at_rows, at_gold = ops.asarray(rows), ops.asarray(gold_labels[rows])
            label_loss = -float(xp.log(xp.maximum(probs[at_rows, at_gold], 1e-12)).sum())
            probs[at_rows, at_gold] -= 1.0
        probs *= ops.asarray(known)[:, None]
        sent_loss, d_sents = self._sentence_loss(scores.sent_logits, gold_starts)
        return loss / n_arcs + label_loss / n_labels + sent_loss, ParserGradients(d_arcs, probs / n_labels, d_sents)

    def _sentence_loss(self, logits: Any, gold_starts: numpy.ndarray) -> Tuple[float, Any]:
        """Binary cross-entropy of the sentence-start logits, averaged over tokens with gold and
        weighted by `sent_loss_weight` against the arc and label losses."""
        if logits is None:
            return 0.0, None
        ops, xp = self.model.ops, self.model.ops.xp
        known = ops.asarray((gold_starts != 0).astype("float32"))
        target = ops.asarray((gold_starts == 1).astype("float32"))
        scale = self.sent_loss_weight / max(float(known.sum()), 1.0)
        probs = 1.0 / (1.0 + xp.exp(-logits))
        # log(1 + e^-|z|) + max(z, 0) - z * t: the stable form of the cross-entropy.
        losses = xp.log1p(xp.exp(-xp.abs(logits))) + xp.maximum(logits, 0) - logits * target
        return float((losses * known).sum()) * scale, (probs - target) * known * scale

    def score(self, examples: Sequence[Example], **kwargs: Any) -> Dict[str, Any]:
        return score_parse(examples)

    # ----- serialisation ------------------------------------------------------------------
    def get_cfg(self) -> Dict[str, Any]:
        return {**super().get_cfg(), "root_label": self.root_label}

    def set_cfg(self, cfg: Dict[str, Any]) -> None:
        super()._set_labels(cfg.get("labels", []))
        self.root_label = cfg.get("root_label")


def _given_sentences(docs: Sequence[Doc]) -> Tuple[numpy.ndarray, numpy.ndarray]:
    """Per doc, whether it has sentence starts (`doc.has_annotation("SENT_START")`, for the whole
    batch at once), and the flat start flags."""
    if not docs:
        return numpy.zeros(0, dtype=bool), numpy.zeros(0, dtype=bool)
    sizes = numpy.array([len(doc) for doc in docs], dtype=numpy.int64)
    codes = numpy.concatenate([doc.arrays["SENT_START"] for doc in docs])
    heads = numpy.concatenate([doc.arrays["HEAD"] for doc in docs])
    firsts = numpy.cumsum(sizes) - sizes
    marked = (codes != 0) | (heads >= 0)
    marked[firsts[sizes > 0]] = heads[firsts[sizes > 0]] >= 0  # a first token's start flag says nothing
    running = numpy.concatenate([[0], numpy.cumsum(marked)])
    return running[firsts + sizes] - running[firsts] > 0, codes == 1


def _unit_sentences(units: numpy.ndarray, single_root: numpy.ndarray, n: int) -> Tuple[numpy.ndarray, numpy.ndarray]:
    """Flat sentence-start codes from the parsed units (each single-root unit one sentence), and
    which tokens lie in units that may hold several trees."""
    starts = numpy.full(n, -1, dtype=numpy.int8)
    starts[units[:, 0]] = 1
    edges = numpy.zeros(n + 1, dtype=numpy.int64)
    numpy.add.at(edges, units[~single_root, 0], 1)
    numpy.add.at(edges, units[~single_root, 1], -1)
    return starts, numpy.cumsum(edges)[:n] > 0


@factory(
    "parser",
    default_config={
        "model": DEFAULT_PARSER_MODEL, "max_length": 200, "decoder": "eisner", "sent_threshold": 0.5, "sent_loss_weight": 3.0,
    },
    default_score_weights={
        "dep_uas": 0.5, "dep_las": 0.5, "dep_las_per_type": None, "sents_p": None, "sents_r": None, "sents_f": 0.0,
    },
)
def make_parser(
    nlp: Any,
    name: str,
    model: Model,
    max_length: int = 200,
    decoder: str = "eisner",
    sent_threshold: float = 0.5,
    sent_loss_weight: float = 3.0,
) -> DependencyParser:
    """A biaffine dependency parser that first finds the sentences of raw text."""
    return DependencyParser(
        nlp, name, model, max_length=max_length, decoder=decoder, sent_threshold=sent_threshold, sent_loss_weight=sent_loss_weight
    )


__all__ = ["DependencyParser", "DEFAULT_PARSER_MODEL", "SingleSentenceTrainingWarning", "make_parser"]
