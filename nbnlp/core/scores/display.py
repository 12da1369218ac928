"""Score names and how scores are shown, decided once for the console table, the CLI and the notebook views.

Scores stay fractions 0-1 in data, JSON and results (spaCy's convention); on screen every score
is a percentage with `DECIMALS` decimals, speeds are words per second, and a score without a
value is `MISSING`.
"""
from __future__ import annotations

import math
from typing import Any, Iterable, Mapping, Sequence

import numpy as np

DECIMALS = 2
MISSING = "–"

# Overall scores in display order with their names; keys not listed here follow as they come.
SCORE_NAMES: dict[str, str] = {
    "token_acc": "Tokens (accuracy)", "token_p": "Tokens P", "token_r": "Tokens R", "token_f": "Tokens F",
    "tag_acc": "Tag accuracy", "pos_acc": "POS accuracy", "morph_acc": "Morph accuracy", "lemma_acc": "Lemma accuracy",
    "dep_uas": "Unlabelled attachment (UAS)", "dep_las": "Labelled attachment (LAS)",
    "sents_p": "Sentences P", "sents_r": "Sentences R", "sents_f": "Sentences F",
    "ents_p": "Entities P", "ents_r": "Entities R", "ents_f": "Entities F",
    "cats_score": "Text classification score", "cats_accuracy": "Text classification accuracy",
    "cats_micro_p": "Classes micro P", "cats_micro_r": "Classes micro R", "cats_micro_f": "Classes micro F",
    "cats_macro_p": "Classes macro P", "cats_macro_r": "Classes macro R", "cats_macro_f": "Classes macro F",
    "cats_macro_auc": "Classes macro AUC", "speed": "Speed",
}
# Short names for text tables (terminal width); keys not listed are shown upper-cased.
SHORT_NAMES: dict[str, str] = {
    "token_acc": "TOK", "tag_acc": "TAG", "pos_acc": "POS", "dep_uas": "UAS", "dep_las": "LAS", "sents_f": "SENT F",
    "ents_p": "NER P", "ents_r": "NER R", "ents_f": "NER F", "cats_score": "TEXTCAT", "cats_macro_f": "TEXTCAT MACRO F",
    "cats_macro_auc": "TEXTCAT MACRO AUC", "speed": "SPEED",
}
# Per-label tables: key -> (title, what the support column counts).
PER_LABEL_KEYS: dict[str, tuple[str, str]] = {
    "ents_per_type": ("Entities per type", "gold entities"),
    "dep_las_per_type": ("Labelled attachment per dependency label", "gold arcs"),
    "cats_f_per_type": ("Text classes", "gold docs"),
}
KIND_TITLES = {"tag": "Tags", "pos": "Universal POS", "dep": "Dependency labels", "ents": "Entity types", "cats": "Text classes"}


def is_speed(key: str) -> bool:
    return key == "speed" or key.endswith(("_speed", "_wps"))


def is_number(value: Any) -> bool:
    """A plain score value: a real number (numpy's too), not a bool, not NaN."""
    if isinstance(value, bool) or not isinstance(value, (int, float, np.number)):
        return False
    return not math.isnan(float(value))


def percent(value: float) -> str:
    """A fraction 0-1 as the percentage every table and view shows."""
    return f"{100 * float(value):.{DECIMALS}f}"


def format_score(key: str, value: Any, *, unit: bool = False) -> str:
    """A score as shown: a percentage, a speed in words per second (`unit` adds "words/s"), or MISSING."""
    if not is_number(value):
        return MISSING
    if is_speed(key):
        return f"{float(value):,.0f}" + (" words/s" if unit else "")
    return percent(value)


def short_name(key: str) -> str:
    return SHORT_NAMES.get(key, key.upper())


def overall_scores(scores: Mapping[str, Any]) -> list[tuple[str, str, str]]:
    """(key, name, formatted value) for every plain numeric score that has a value, in display order."""
    keys = [k for k in SCORE_NAMES if k in scores] + sorted(k for k in scores if k not in SCORE_NAMES)
    rows = []
    for key in keys:
        if not is_number(scores[key]):
            continue
        name = SCORE_NAMES.get(key, key)
        if key == "cats_score" and scores.get("cats_score_desc"):
            name = f"{name} ({scores['cats_score_desc']})"
        rows.append((key, name, format_score(key, scores[key], unit=True)))
    return rows


# ----- text tables (CLI) ---------------------------------------------------------------------------
def format_overall(scores: Mapping[str, Any]) -> str:
    """The overall scores as a text table with short names."""
    lines = ["Overall"]
    for key, value in scores.items():
        if is_number(value):
            lines.append(f"  {short_name(key):<20} {format_score(key, value):>10}")
    return "\n".join(lines)


def format_label_table(title: str, rows: Sequence[Any], *, support: bool = False) -> str:
    """One per-label table (`LabelRow`s) as text: P, R, F as percentages, and the support count if asked."""
    head = f"  {'':<20} {'P':>7} {'R':>7} {'F':>7}" + (f" {'SUPPORT':>8}" if support else "")
    lines = [title, head]
    for row in rows:
        cells = " ".join(f"{format_score('', v):>7}" for v in (row.p, row.r, row.f))
        extra = f" {'' if row.support is None else row.support:>8}" if support else ""
        lines.append(f"  {row.label:<20} {cells}{extra}")
    return "\n".join(lines)


def format_confusion(title: str, labels: Sequence[str], counts: Any) -> str:
    """A confusion matrix as text: gold labels down, predicted labels across, counts in the cells."""
    width = max([5, *(len(label) for label in labels)]) + 1
    lines = [f"{title} (rows gold, columns predicted)", " " * 22 + "".join(f"{label[:width - 1]:>{width}}" for label in labels)]
    for label, row in zip(labels, np.asarray(counts).tolist()):
        lines.append(f"  {label:<20}" + "".join(f"{int(n):>{width}}" for n in row))
    return "\n".join(lines)


def join_sections(sections: Iterable[str]) -> str:
    return "\n\n".join(s for s in sections if s)
