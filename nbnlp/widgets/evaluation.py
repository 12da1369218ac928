"""The evaluation view: draws the overall scores, per-label P/R/F tables and confusion matrices of an `EvaluationResult`.

The numbers come from the core (`nbnlp.core.scores`: `per_label_tables`, `confusion_matrix`,
`overall_scores`); this module only draws them. Everything is plain HTML with inline styles plus
PNG images (matplotlib's Agg backend on `Figure` objects, never pyplot), so the view shows the
same in Jupyter, VS Code, nbconvert and a saved notebook, with or without widget JavaScript. Text and
border colours are JupyterLab's CSS variables with light fallbacks (`nbnlp.core.render_style`), so the
tables read well in the dark theme and in a standalone file.
"""
from __future__ import annotations

import base64
import html
import io
from typing import Any, Mapping, Sequence

import numpy as np

from ..core.render_style import BORDER, BORDER_STRONG, FONT, MUTED, TEXT
from ..core.scores.confusion import available_kinds, confusion_matrix, top_labels
from ..core.scores.display import KIND_TITLES, overall_scores, percent
from ..core.scores.per_label import LabelRow, per_label_tables

_TABLE = "border-collapse:collapse;font-size:0.85em;margin:0.3em 0 1em 0"
_TH = f"text-align:left;padding:0.2em 0.7em;border-bottom:1px solid {BORDER_STRONG};font-weight:600;color:{TEXT}"
_TD = f"padding:0.15em 0.7em;border-bottom:1px solid {BORDER};color:{TEXT}"
_NUM = _TD + ";text-align:right;font-variant-numeric:tabular-nums"


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
        f'<tr><td style="{_TD}">{html.escape(name)}</td><td style="{_TD};color:{MUTED};font-family:monospace">{html.escape(key)}</td>'
        f'<td style="{_NUM}">{html.escape(value)}</td></tr>'
        for key, name, value in overall_scores(scores)
    )
    return (
        f'<table class="nbnlp-scores" style="{_TABLE}"><thead><tr><th style="{_TH}">Score</th><th style="{_TH}">Key</th>'
        f'<th style="{_TH};text-align:right">Value</th></tr></thead><tbody>{body}</tbody></table>'
    )


def _label_table(key: str, title: str, support_name: str, rows: Sequence[LabelRow]) -> str:
    body = "".join(
        f'<tr><td style="{_TD}">{html.escape(row.label)}</td><td style="{_NUM}">{percent(row.p)}</td>'
        f'<td style="{_NUM}">{percent(row.r)}</td><td style="{_NUM}">{percent(row.f)}</td>'
        f'<td style="{_NUM};color:{MUTED}">{"" if row.support is None else row.support}</td></tr>'
        for row in rows
    )
    return (
        f'<details class="nbnlp-per-label" data-key="{html.escape(key)}" open style="flex:0 1 auto">'
        f'<summary style="cursor:pointer;font-weight:600;font-size:0.9em">{html.escape(title)} '
        f'<span style="color:{MUTED};font-weight:400">({len(rows)} labels)</span></summary>'
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
        f'<div class="nbnlp-eval" style="font-family:{FONT};color:{TEXT}">',
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
                    title = f"{KIND_TITLES.get(kind, kind)}: gold vs predicted"
                    self._images[title] = confusion_matrix_png(labels, counts, title, top_n=self.top_n)
        return self._images

    def to_html(self) -> str:
        return evaluation_html(self.result, images=self.images())

    def _repr_html_(self) -> str:
        return self.to_html()

    def show(self) -> None:
        from IPython.display import HTML, display

        display(HTML(self.to_html()))


__all__ = ["EvaluationView", "confusion_matrix_png", "evaluation_html", "png_img"]
