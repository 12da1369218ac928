"""The evaluation view: overall scores, per-label P/R/F tables and confusion matrices of an `EvaluationResult`.

Everything here is plain HTML with inline styles plus PNG images (matplotlib's Agg backend on
`Figure` objects, never pyplot), so the view shows the same in Jupyter, VS Code, nbconvert and a
saved notebook, with or without widget JavaScript. Per-tag tables and confusion matrices are
computed from the annotated examples through their alignment, so they agree with the scorer when
the pipeline's tokenization differs from the gold one.
"""
from __future__ import annotations

import base64
import html
import io
from collections import Counter
from dataclasses import dataclass
from typing import Any, Iterable, Mapping, Sequence

import numpy as np

from ..core.example import Example
from ..core.scores.ner import entity_offsets

NONE_LABEL = "(none)"  # missed or spurious entity in the entity confusion matrix
OTHER_LABEL = "(other)"  # labels beyond the top N, merged in the confusion matrix image
CONFUSION_KINDS = ("tag", "pos", "dep", "ents", "cats")

# Overall scores in display order, with their names; keys not listed here are appended as they come.
SCORE_NAMES: dict[str, str] = {
    "token_acc": "Tokens (accuracy)",
    "token_p": "Tokens P",
    "token_r": "Tokens R",
    "token_f": "Tokens F",
    "tag_acc": "Tag accuracy",
    "pos_acc": "POS accuracy",
    "morph_acc": "Morph accuracy",
    "lemma_acc": "Lemma accuracy",
    "dep_uas": "Unlabelled attachment (UAS)",
    "dep_las": "Labelled attachment (LAS)",
    "sents_p": "Sentences P",
    "sents_r": "Sentences R",
    "sents_f": "Sentences F",
    "ents_p": "Entities P",
    "ents_r": "Entities R",
    "ents_f": "Entities F",
    "cats_score": "Text classification score",
    "cats_accuracy": "Text classification accuracy",
    "cats_micro_p": "Classes micro P",
    "cats_micro_r": "Classes micro R",
    "cats_micro_f": "Classes micro F",
    "cats_macro_p": "Classes macro P",
    "cats_macro_r": "Classes macro R",
    "cats_macro_f": "Classes macro F",
    "cats_macro_auc": "Classes macro AUC",
    "speed": "Speed",
}
# Per-label score dicts shown as tables: key -> (title, what the support column counts).
PER_LABEL_KEYS: dict[str, tuple[str, str]] = {
    "ents_per_type": ("Entities per type", "gold entities"),
    "dep_las_per_type": ("Labelled attachment per dependency label", "gold arcs"),
    "cats_f_per_type": ("Text classes", "gold docs"),
}
_IGNORED_DEPS = ("p", "punct")  # left out of dep_las_per_type, as in the scorer

_TABLE = "border-collapse:collapse;font-size:0.85em;margin:0.3em 0 1em 0"
_TH = "text-align:left;padding:0.2em 0.7em;border-bottom:1px solid #9ca3af;font-weight:600"
_TD = "padding:0.15em 0.7em;border-bottom:1px solid #e5e7eb"
_NUM = _TD + ";text-align:right;font-variant-numeric:tabular-nums"


# ----- scores -------------------------------------------------------------------------------------
def format_score(key: str, value: Any) -> str:
    """A score as shown: fractions as percentages with two decimals, speed as words per second."""
    if value is None:
        return "–"
    if key == "speed":
        return f"{float(value):,.0f} words/s"
    return f"{100 * float(value):.2f}"


def overall_scores(scores: Mapping[str, Any]) -> list[tuple[str, str, str]]:
    """(key, name, formatted value) for every plain numeric score that has a value, in display order."""
    keys = [k for k in SCORE_NAMES if k in scores]
    keys += sorted(k for k in scores if k not in SCORE_NAMES)
    rows = []
    for key in keys:
        value = scores[key]
        if value is None or isinstance(value, (bool, str, Mapping)) or not isinstance(value, (int, float, np.number)):
            continue
        name = SCORE_NAMES.get(key, key)
        if key == "cats_score" and scores.get("cats_score_desc"):
            name = f"{name} ({scores['cats_score_desc']})"
        rows.append((key, name, format_score(key, value)))
    return rows


@dataclass
class LabelRow:
    """One line of a per-label table (fractions 0-1; support = gold items, None when unknown)."""

    label: str
    p: float
    r: float
    f: float
    support: int | None = None


