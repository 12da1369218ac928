"""HTML renderers for entities and dependency parses: self-contained markup, no JavaScript, no IPython.

The same strings serve `nbnlp evaluate --displacy-path` (written to files by `write_renderings`) and
the notebook views (shown with IPython's HTML display), so they must work anywhere HTML does:
inline styles and inline SVG only.
"""
from __future__ import annotations

import hashlib
import html
from pathlib import Path
from typing import Collection, Iterable, Mapping, Sequence

from .corpus.atomic import atomic_write
from .doc import Doc

# Soft colours for entity labels; a label not listed gets a stable colour from its hash.
LABEL_COLOURS = {
    "PER": "#aa9cfc", "PERSON": "#aa9cfc", "ORG": "#7aecec", "LOC": "#ff9561", "GPE": "#feca74",
    "MISC": "#e4e7d2", "DATE": "#bfe1d9", "NORP": "#c887fb", "FAC": "#9cc9cc", "PRODUCT": "#bfeeb7",
}
WRONG_COLOUR = "#dc2626"  # errors in the inspector
MISALIGNED_COLOUR = "#d97706"  # tokens whose tokenization differs from the gold one
_FALLBACK = ("#ddd6fe", "#fde68a", "#bbf7d0", "#fecaca", "#bae6fd", "#fbcfe8", "#d9f99d", "#e9d5ff")

PAGE_STYLE = (
    "body{font-family:system-ui,-apple-system,'Segoe UI',sans-serif;margin:1.5em;color:#1f2937}"
    ".nbnlp-doc{margin:0 0 2em 0;padding-bottom:1em;border-bottom:1px solid #e5e7eb}"
    ".nbnlp-doc h3{font-size:0.85em;color:#6b7280;font-weight:500;margin:0 0 0.5em 0}"
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

    The inspector uses it to show missed gold entities and spurious predicted ones.
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
            f'<mark class="{cls}" data-label="{html.escape(label)}" style="background:{label_colour(label)};{outline}'
            'padding:0.15em 0.35em;margin:0 0.1em;border-radius:0.35em;line-height:2.2">'
            f"{html.escape(text[ent.start_char:ent.end_char])}"
            '<span style="font-size:0.7em;font-weight:700;margin-left:0.4em;text-transform:uppercase;'
            f'vertical-align:middle">{html.escape(label)}</span></mark>'
        )
        pos = ent.end_char
    parts.append(html.escape(text[pos:]))
    body = "".join(parts).replace("\n", "<br>")
    return f'<div class="nbnlp-ents" style="line-height:2.4;white-space:pre-wrap">{body}</div>'


def render_dependencies(doc: Doc, *, word_spacing: int = 90, arc_height: int = 28) -> str:
    """An inline SVG of the parse: words and tags along the bottom, labelled arcs from heads to dependents."""
    return render_dependencies_marked(doc, word_spacing=word_spacing, arc_height=arc_height)


