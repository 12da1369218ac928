"""The example inspector: browse evaluated examples, gold above predicted, with every error marked.

Error finding goes through each Example's alignment, so it works when the pipeline tokenized the
text differently from the gold corpus: a token-level value is compared only where the two tokens
align one-to-one, and tokens that do not are shown (and counted) as tokenization differences.
The analysis, filtering, sorting and HTML rendering are plain functions and methods that need no
frontend; `ExampleInspector.widget` wraps them in ipywidgets controls.
"""
from __future__ import annotations

import html
from dataclasses import dataclass, field
from typing import Any, Iterable

import numpy as np

from ..core.example import Example
from ..core.scores.ner import entity_offsets
from ..core.render import SCROLL_STYLE, render_cat_bars, render_entities_marked, render_tagged_tokens
from ..core.render_deps import DepMarks, dependency_svgs
from ..core.render_style import BORDER, FONT, MUTED, OK_COLOUR, TEXT, WRONG_COLOUR, paint

SORTS = {"document": "document order", "errors": "most errors first"}
EntityKey = tuple[int, int, str]  # (start_char, end_char, label)


@dataclass
class ExampleErrors:
    """Where a prediction disagrees with the gold: token indices of the predicted doc unless noted.

    `tags`/`pos`: wrong labels; `arcs`: wrong head or dependency label; `missed`/`spurious`:
    gold entities not predicted and predicted entities not in the gold; `cats_wrong`: the top
    predicted class is not a top gold class; `misaligned_x`/`misaligned_y`: predicted/reference
    tokens without a one-to-one partner (counted once each, on the reference side, and only
    where tags or arcs are compared, since such tokens cannot be scored right).
    """

    tags: set[int] = field(default_factory=set)
    pos: set[int] = field(default_factory=set)
    arcs: set[int] = field(default_factory=set)
    missed: set[EntityKey] = field(default_factory=set)
    spurious: set[EntityKey] = field(default_factory=set)
    cats_wrong: bool = False
    misaligned_x: set[int] = field(default_factory=set)
    misaligned_y: set[int] = field(default_factory=set)
    count_tokenization: bool = False
    # Reference-side indices of the token errors, for marking the gold view.
    gold_tags: set[int] = field(default_factory=set)
    gold_pos: set[int] = field(default_factory=set)
    gold_arcs: set[int] = field(default_factory=set)

    @property
    def total(self) -> int:
        n_tokens = len(self.misaligned_y) if self.count_tokenization else 0
        return (
            len(self.tags) + len(self.pos) + len(self.arcs) + len(self.missed) + len(self.spurious)
            + int(self.cats_wrong) + n_tokens
        )

    def summary(self) -> str:
        """E.g. "3 errors: 2 tags, 1 arc" (or "no errors")."""
        parts = [
            (len(self.tags), "tag", "tags"), (len(self.pos), "POS", "POS"), (len(self.arcs), "arc", "arcs"),
            (len(self.missed), "missed entity", "missed entities"), (len(self.spurious), "spurious entity", "spurious entities"),
            (int(self.cats_wrong), "wrong class", "wrong class"),
            (len(self.misaligned_y) if self.count_tokenization else 0, "token split differently", "tokens split differently"),
        ]
        named = [f"{n} {one if n == 1 else many}" for n, one, many in parts if n]
        if not named:
            return "no errors"
        total = self.total
        return f"{total} error{'s' if total != 1 else ''}: " + ", ".join(named)


def _has(doc: Any, column: str) -> bool:
    return bool(doc.arrays[column].any())


def _entity_set(doc: Any) -> set[EntityKey]:
    starts, ends, labels = entity_offsets(doc)
    strings = doc.vocab.strings
    return {(s, e, strings[int(lab)]) for s, e, lab in zip(starts.tolist(), ends.tolist(), labels.tolist())}


def _top_labels(cats: dict[str, float]) -> set[str]:
    best = max(cats.values())
    return {label for label, value in cats.items() if value == best}