def _prf(tp: int, n_pred: int, n_gold: int) -> tuple[float, float, float]:
    p = tp / n_pred if n_pred else 0.0
    r = tp / n_gold if n_gold else 0.0
    return p, r, (2 * p * r / (p + r) if p + r else 0.0)


def token_label_rows(examples: Sequence[Example], attr: str) -> list[LabelRow]:
    """Per-label P/R/F of a token annotation (TAG or POS), counted as `score_token_attr` does.

    Gold items are the reference tokens with a value; predictions are the predicted tokens with a
    value, except those aligned one-to-one to a reference token without one (not scored). A
    prediction is right where its token aligns one-to-one and the labels agree, so the recall over
    all labels equals the accuracy score.
    """
    column = attr.upper()
    tp: Counter = Counter()
    n_pred: Counter = Counter()
    n_gold: Counter = Counter()
    for eg in examples:
        x, y = eg.predicted, eg.reference
        gold_col = y.arrays[column]
        for label_id, n in zip(*np.unique(gold_col[gold_col != 0], return_counts=True)):
            n_gold[y.vocab.strings[int(label_id)]] += int(n)
        gold = eg.get_aligned_ids(column)
        pred = x.arrays[column].astype(np.int64)
        one = eg.alignment.x2y_one_to_one
        unscored = (one >= 0) & (gold < 0)
        is_space = x.vocab.attr("is_space")[x.arrays["ORTH"]]
        counted = (pred != 0) & ~unscored & ~is_space
        for label_id, n in zip(*np.unique(pred[counted], return_counts=True)):
            n_pred[x.vocab.strings[int(label_id)]] += int(n)
        right = counted & (gold >= 0) & (gold == pred)
        for label_id, n in zip(*np.unique(pred[right], return_counts=True)):
            tp[x.vocab.strings[int(label_id)]] += int(n)
    rows = [LabelRow(label, *_prf(tp[label], n_pred[label], n_gold[label]), support=n_gold[label]) for label in n_gold | n_pred]
    return sorted(rows, key=lambda r: (-(r.support or 0), r.label))


def _predicts(examples: Sequence[Example], column: str) -> bool:
    """Whether the pipeline set `column` (on any predicted doc) and the gold has it (on any reference)."""
    return any(eg.predicted.arrays[column].any() for eg in examples) and any(eg.reference.arrays[column].any() for eg in examples)


def _supports(key: str, examples: Sequence[Example]) -> Counter:
    """Gold counts per label for a per-label score key (entities, arcs or docs)."""
    counts: Counter = Counter()
    for eg in examples:
        y = eg.reference
        if key == "ents_per_type":
            if y.arrays["ENT_IOB"].any():
                counts.update(ent.label_ for ent in y.ents)
        elif key == "dep_las_per_type":
            has_head = y.arrays["HEAD"] >= 0
            for label_id in y.arrays["DEP"][has_head].tolist():
                label = y.vocab.strings[int(label_id)]
                if label and label not in _IGNORED_DEPS:
                    counts[label] += 1
        elif key == "cats_f_per_type" and y.cats:
            counts.update(label for label, value in y.cats.items() if value >= 0.5)
    return counts


def per_label_tables(result: Any) -> dict[str, tuple[str, str, list[LabelRow]]]:
    """Every per-label table of the result: {key: (title, support description, rows)}.

    The component scores' per-type dicts come first, then per-tag tables computed from the
    examples ("tag_per_type", "pos_per_type") for the columns the pipeline predicts.
    """
    scores, examples = result.scores, list(result.examples)
    tables: dict[str, tuple[str, str, list[LabelRow]]] = {}
    for key, (title, support_name) in PER_LABEL_KEYS.items():
        per_type = scores.get(key)
        if not per_type:
            continue
        support = _supports(key, examples)
        rows = [LabelRow(label, v["p"], v["r"], v["f"], support.get(label, 0)) for label, v in per_type.items()]
        tables[key] = (title, support_name, sorted(rows, key=lambda r: (-(r.support or 0), r.label)))
    for column, title in (("TAG", "Fine-grained tags"), ("POS", "Universal POS")):
        if _predicts(examples, column):
            tables[f"{column.lower()}_per_type"] = (title, "gold tokens", token_label_rows(examples, column))
    return tables


# ----- confusion matrices -------------------------------------------------------------------------
def _order(pairs: Counter) -> list[str]:
    """Labels by how often they occur (gold or predicted), most frequent first; NONE_LABEL last."""
    freq: Counter = Counter()
    for (gold, pred), n in pairs.items():
        freq[gold] += n
        freq[pred] += n
    labels = sorted((lab for lab in freq if lab != NONE_LABEL), key=lambda lab: (-freq[lab], lab))
    return labels + ([NONE_LABEL] if NONE_LABEL in freq else [])


