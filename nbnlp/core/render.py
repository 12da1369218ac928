"""HTML renderers for entities and dependency parses: self-contained markup, no JavaScript, no IPython.

The same strings serve `nbnlp evaluate --displacy-path` (written to files by `write_renderings`), the
notebook views (shown with IPython's HTML display) and the example inspector, so they must work anywhere
HTML does: inline styles and inline SVG only. They fit a notebook's width without clipping anything: text
wraps, and a parse (drawn at its natural size by `render_deps`) scrolls inside its own horizontal
scroller, the only one. Colours follow JupyterLab's light and dark themes (`render_style`).

Stable CSS hooks (tests and users' stylesheets rely on them):
- `.nbnlp-parse`: one parse rendering; standalone it is also its scroller, `.nbnlp-parse.nbnlp-parse-scroll`.
  In the inspector, the gold and the predicted `.nbnlp-parse[data-side="gold"|"predicted"]` sit one above
  the other in one shared `.nbnlp-parse-scroll`, in the same columns when the tokens are the same.
- `svg.nbnlp-deps` (with `data-side` in the inspector): the drawing; `text.nbnlp-word` (with `data-i`, the
  token index) per word, `text.nbnlp-tag` per tag, `path.nbnlp-arc` per arc and `text.nbnlp-arc-label` per
  arc label (both with `data-dep`, the dependent's token index), `path.nbnlp-arrow` per arrowhead.
- `.nbnlp-wrong` on anything wrong (tag, arc, arc label, entity, class bar); `.nbnlp-misaligned` on words
  whose tokenization differs from the gold one.
- `.nbnlp-ents` (entity view) with `mark.nbnlp-ent[data-label]`; `.nbnlp-tokens` (words with tags, for
  docs without a parse); `.nbnlp-cat-bars`; `.nbnlp-doc` per doc of a written page.
"""
from __future__ import annotations

import hashlib
import html
from pathlib import Path
from typing import Collection, Iterable, Mapping, Sequence

from .corpus.atomic import atomic_write
from .doc import Doc
from .render_deps import DepMarks, _token_label, dependency_svgs
from .render_style import (
    BACKGROUND, BAR, BORDER, ENTITY_TEXT, FONT, MISALIGNED_COLOUR, MUTED, PAGE_BACKGROUND, TEXT, WRONG_COLOUR, paint,
)

# Soft colours for entity labels; a label not listed gets a stable colour from its hash.
LABEL_COLOURS = {
    "PER": "#aa9cfc", "PERSON": "#aa9cfc", "ORG": "#7aecec", "LOC": "#ff9561", "GPE": "#feca74",
    "MISC": "#e4e7d2", "DATE": "#bfe1d9", "NORP": "#c887fb", "FAC": "#9cc9cc", "PRODUCT": "#bfeeb7",
}
_FALLBACK = ("#ddd6fe", "#fde68a", "#bbf7d0", "#fecaca", "#bae6fd", "#fbcfe8", "#d9f99d", "#e9d5ff")

PAGE_STYLE = (
    f"body{{font-family:{FONT};margin:1.5em;color:{TEXT};background:{PAGE_BACKGROUND}}}"
    f".nbnlp-doc{{margin:0 0 2em 0;padding-bottom:1em;border-bottom:1px solid {BORDER}}}"
    f".nbnlp-doc h3{{font-size:0.85em;color:{MUTED};font-weight:500;margin:0 0 0.5em 0}}"
)
# The one horizontal scroller of a parse (or of gold and predicted together). `container-type` keeps the
# drawing's width out of the surrounding layout (a notebook output or widget does not grow with it) and lets
# text inside wrap at the visible width (`100cqi`).
SCROLL_STYLE = (
    f"overflow-x:auto;overflow-y:hidden;max-width:100%;container-type:inline-size;background:{BACKGROUND};"
    "border-radius:0.3em"
)


def label_colour(label: str) -> str:
    if label in LABEL_COLOURS:
        return LABEL_COLOURS[label]
    digest = int(hashlib.md5(label.encode("utf8")).hexdigest(), 16)
    return _FALLBACK[digest % len(_FALLBACK)]


def render_entities(doc: Doc) -> str:
    """The doc's text with each entity highlighted and labelled (a <div>)."""
    return render_entities_marked(doc)