def find_errors(example: Example) -> ExampleErrors:
    """Compare the predicted doc with the reference, layer by layer, through the alignment.

    A layer is compared only when the pipeline set it (on the predicted doc) and the gold has it.
    """
    x, y = example.predicted, example.reference
    errors = ExampleErrors()
    one_x = example.alignment.x2y_one_to_one
    token_level = False
    for column, wrong, gold_wrong in (("TAG", errors.tags, errors.gold_tags), ("POS", errors.pos, errors.gold_pos)):
        if _has(x, column) and _has(y, column):
            token_level = True
            gold = example.get_aligned_ids(column)
            pred = x.arrays[column]
            bad = np.flatnonzero((gold >= 0) & (gold != pred))
            wrong.update(bad.tolist())
            gold_wrong.update(one_x[bad].tolist())
    if x.has_annotation("HEAD") and y.has_annotation("HEAD"):
        token_level = True
        gold_heads, gold_deps = example.get_aligned_parse()
        pred_heads = x.arrays["HEAD"].tolist()
        for i, (gold_head, gold_dep) in enumerate(zip(gold_heads, gold_deps)):
            if gold_head is None:
                continue
            if pred_heads[i] != gold_head or (gold_dep is not None and x[i].dep_ != gold_dep):
                errors.arcs.add(i)
                errors.gold_arcs.add(int(one_x[i]))
    if _has(y, "ENT_IOB") and _has(x, "ENT_IOB"):
        gold_ents = _entity_set(y)
        pred_ents = _entity_set(x)
        missing = y.arrays["ENT_IOB"] == 0
        if missing.any():  # predictions over unannotated gold tokens are neither right nor wrong
            pred_ents = {e for e in pred_ents if not ((y.idx < e[1]) & (y.token_ends > e[0]) & missing).any()}
        errors.missed = gold_ents - pred_ents
        errors.spurious = pred_ents - gold_ents
    if y.cats and x.cats and max(y.cats.values()) > 0:
        predicted_top = max(sorted(x.cats), key=lambda label: x.cats[label])
        errors.cats_wrong = predicted_top not in _top_labels(y.cats)
    if token_level or _has(x, "ENT_IOB"):
        x_space = x.vocab.attr("is_space")[x.arrays["ORTH"]]
        y_space = y.vocab.attr("is_space")[y.arrays["ORTH"]]
        errors.misaligned_x = set(np.flatnonzero((one_x < 0) & ~x_space).tolist())
        errors.misaligned_y = set(np.flatnonzero((example.alignment.y2x_one_to_one < 0) & ~y_space).tolist())
    errors.count_tokenization = token_level
    return errors


def count_errors(example: Example) -> int:
    """Number of disagreements between prediction and gold (see `find_errors` and `ExampleErrors.total`)."""
    return find_errors(example).total


def _tag_attr(doc: Any) -> str | None:
    if _has(doc, "TAG"):
        return "tag"
    if _has(doc, "POS"):
        return "pos"
    return None


# Each side is as wide as its widest part (so its sticky "Gold"/"Predicted" label stays in view while the
# shared scroller scrolls), and its wrapping text is as wide as the scroller's visible area (`cqi`).
_SIDE = "width:max-content;min-width:100%;box-sizing:border-box;padding:0.35em 0.6em"
_SIDE_LABEL = (
    f"position:sticky;left:0.6em;display:inline-block;font-size:0.75em;font-weight:700;letter-spacing:0.05em;"
    f"color:{MUTED};text-transform:uppercase"
)
_FLOW = "max-width:calc(100cqi - 1.2em)"