def _matrix(pairs: Counter) -> tuple[list[str], np.ndarray]:
    labels = _order(pairs)
    index = {lab: k for k, lab in enumerate(labels)}
    counts = np.zeros((len(labels), len(labels)), dtype=np.int64)
    for (gold, pred), n in pairs.items():
        counts[index[gold], index[pred]] += n
    return labels, counts


def _token_pairs(examples: Iterable[Example], column: str) -> Counter:
    pairs: Counter = Counter()
    for eg in examples:
        gold = eg.get_aligned_ids(column)
        pred = eg.predicted.arrays[column]
        strings = eg.predicted.vocab.strings
        keep = gold >= 0
        for g, p in zip(gold[keep].tolist(), pred[keep].tolist()):
            pairs[(strings[g], strings[p] if p else NONE_LABEL)] += 1
    return pairs


def _entity_pairs(examples: Iterable[Example]) -> Counter:
    """(gold label, predicted label) per entity: same character span = aligned; unmatched ones pair with NONE_LABEL.

    As in the scorer, references without entity annotation are skipped and predicted entities
    overlapping a reference token without annotation are not counted.
    """
    pairs: Counter = Counter()
    for eg in examples:
        y, x = eg.reference, eg.predicted
        if not y.arrays["ENT_IOB"].any():
            continue
        gold = _entity_dict(y)
        pred = _entity_dict(x)
        missing = y.arrays["ENT_IOB"] == 0
        if missing.any():
            pred = {span: lab for span, lab in pred.items() if not _overlaps_tokens(y, span, missing)}
        for span, label in gold.items():
            pairs[(label, pred.get(span, NONE_LABEL))] += 1
        for span, label in pred.items():
            if span not in gold:
                pairs[(NONE_LABEL, label)] += 1
    return pairs


def _entity_dict(doc: Any) -> dict[tuple[int, int], str]:
    starts, ends, labels = entity_offsets(doc)
    strings = doc.vocab.strings
    return {(s, e): strings[int(lab)] for s, e, lab in zip(starts.tolist(), ends.tolist(), labels.tolist())}


def _overlaps_tokens(doc: Any, span: tuple[int, int], mask: np.ndarray) -> bool:
    """Whether the character range overlaps a token of `doc` selected by `mask`."""
    start, end = span
    hit = (doc.idx < end) & (doc.token_ends > start)
    return bool((hit & mask).any())


def _cat_pairs(examples: Iterable[Example]) -> Counter:
    pairs: Counter = Counter()
    for eg in examples:
        gold, pred = eg.reference.cats, eg.predicted.cats
        if not gold or not pred or max(gold.values()) <= 0:
            continue
        pairs[(_argmax(gold), _argmax(pred))] += 1
    return pairs


def _argmax(cats: Mapping[str, float]) -> str:
    return max(sorted(cats), key=lambda label: cats[label])


def confusion_matrix(result: Any, kind: str) -> tuple[list[str], np.ndarray]:
    """Labels and counts (rows gold, columns predicted) for kind "tag", "pos", "dep", "ents" or "cats".

    Token kinds count the predicted tokens aligned one-to-one to a reference token with a value,
    so the diagonal holds the correct predictions. "ents" pairs entities with the same character
    span, with NONE_LABEL for missed (row) or spurious (column) ones; "cats" pairs the top gold
    class with the top predicted class of each annotated doc. Labels are sorted by frequency.
    """
    examples = result.examples if hasattr(result, "examples") else result
    if kind in ("tag", "pos", "dep"):
        pairs = _token_pairs(examples, kind.upper())
    elif kind == "ents":
        pairs = _entity_pairs(examples)
    elif kind == "cats":
        pairs = _cat_pairs(examples)
    else:
        raise ValueError(f"confusion_matrix: unknown kind {kind!r}; expected one of {', '.join(CONFUSION_KINDS)}")
    return _matrix(pairs)


def available_kinds(result: Any) -> list[str]:
    """The confusion matrices that make sense for this result (what the pipeline predicts and the gold has)."""
    scores, examples = result.scores, list(result.examples)
    kinds = [kind for kind in ("tag", "pos") if _predicts(examples, kind.upper())]
    if scores.get("dep_las_per_type") and _predicts(examples, "DEP"):
        kinds.append("dep")
    if scores.get("ents_per_type"):
        kinds.append("ents")
    if scores.get("cats_f_per_type") and scores.get("cats_score_desc") == "macro F":  # exclusive classes
        kinds.append("cats")
    return kinds