def render_dependencies_marked(
    doc: Doc,
    *,
    word_spacing: int = 90,
    arc_height: int = 28,
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
    wrong_arcs, wrong_tags, misaligned = set(wrong_arcs), set(wrong_tags), set(misaligned)
    words = [t for t in doc if not t.is_space]
    index = {t.i: k for k, t in enumerate(words)}
    arcs = []
    for t in words:
        head = int(doc.arrays["HEAD"][t.i])
        if head < 0 or head == t.i or head not in index:
            continue
        arcs.append((index[head], index[t.i], t.dep_, t.i in wrong_arcs))
    # Level of each arc: one above the highest arc nested inside it, so arcs never cross labels.
    levels: dict[tuple[int, int], int] = {}
    for head, dep, _, _ in sorted(arcs, key=lambda a: abs(a[0] - a[1])):
        lo, hi = min(head, dep), max(head, dep)
        inner = [lvl for (a, b), lvl in levels.items() if lo <= a and b <= hi and (a, b) != (lo, hi)]
        levels[(lo, hi)] = 1 + max(inner, default=0)
    top = max(levels.values(), default=0)
    offset_y = top * arc_height + 30
    width = max(len(words), 1) * word_spacing + 20
    height = offset_y + 60
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="nbnlp-deps" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" style="font-family:inherit;font-size:13px;max-width:none">'
    ]
    for k, t in enumerate(words):
        x = 10 + k * word_spacing + word_spacing / 2
        if t.i in misaligned:
            out.append(_svg_text(x, offset_y + 22, t.text, MISALIGNED_COLOUR, css_class="nbnlp-misaligned", extra='text-decoration="underline"'))
        else:
            out.append(_svg_text(x, offset_y + 22, t.text, "currentColor"))
        tag = _token_label(t, tag_attr)
        if tag:
            if t.i in wrong_tags:
                out.append(_svg_text(x, offset_y + 40, tag, WRONG_COLOUR, css_class="nbnlp-wrong", extra='font-size="11" font-weight="700"'))
            else:
                out.append(_svg_text(x, offset_y + 40, tag, "#6b7280", extra='font-size="11"'))
    for head, dep, label, is_wrong in arcs:
        lo, hi = min(head, dep), max(head, dep)
        level = levels[(lo, hi)]
        x1 = 10 + lo * word_spacing + word_spacing / 2 + 6
        x2 = 10 + hi * word_spacing + word_spacing / 2 - 6
        y = offset_y - level * arc_height
        stroke, label_fill, cls = (WRONG_COLOUR, WRONG_COLOUR, ' class="nbnlp-wrong"') if is_wrong else ("#4b5563", "#1d4ed8", "")
        out.append(
            f'<path{cls} d="M{x1:.0f},{offset_y} C{x1:.0f},{y} {x2:.0f},{y} {x2:.0f},{offset_y}" '
            f'fill="none" stroke="{stroke}" stroke-width="1.5"/>'
        )
        tip = x2 if dep == hi else x1
        out.append(f'<path d="M{tip - 4:.0f},{offset_y - 7} L{tip:.0f},{offset_y} L{tip + 4:.0f},{offset_y - 7}" fill="{stroke}"/>')
        out.append(
            f'<text{cls} x="{(x1 + x2) / 2:.0f}" y="{y + level * 2 + 4:.0f}" text-anchor="middle" font-size="11" '
            f'fill="{label_fill}" style="paint-order:stroke" stroke="white" stroke-width="3">{html.escape(label)}</text>'
        )
    out.append("</svg>")
    return f'<div class="nbnlp-parse" style="overflow-x:auto">{"".join(out)}</div>'


def _svg_text(x: float, y: float, text: str, fill: str, *, css_class: str = "", extra: str = "") -> str:
    """One centred SVG text (a word or its tag); `extra` adds attributes after the fill (font, underline)."""
    cls = f'class="{css_class}" ' if css_class else ""
    return f'<text {cls}x="{x:.0f}" y="{y}" text-anchor="middle" fill="{fill}"{" " + extra if extra else ""}>{html.escape(text)}</text>'


def _token_label(token: object, tag_attr: str | None) -> str:
    if tag_attr == "tag":
        return token.tag_  # type: ignore[attr-defined]
    if tag_attr == "pos":
        return token.pos_  # type: ignore[attr-defined]
    return token.tag_ or token.pos_  # type: ignore[attr-defined]


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
        word_style = f"color:{MISALIGNED_COLOUR};text-decoration:underline" if t.i in misaligned else ""
        tag = _token_label(t, tag_attr)
        if t.i in wrong:
            tag_html = f'<span class="nbnlp-wrong" style="color:{WRONG_COLOUR};font-weight:700">{html.escape(tag)}</span>'
        else:
            tag_html = f'<span style="color:#6b7280">{html.escape(tag)}</span>'
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
        colour = WRONG_COLOUR if label in wrong else "#60a5fa"
        cls = ' class="nbnlp-wrong"' if label in wrong else ""
        weight = "700" if label in highlight else "400"
        rows.append(
            f'<div{cls} data-label="{html.escape(label)}" style="display:flex;align-items:center;gap:0.5em;font-size:0.85em">'
            f'<span style="width:9em;overflow:hidden;text-overflow:ellipsis;white-space:nowrap;font-weight:{weight}">{html.escape(label)}</span>'
            '<span style="flex:0 0 10em;height:0.8em;background:#e5e7eb;border-radius:0.2em">'
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
        parts.append(f'<div class="nbnlp-cats" style="font-size:0.9em;color:#374151">{cats}</div>')
    if len(parts) == (1 if title else 0):
        parts.append(f"<div>{html.escape(doc.text)}</div>")
    return f'<div class="nbnlp-doc">{"".join(parts)}</div>'


def render_page(docs: Iterable[Doc], *, styles: Sequence[str] = ("ents", "deps"), title: str = "nbnlp") -> str:
    """A complete, self-contained HTML page for a file."""
    blocks = "\n".join(render_doc(doc, styles, title=f"#{k + 1}") for k, doc in enumerate(docs))
    return (
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
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