def _side(doc: Any, *, side: str, tag_attr: str | None, show_ents: bool, wrong_tags: set[int], wrong_ents: set[EntityKey],
          misaligned: set[int], cats_html: str, parse_svg: str) -> str:
    """One side's views, top to bottom: entities, the parse (or tagged words), class bars."""
    parts = []
    if show_ents:
        parts.append(f'<div style="{_FLOW}">{render_entities_marked(doc, wrong_ents)}</div>')
    if parse_svg:
        parts.append(f'<div class="nbnlp-parse" data-side="{side}">{parse_svg}</div>')
    elif tag_attr is not None:
        parts.append(f'<div style="{_FLOW}">{render_tagged_tokens(doc, tag_attr, wrong=wrong_tags, misaligned=misaligned)}</div>')
    if cats_html:
        parts.append(cats_html)
    if not parts:
        parts.append(f'<div style="{_FLOW}">{html.escape(doc.text)}</div>')
    return "".join(parts)


def render_example_html(example: Example, *, title: str | None = None, errors: ExampleErrors | None = None) -> str:
    """Gold above predicted (entities, tags under tokens, arcs, class bars), errors in red, fitting the width.

    Both sides share one horizontal scroller (`.nbnlp-parse-scroll`), and when the tokens are the same their
    parses share columns, so a word's gold and predicted arcs line up. Only the layers the pipeline predicts
    are drawn. Self-contained HTML and SVG, no scripts; colours follow the notebook's theme.
    """
    x, y = example.predicted, example.reference
    errors = errors if errors is not None else find_errors(example)
    tag_attr = _tag_attr(x)
    wrong_tags, gold_wrong_tags = (errors.pos, errors.gold_pos) if tag_attr == "pos" else (errors.tags, errors.gold_tags)
    show_parse = x.has_annotation("HEAD")
    show_ents = _has(x, "ENT_IOB") or bool(y.ents and not (tag_attr or show_parse or x.cats))
    gold_top = _top_labels(y.cats) if y.cats and max(y.cats.values()) > 0 else set()
    gold_cats = render_cat_bars(y.cats, highlight=gold_top) if x.cats and y.cats else ""
    pred_top = {max(sorted(x.cats), key=lambda label: x.cats[label])} if x.cats else set()
    pred_cats = render_cat_bars(x.cats, highlight=gold_top, wrong=pred_top if errors.cats_wrong else ()) if x.cats else ""
    gold_svg = pred_svg = ""
    if show_parse:
        gold_marks = DepMarks(wrong_arcs=errors.gold_arcs, wrong_tags=gold_wrong_tags, misaligned=errors.misaligned_y)
        pred_marks = DepMarks(wrong_arcs=errors.arcs, wrong_tags=wrong_tags, misaligned=errors.misaligned_x)
        if y.has_annotation("HEAD"):
            gold_svg, pred_svg = dependency_svgs([(y, gold_marks), (x, pred_marks)], tag_attr=tag_attr, sides=("gold", "predicted"))
        else:
            (pred_svg,) = dependency_svgs([(x, pred_marks)], tag_attr=tag_attr, sides=("predicted",))
    gold_html = _side(
        y, side="gold", tag_attr=tag_attr, show_ents=show_ents, wrong_tags=gold_wrong_tags, wrong_ents=errors.missed,
        misaligned=errors.misaligned_y, cats_html=gold_cats, parse_svg=gold_svg,
    )
    pred_html = _side(
        x, side="predicted", tag_attr=tag_attr, show_ents=show_ents, wrong_tags=wrong_tags, wrong_ents=errors.spurious,
        misaligned=errors.misaligned_x, cats_html=pred_cats, parse_svg=pred_svg,
    )
    total = errors.total
    badge = paint("color", WRONG_COLOUR if total else OK_COLOUR)
    head = (
        '<div style="display:flex;flex-wrap:wrap;gap:0 1em;align-items:baseline;margin-bottom:0.3em">'
        + (f'<span style="font-weight:600">{html.escape(title)}</span>' if title else "")
        + f'<span class="nbnlp-error-summary" data-errors="{total}" style="{badge};font-size:0.85em">'
        f"{html.escape(errors.summary())}</span></div>"
    )
    return (
        f'<div class="nbnlp-example" data-errors="{total}" style="margin:0 0 1.2em 0;color:{TEXT};max-width:100%;'
        f'min-width:0;line-height:1.4;white-space:normal">{head}'
        f'<div class="nbnlp-compare nbnlp-parse-scroll" style="{SCROLL_STYLE};border:1px solid {BORDER}">'
        f'<div class="nbnlp-gold" data-side="gold" style="{_SIDE}"><div style="{_SIDE_LABEL}">Gold</div>{gold_html}</div>'
        f'<div class="nbnlp-pred" data-side="predicted" style="{_SIDE};border-top:1px dashed {BORDER}">'
        f'<div style="{_SIDE_LABEL}">Predicted</div>{pred_html}</div>'
        "</div></div>"
    )