def top_labels(labels: Sequence[str], counts: np.ndarray, top_n: int) -> tuple[list[str], np.ndarray]:
    """The `top_n` most frequent labels, the rest merged into OTHER_LABEL (NONE_LABEL is always kept)."""
    labels = list(labels)
    if len(labels) <= top_n + 1:
        return labels, counts
    freq = counts.sum(axis=0) + counts.sum(axis=1)
    candidates = [k for k, lab in enumerate(labels) if lab != NONE_LABEL]
    keep = sorted(candidates, key=lambda k: (-freq[k], labels[k]))[:top_n]
    keep = sorted(keep)
    none = [k for k, lab in enumerate(labels) if lab == NONE_LABEL]
    group = np.full(len(labels), len(keep), dtype=np.int64)  # OTHER by default
    group[keep] = np.arange(len(keep))
    out_labels = [labels[k] for k in keep] + [OTHER_LABEL]
    if none:
        group[none[0]] = len(out_labels)
        out_labels.append(NONE_LABEL)
    out = np.zeros((len(out_labels), len(out_labels)), dtype=counts.dtype)
    np.add.at(out, (group[:, None], group[None, :]), counts)
    return out_labels, out


def confusion_matrix_png(labels: Sequence[str], counts: np.ndarray, title: str = "", *, top_n: int = 15) -> bytes:
    """A PNG heat map of a confusion matrix (gold rows, predicted columns), cells annotated with counts.

    Only the `top_n` most frequent labels get their own row and column, so large tag sets stay
    readable. Drawn on a standalone `Figure` with the Agg canvas: no pyplot state, nothing leaks.
    """
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    labels, counts = top_labels(labels, np.asarray(counts), top_n)
    n = max(len(labels), 1)
    side = min(2.0 + 0.4 * n, 8.5)
    fig = Figure(figsize=(side + 1.2, side), dpi=90)
    FigureCanvasAgg(fig)
    ax = fig.add_subplot(1, 1, 1)
    shown = counts if counts.size else np.zeros((1, 1))
    # Row-normalised colours: each gold label's row shows where its items went.
    rows = shown.sum(axis=1, keepdims=True)
    share = np.divide(shown, rows, out=np.zeros(shown.shape, dtype=float), where=rows > 0)
    image = ax.imshow(share, cmap="Blues", vmin=0.0, vmax=1.0, aspect="equal")
    ax.set_xticks(range(len(labels)))
    ax.set_yticks(range(len(labels)))
    font = 8 if n <= 20 else 6
    ax.set_xticklabels(labels, rotation=60, ha="right", fontsize=font)
    ax.set_yticklabels(labels, fontsize=font)
    ax.set_xlabel("predicted", fontsize=9)
    ax.set_ylabel("gold", fontsize=9)
    if title:
        ax.set_title(title, fontsize=10)
    if counts.size and n <= 25:
        for (i, j), value in np.ndenumerate(counts):
            if value:
                colour = "white" if share[i, j] > 0.6 else "#1f2937"
                ax.text(j, i, str(int(value)), ha="center", va="center", fontsize=font - 1, color=colour)
    fig.colorbar(image, ax=ax, fraction=0.046, pad=0.04, label="share of gold row")
    fig.tight_layout()
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png")
    return buffer.getvalue()


# ----- HTML -----------------------------------------------------------------------------------------
def _scores_table(scores: Mapping[str, Any]) -> str:
    body = "".join(
        f'<tr><td style="{_TD}">{html.escape(name)}</td><td style="{_TD};color:#6b7280;font-family:monospace">{html.escape(key)}</td>'
        f'<td style="{_NUM}">{html.escape(value)}</td></tr>'
        for key, name, value in overall_scores(scores)
    )
    return (
        f'<table class="nbnlp-scores" style="{_TABLE}"><thead><tr><th style="{_TH}">Score</th><th style="{_TH}">Key</th>'
        f'<th style="{_TH};text-align:right">Value</th></tr></thead><tbody>{body}</tbody></table>'
    )