def render_entities_marked(doc: Doc, wrong: Collection[tuple[int, int, str]] = ()) -> str:
    """`render_entities`, with the entities keyed (start_char, end_char, label) in `wrong` outlined in red.

    The inspector uses it to show missed gold entities and spurious predicted ones. Marks have pastel
    backgrounds and dark text in either theme.
    """
    text = doc.text
    wrong = set(wrong)
    parts: list[str] = []
    pos = 0
    for ent in doc.ents:
        parts.append(html.escape(text[pos : ent.start_char]))
        label = ent.label_
        is_wrong = (ent.start_char, ent.end_char, label) in wrong
        cls = "nbnlp-ent nbnlp-wrong" if is_wrong else "nbnlp-ent"
        outline = f"outline:2px solid {WRONG_COLOUR};" if is_wrong else ""
        parts.append(
            f'<mark class="{cls}" data-label="{html.escape(label)}" style="background:{label_colour(label)};color:{ENTITY_TEXT};'
            f'{outline}padding:0.15em 0.35em;margin:0 0.1em;border-radius:0.35em;line-height:2.2">'
            f"{html.escape(text[ent.start_char:ent.end_char])}"
            f'<span style="font-size:0.7em;font-weight:700;margin-left:0.4em;text-transform:uppercase;color:{ENTITY_TEXT};'
            f'vertical-align:middle">{html.escape(label)}</span></mark>'
        )
        pos = ent.end_char
    parts.append(html.escape(text[pos:]))
    body = "".join(parts).replace("\n", "<br>")
    return f'<div class="nbnlp-ents" style="line-height:2.4;white-space:pre-wrap;overflow-wrap:anywhere">{body}</div>'


def render_dependencies(doc: Doc, *, word_spacing: int = 0, arc_height: int | None = None) -> str:
    """The parse as an inline SVG in its own horizontal scroller: words and tags along the bottom,
    labelled arcs from heads to dependents. `word_spacing` is a least distance between word centres
    (0: as close as the text allows); `arc_height` is accepted for compatibility and unused (arcs are
    as high as their nesting needs)."""
    return render_dependencies_marked(doc, word_spacing=word_spacing)


def render_dependencies_marked(
    doc: Doc,
    *,
    word_spacing: int = 0,
    arc_height: int | None = None,
    tag_attr: str | None = None,
    wrong_arcs: Collection[int] = (),
    wrong_tags: Collection[int] = (),
    misaligned: Collection[int] = (),
) -> str:
    """`render_dependencies` with errors marked: the arcs into the tokens in `wrong_arcs` and the tags
    of the tokens in `wrong_tags` in red, words in `misaligned` (tokenization differs) in amber.

    `tag_attr` ("tag" or "pos") picks the label under each word; by default the tag, else the POS.
    A doc without heads gives the words and tags only.
    """
    marks = DepMarks(wrong_arcs=wrong_arcs, wrong_tags=wrong_tags, misaligned=misaligned)
    (svg,) = dependency_svgs([(doc, marks)], tag_attr=tag_attr, min_spacing=word_spacing)
    return f'<div class="nbnlp-parse nbnlp-parse-scroll" style="{SCROLL_STYLE}">{svg}</div>'


def render_tagged_tokens(
    doc: Doc, tag_attr: str | None = None, *, wrong: Collection[int] = (), misaligned: Collection[int] = ()
) -> str:
    """The words in a row with their tag (or POS, see `render_dependencies_marked`) under each:
    the compact view for docs without a parse. Tokens in `wrong` get a red tag, `misaligned` an amber word."""
    wrong, misaligned = set(wrong), set(misaligned)
    cells = []
    for t in doc:
        if t.is_space:
            continue
        word_style = paint("color", MISALIGNED_COLOUR) + ";text-decoration:underline" if t.i in misaligned else ""
        tag = _token_label(t, tag_attr)
        if t.i in wrong:
            tag_html = f'<span class="nbnlp-wrong" style="{paint("color", WRONG_COLOUR)};font-weight:700">{html.escape(tag)}</span>'
        else:
            tag_html = f'<span style="color:{MUTED}">{html.escape(tag)}</span>'
        cls = ' class="nbnlp-misaligned"' if t.i in misaligned else ""
        cells.append(
            '<span style="display:inline-flex;flex-direction:column;align-items:center;margin:0 0.3em 0.4em 0">'
            f'<span{cls} style="{word_style}">{html.escape(t.text)}</span>'
            f'<span style="font-size:0.75em">{tag_html or "&nbsp;"}</span></span>'
        )
    return f'<div class="nbnlp-tokens" style="display:flex;flex-wrap:wrap;line-height:1.3">{"".join(cells)}</div>'