class ExampleInspector:
    """A browser over evaluated examples (an EvaluationResult or a list of Examples).

    The state (filter, search, sort, position) lives in plain attributes and methods, so it can be
    driven and tested without a frontend; `widget` is the ipywidgets view of it.
    """

    def __init__(
        self, examples: Iterable[Example] | Any, *, errors_only: bool = False, query: str = "", sort: str = "document",
        static_limit: int = 5,
    ) -> None:
        if hasattr(examples, "examples"):
            examples = examples.examples
        self.examples: list[Example] = list(examples)
        self.errors: list[ExampleErrors] = [find_errors(eg) for eg in self.examples]
        self.static_limit = static_limit
        self._errors_only = bool(errors_only)
        self._query = query
        self._sort = self._check_sort(sort)
        self._visible = self._compute_visible()
        self.position = 0
        self._widget: Any = None

    # ----- state ------------------------------------------------------------------------------------
    @staticmethod
    def _check_sort(sort: str) -> str:
        if sort not in SORTS:
            raise ValueError(f"ExampleInspector: unknown sort {sort!r}; expected one of {', '.join(SORTS)}")
        return sort

    @property
    def error_counts(self) -> list[int]:
        return [e.total for e in self.errors]

    def _compute_visible(self) -> list[int]:
        query = self._query.strip().lower()
        indices = [
            i for i, eg in enumerate(self.examples)
            if (not self._errors_only or self.errors[i].total > 0) and (not query or query in eg.text.lower())
        ]
        if self._sort == "errors":
            indices.sort(key=lambda i: -self.errors[i].total)  # stable: document order among equals
        return indices

    @property
    def visible_indices(self) -> list[int]:
        """Indices into `examples` of the examples shown, in browsing order."""
        return list(self._visible)

    @property
    def errors_only(self) -> bool:
        return self._errors_only

    @property
    def query(self) -> str:
        return self._query

    @property
    def sort(self) -> str:
        return self._sort

    def set_view(self, *, errors_only: bool | None = None, query: str | None = None, sort: str | None = None) -> None:
        """Change the filter, search or sort, and go to the first example shown."""
        if errors_only is not None:
            self._errors_only = bool(errors_only)
        if query is not None:
            self._query = query
        if sort is not None:
            self._sort = self._check_sort(sort)
        self._visible = self._compute_visible()
        self.position = 0
        self._refresh()

    @property
    def current_index(self) -> int | None:
        """The index into `examples` of the example shown, or None when nothing matches."""
        return self._visible[self.position] if self._visible else None

    def go(self, position: int) -> None:
        """Show the example at `position` in browsing order (clamped to the visible range)."""
        self.position = max(0, min(int(position), len(self._visible) - 1)) if self._visible else 0
        self._refresh()

    def next(self) -> None:
        self.go(self.position + 1)

    def prev(self) -> None:
        self.go(self.position - 1)

    @property
    def position_text(self) -> str:
        """E.g. "3 of 17" (1-based position among the visible examples)."""
        n = len(self._visible)
        return f"{self.position + 1 if n else 0} of {n}"

    # ----- rendering --------------------------------------------------------------------------------
    def render(self, index: int) -> str:
        """One example (an index into `examples`) as HTML."""
        return render_example_html(self.examples[index], title=f"#{index + 1}", errors=self.errors[index])

    def render_current(self) -> str:
        index = self.current_index
        if index is None:
            return f'<div class="nbnlp-empty" style="color:{MUTED}">No examples match.</div>'
        return self.render(index)

    def _summary(self) -> str:
        n_errors = sum(1 for e in self.errors if e.total)
        return f"{len(self.examples)} examples, {n_errors} with errors"

    def _repr_html_(self) -> str:
        """Static fallback for frontends without widget JavaScript: the first visible examples."""
        shown = self._visible[: self.static_limit]
        note = f"{self._summary()}; showing {len(shown)} of {len(self._visible)}"
        if self._errors_only:
            note += " (errors only)"
        blocks = "".join(self.render(i) for i in shown) or self.render_current()
        return (
            f'<div class="nbnlp-inspector" style="font-family:{FONT};color:{TEXT}">'
            f'<div style="color:{MUTED};font-size:0.85em;margin-bottom:0.5em">{html.escape(note)}</div>{blocks}</div>'
        )

    # ----- widget -----------------------------------------------------------------------------------
    @property
    def widget(self) -> Any:
        """The ipywidgets container (built on first use)."""
        if self._widget is None:
            self._widget = self._build_widget()
            self._refresh()
        return self._widget

    def _build_widget(self) -> Any:
        import ipywidgets as w

        prev_button = w.Button(description="◀ Previous", layout=w.Layout(width="auto"))
        next_button = w.Button(description="Next ▶", layout=w.Layout(width="auto"))
        position = w.Label(value=self.position_text, layout=w.Layout(margin="0 0.8em"))
        errors_box = w.Checkbox(value=self._errors_only, description="errors only", indent=False, layout=w.Layout(width="auto"))
        search = w.Text(value=self._query, placeholder="search text", layout=w.Layout(width="14em"))
        sort = w.Dropdown(options=[(label, key) for key, label in SORTS.items()], value=self._sort, layout=w.Layout(width="auto"))
        summary = w.Label(value=self._summary())
        body = w.HTML(value="")
        prev_button.on_click(lambda _: self.prev())
        next_button.on_click(lambda _: self.next())
        errors_box.observe(lambda change: self.set_view(errors_only=change["new"]), names="value")
        search.observe(lambda change: self.set_view(query=change["new"]), names="value")
        sort.observe(lambda change: self.set_view(sort=change["new"]), names="value")
        controls = w.HBox([prev_button, next_button, position, errors_box, search, sort, summary],
                          layout=w.Layout(flex_flow="row wrap", align_items="center"))
        box = w.VBox([controls, body])
        box.add_class("nbnlp-inspector")
        self._controls = {
            "prev": prev_button, "next": next_button, "position": position, "body": body,
            "errors_only": errors_box, "search": search, "sort": sort,
        }
        return box

    def _refresh(self) -> None:
        if self._widget is None:
            return
        c = self._controls
        # Keep the controls in step when the state was changed from code (no event when unchanged).
        c["errors_only"].value, c["search"].value, c["sort"].value = self._errors_only, self._query, self._sort
        c["position"].value = self.position_text
        c["prev"].disabled = self.position <= 0
        c["next"].disabled = self.position >= len(self._visible) - 1
        c["body"].value = self.render_current()

    def _ipython_display_(self) -> None:
        """The widget, with the static HTML as the fallback for frontends without widget support."""
        from IPython.display import display

        bundle = self.widget._repr_mimebundle_()
        bundle["text/html"] = self._repr_html_()
        display(bundle, raw=True)


__all__ = ["ExampleErrors", "ExampleInspector", "count_errors", "find_errors", "render_example_html"]