def _label_table(key: str, title: str, support_name: str, rows: Sequence[LabelRow]) -> str:
    body = "".join(
        f'<tr><td style="{_TD}">{html.escape(row.label)}</td><td style="{_NUM}">{100 * row.p:.2f}</td>'
        f'<td style="{_NUM}">{100 * row.r:.2f}</td><td style="{_NUM}">{100 * row.f:.2f}</td>'
        f'<td style="{_NUM};color:#6b7280">{"" if row.support is None else row.support}</td></tr>'
        for row in rows
    )
    return (
        f'<details class="nbnlp-per-label" data-key="{html.escape(key)}" open style="flex:0 1 auto">'
        f'<summary style="cursor:pointer;font-weight:600;font-size:0.9em">{html.escape(title)} '
        f'<span style="color:#6b7280;font-weight:400">({len(rows)} labels)</span></summary>'
        f'<table style="{_TABLE}"><thead><tr><th style="{_TH}">Label</th><th style="{_TH};text-align:right">P</th>'
        f'<th style="{_TH};text-align:right">R</th><th style="{_TH};text-align:right">F</th>'
        f'<th style="{_TH};text-align:right" title="{html.escape(support_name)}">Support</th></tr></thead>'
        f"<tbody>{body}</tbody></table></details>"
    )


def png_img(png: bytes, *, css_class: str = "nbnlp-confusion", alt: str = "") -> str:
    """An <img> embedding PNG bytes as base64, so the HTML stays self-contained."""
    data = base64.b64encode(png).decode("ascii")
    return f'<img class="{css_class}" alt="{html.escape(alt)}" src="data:image/png;base64,{data}" style="max-width:100%">'


def evaluation_html(result: Any, *, images: Mapping[str, bytes] | None = None) -> str:
    """The evaluation as self-contained HTML: the overall scores table, then the per-label tables,
    then any `images` ({title: PNG bytes}, e.g. confusion matrices). Inline styles, no scripts."""
    parts = [
        '<div class="nbnlp-eval" style="font-family:system-ui,-apple-system,\'Segoe UI\',sans-serif;color:#1f2937">',
        f'<div style="font-weight:600;margin-bottom:0.2em">Evaluation: {len(result.examples)} docs, '
        f"{getattr(result, 'n_words', 0) or sum(len(eg.predicted) for eg in result.examples)} words</div>",
        _scores_table(result.scores),
    ]
    tables = per_label_tables(result)
    if tables:
        parts.append('<div style="display:flex;flex-wrap:wrap;gap:0 2.5em;align-items:flex-start">')
        parts.extend(_label_table(key, title, support_name, rows) for key, (title, support_name, rows) in tables.items())
        parts.append("</div>")
    if images:
        parts.append('<div style="display:flex;flex-wrap:wrap;gap:1em;align-items:flex-start">')
        parts.extend(png_img(png, alt=title) for title, png in images.items())
        parts.append("</div>")
    parts.append("</div>")
    return "".join(parts)


_KIND_TITLES = {"tag": "Tags", "pos": "Universal POS", "dep": "Dependency labels", "ents": "Entity types", "cats": "Text classes"}


class EvaluationView:
    """The notebook view of an `EvaluationResult`: scores, per-label tables and confusion matrices.

    Plain HTML (shown by `_repr_html_`, or `show()`), so it works without widget JavaScript.
    """

    def __init__(self, result: Any, *, kinds: Sequence[str] | None = None, top_n: int = 15) -> None:
        self.result = result
        self.kinds = list(kinds) if kinds is not None else available_kinds(result)
        self.top_n = top_n
        self._images: dict[str, bytes] | None = None

    @property
    def scores(self) -> dict[str, Any]:
        return self.result.scores

    def confusion_matrix(self, kind: str) -> tuple[list[str], np.ndarray]:
        return confusion_matrix(self.result, kind)

    def images(self) -> dict[str, bytes]:
        """{title: PNG} per confusion matrix kind (drawn once, on first use)."""
        if self._images is None:
            self._images = {}
            for kind in self.kinds:
                labels, counts = confusion_matrix(self.result, kind)
                if counts.size:
                    title = f"{_KIND_TITLES.get(kind, kind)}: gold vs predicted"
                    self._images[title] = confusion_matrix_png(labels, counts, title, top_n=self.top_n)
        return self._images

    def to_html(self) -> str:
        return evaluation_html(self.result, images=self.images())

    def _repr_html_(self) -> str:
        return self.to_html()

    def show(self) -> None:
        from IPython.display import HTML, display

        display(HTML(self.to_html()))


__all__ = [
    "EvaluationView", "LabelRow", "available_kinds", "confusion_matrix", "confusion_matrix_png", "evaluation_html",
    "format_score", "overall_scores", "per_label_tables", "png_img", "token_label_rows", "top_labels",
]