def render_cat_bars(
    cats: Mapping[str, float], *, highlight: Collection[str] = (), wrong: Collection[str] = (), max_labels: int = 12
) -> str:
    """Class scores as horizontal bars, highest first; labels in `highlight` bold, bars in `wrong` red."""
    highlight, wrong = set(highlight), set(wrong)
    rows = []
    for label, score in sorted(cats.items(), key=lambda kv: (-kv[1], kv[0]))[:max_labels]:
        pct = max(0.0, min(1.0, float(score))) * 100
        colour = WRONG_COLOUR if label in wrong else BAR
        cls = ' class="nbnlp-wrong"' if label in wrong else ""
        weight = "700" if label in highlight else "400"
        rows.append(
            f'<div{cls} data-label="{html.escape(label)}" style="display:flex;align-items:center;gap:0.5em;font-size:0.85em">'
            f'<span style="width:9em;overflow:hidden;text-overflow:ellipsis;white-space:nowrap;font-weight:{weight}">{html.escape(label)}</span>'
            f'<span style="flex:0 0 10em;height:0.8em;background:{BORDER};border-radius:0.2em">'
            f'<span style="display:block;height:100%;width:{pct:.1f}%;background:{colour};border-radius:0.2em"></span></span>'
            f'<span style="font-variant-numeric:tabular-nums">{float(score):.3f}</span></div>'
        )
    return f'<div class="nbnlp-cat-bars">{"".join(rows)}</div>'


def render_doc(doc: Doc, styles: Sequence[str] = ("ents", "deps"), title: str | None = None) -> str:
    """One doc's views (only the annotation layers it has) in a titled block."""
    parts = []
    if title:
        parts.append(f"<h3>{html.escape(title)}</h3>")
    if "ents" in styles and doc.has_annotation("ENT_IOB"):
        parts.append(render_entities(doc))
    if "deps" in styles and doc.has_annotation("HEAD"):
        parts.append(render_dependencies(doc))
    if doc.cats:
        cats = ", ".join(f"{html.escape(k)} {v:.2f}" for k, v in sorted(doc.cats.items(), key=lambda kv: -kv[1]))
        parts.append(f'<div class="nbnlp-cats" style="font-size:0.9em;color:{TEXT}">{cats}</div>')
    if len(parts) == (1 if title else 0):
        parts.append(f"<div>{html.escape(doc.text)}</div>")
    return f'<div class="nbnlp-doc">{"".join(parts)}</div>'


def render_page(docs: Iterable[Doc], *, styles: Sequence[str] = ("ents", "deps"), title: str = "nbnlp") -> str:
    """A complete, self-contained HTML page for a file."""
    blocks = "\n".join(render_doc(doc, styles, title=f"#{k + 1}") for k, doc in enumerate(docs))
    return (
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{html.escape(title)}</title><style>{PAGE_STYLE}</style></head>\n<body>\n"
        f"<h1 style=\"font-size:1.2em\">{html.escape(title)}</h1>\n{blocks}\n</body></html>\n"
    )


# One page per annotation layer: (style, file name, the column that says a doc has the layer).
RENDERINGS = (("deps", "parses.html", "HEAD"), ("ents", "entities.html", "ENT_IOB"))


def write_renderings(docs: Sequence[Doc], folder: str | Path, *, title: str = "nbnlp") -> list[Path]:
    """Write `parses.html` and `entities.html` into `folder` for the layers the docs have; the files written."""
    folder = Path(folder)
    written = []
    for style, name, column in RENDERINGS:
        if any(doc.has_annotation(column) for doc in docs):
            with atomic_write(folder / name, "w", encoding="utf8") as f:
                f.write(render_page(docs, styles=(style,), title=f"{title}: {name[:-5]}"))
            written.append(folder / name)
    return written
