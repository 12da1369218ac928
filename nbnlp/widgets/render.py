"""HTML renderers for entities and dependency parses: self-contained markup, no JavaScript, no IPython.

The same strings serve `nbnlp evaluate --displacy-path` (written to files) and the notebook views
(shown with IPython's HTML display), so they must work anywhere HTML does: inline styles and
inline SVG only.
"""
from __future__ import annotations

import hashlib
import html
from typing import Iterable, Sequence

from ..core.doc import Doc

# Soft colours for entity labels; a label not listed gets a stable colour from its hash.
LABEL_COLOURS = {
    "PER": "#aa9cfc", "PERSON": "#aa9cfc", "ORG": "#7aecec", "LOC": "#ff9561", "GPE": "#feca74",
    "MISC": "#e4e7d2", "DATE": "#bfe1d9", "NORP": "#c887fb", "FAC": "#9cc9cc", "PRODUCT": "#bfeeb7",
}
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
    text = doc.text
    parts: list[str] = []
    pos = 0
    for ent in doc.ents:
        parts.append(html.escape(text[pos : ent.start_char]))
        label = ent.label_
        parts.append(
            f'<mark class="nbnlp-ent" data-label="{html.escape(label)}" style="background:{label_colour(label)};'
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
    words = [t for t in doc if not t.is_space]
    index = {t.i: k for k, t in enumerate(words)}
    arcs = []
    for t in words:
        head = int(doc.arrays["HEAD"][t.i])
        if head < 0 or head == t.i or head not in index:
            continue
        arcs.append((index[head], index[t.i], t.dep_))
    # Level of each arc: one above the highest arc nested inside it, so arcs never cross labels.
    levels: dict[tuple[int, int], int] = {}
    for head, dep, _ in sorted(arcs, key=lambda a: abs(a[0] - a[1])):
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
        out.append(f'<text x="{x:.0f}" y="{offset_y + 22}" text-anchor="middle" fill="currentColor">{html.escape(t.text)}</text>')
        tag = t.tag_ or t.pos_
        if tag:
            out.append(f'<text x="{x:.0f}" y="{offset_y + 40}" text-anchor="middle" fill="#6b7280" font-size="11">{html.escape(tag)}</text>')
    for head, dep, label in arcs:
        lo, hi = min(head, dep), max(head, dep)
        level = levels[(lo, hi)]
        x1 = 10 + lo * word_spacing + word_spacing / 2 + 6
        x2 = 10 + hi * word_spacing + word_spacing / 2 - 6
        y = offset_y - level * arc_height
        out.append(
            f'<path d="M{x1:.0f},{offset_y} C{x1:.0f},{y} {x2:.0f},{y} {x2:.0f},{offset_y}" '
            'fill="none" stroke="#4b5563" stroke-width="1.5"/>'
        )
        tip = x2 if dep == hi else x1
        out.append(f'<path d="M{tip - 4:.0f},{offset_y - 7} L{tip:.0f},{offset_y} L{tip + 4:.0f},{offset_y - 7}" fill="#4b5563"/>')
        out.append(
            f'<text x="{(x1 + x2) / 2:.0f}" y="{y + level * 2 + 4:.0f}" text-anchor="middle" font-size="11" '
            f'fill="#1d4ed8" style="paint-order:stroke" stroke="white" stroke-width="3">{html.escape(label)}</text>'
        )
    out.append("</svg>")
    return f'<div class="nbnlp-parse" style="overflow-x:auto">{"".join(out)}</div>'


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
