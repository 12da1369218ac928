"""Dependency parses as compact inline SVG that is never clipped: the drawing behind `render_dependencies`.

Layout, in this order of concern:
- Nothing is cut: the SVG's width, height and viewBox are computed from (conservatively) estimated text
  widths, so every word, tag and arc label lies inside it with padding. A word's column is as wide as its
  word or tag, and an arc's span is at least as wide as its label, so labels of neighbouring arcs never
  meet, and labels sit above the words, never on them.
- Compact: words are only as far apart as their text needs (not a fixed spacing), and an arc's height is
  its nesting level (one above the highest arc inside it; crossing arcs take the next free level), not its
  length: a long flat arc stays low. The level step shrinks as levels grow (22 px down to 16 px, the
  label's height), so deep parses do not get huge.
- One scale: the SVG is drawn at its natural size and never scaled down; long sentences scroll inside their
  scroller (see `nbnlp.core.render`), where gold and predicted can share columns (`dependency_svgs`).
- Themes: words are `currentColor`, everything else uses the CSS variables of `render_style`.
"""
from __future__ import annotations

import html
import unicodedata
from dataclasses import dataclass, field
from typing import Any, Collection, Sequence

from .doc import Doc
from .render_style import BACKGROUND, LINK, MISALIGNED_COLOUR, MUTED, WRONG_COLOUR, paint

WORD_SIZE, TAG_SIZE, LABEL_SIZE = 13, 11, 11
PAD = 12  # around the drawing
GAP = 14  # least space between neighbouring words (or tags)
END_OFFSET = 5  # arcs end beside the word's centre, so arcs into and out of a word stay apart
LABEL_ROOM = 2 * END_OFFSET + 10  # an arc's span exceeds its label's width by this
MIN_STEP, MAX_STEP, ARC_ROOM = 16, 22, 150  # level step in px; the arcs' area aims at ARC_ROOM px

_NARROW = set("iljtfI.,:;'!|()[]{}\"` ")
_WIDE = set("mwMW@%&")


def text_width(text: str, size: float, *, bold: bool = False) -> float:
    """A generous estimate of `text`'s width in px (wide fonts such as DejaVu Sans included), so nothing is cut."""
    em = 0.0
    for ch in text:
        if ch in _NARROW:
            em += 0.4
        elif ch in _WIDE:
            em += 1.02
        elif unicodedata.east_asian_width(ch) in ("W", "F"):
            em += 1.05
        elif ch.isupper():
            em += 0.8
        else:
            em += 0.66
    return em * size * (1.1 if bold else 1.0) + 2


@dataclass
class DepMarks:
    """Token indices (of the doc drawn) to mark: arcs into `wrong_arcs` and tags of `wrong_tags` in red,
    words in `misaligned` (tokenization differs from the other side) in amber."""

    wrong_arcs: Collection[int] = ()
    wrong_tags: Collection[int] = ()
    misaligned: Collection[int] = ()


@dataclass
class _Arc:
    head: int  # word positions (not token indices)
    dep: int
    label: str
    token: int  # the dependent's token index
    wrong: bool
    level: int = 0

    @property
    def lo(self) -> int:
        return min(self.head, self.dep)

    @property
    def hi(self) -> int:
        return max(self.head, self.dep)


@dataclass
class _Plan:
    """One doc's words, tags and levelled arcs, and what its columns need."""

    words: list[Any]
    tags: list[str]
    arcs: list[_Arc]
    marks: DepMarks
    widths: list[float] = field(default_factory=list)
    spans: list[tuple[int, int, float]] = field(default_factory=list)  # (lo, hi, least centre distance)


def _token_label(token: Any, tag_attr: str | None) -> str:
    if tag_attr == "tag":
        return token.tag_
    if tag_attr == "pos":
        return token.pos_
    return token.tag_ or token.pos_


def _plan(doc: Doc, tag_attr: str | None, marks: DepMarks) -> _Plan:
    wrong_arcs, wrong_tags = set(marks.wrong_arcs), set(marks.wrong_tags)
    words = [t for t in doc if not t.is_space]
    index = {t.i: k for k, t in enumerate(words)}
    heads = doc.arrays["HEAD"] if doc.has_annotation("HEAD") else None
    arcs = []
    for t in words:
        head = int(heads[t.i]) if heads is not None else -1
        if head < 0 or head == t.i or head not in index:
            continue
        arcs.append(_Arc(index[head], index[t.i], t.dep_, t.i, t.i in wrong_arcs))
    _assign_levels(arcs)
    tags = [_token_label(t, tag_attr) for t in words]
    plan = _Plan(words, tags, arcs, marks)
    plan.widths = [
        max(text_width(t.text, WORD_SIZE), text_width(tag, TAG_SIZE, bold=t.i in wrong_tags) if tag else 0.0)
        for t, tag in zip(words, tags)
    ]
    plan.spans = [(a.lo, a.hi, text_width(a.label, LABEL_SIZE, bold=a.wrong) + LABEL_ROOM) for a in arcs]
    return plan


def _assign_levels(arcs: list[_Arc]) -> None:
    """Shortest arcs first: one level above every arc inside, then up past any crossing arc on that level."""
    placed: list[_Arc] = []
    for arc in sorted(arcs, key=lambda a: (a.hi - a.lo, a.lo)):
        level = 1 + max((p.level for p in placed if arc.lo <= p.lo and p.hi <= arc.hi), default=0)
        while any(p.level == level and p.lo < arc.hi and arc.lo < p.hi for p in placed):
            level += 1
        arc.level = level
        placed.append(arc)


def _columns(widths: Sequence[float], spans: Sequence[tuple[int, int, float]], min_spacing: float) -> tuple[list[float], float]:
    """Word centres left to right, each as close as its text, `min_spacing` and the labels of arcs ending there
    allow; and the total width."""
    needs: dict[int, list[tuple[int, float]]] = {}
    for lo, hi, need in spans:
        needs.setdefault(hi, []).append((lo, need))
    xs: list[float] = []
    for k, w in enumerate(widths):
        x = PAD + w / 2 if k == 0 else xs[-1] + max((widths[k - 1] + w) / 2 + GAP, min_spacing)
        for lo, need in needs.get(k, ()):
            x = max(x, xs[lo] + need)
        xs.append(x)
    width = (xs[-1] + widths[-1] / 2 + PAD) if xs else 2 * PAD
    return xs, width


def _text(x: float, y: float, text: str, css_class: str, size: int, style: str = "", extra: str = "") -> str:
    style_attr = f' style="{style}"' if style else ""
    extra_attr = f" {extra}" if extra else ""
    return (
        f'<text class="{css_class}" x="{x:.1f}" y="{y:.1f}" text-anchor="middle" font-size="{size}"{style_attr}{extra_attr}>'
        f"{html.escape(text)}</text>"
    )


def _draw(plan: _Plan, xs: Sequence[float], width: float, side: str | None) -> str:
    wrong_tags, misaligned = set(plan.marks.wrong_tags), set(plan.marks.misaligned)
    top = max((a.level for a in plan.arcs), default=0)
    step = max(MIN_STEP, min(MAX_STEP, ARC_ROOM // top)) if top else MAX_STEP
    base = PAD + 8 + top * step  # where arcs meet the words; the highest label's top is at PAD
    word_y = base + 4 + WORD_SIZE
    tag_y = word_y + TAG_SIZE + 5
    height = (tag_y if any(plan.tags) else word_y) + 5 + PAD
    side_attr = f' data-side="{side}"' if side else ""
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="nbnlp-deps"{side_attr} width="{width:.0f}" height="{height:.0f}" '
        f'viewBox="0 0 {width:.0f} {height:.0f}" role="img" '
        f'style="display:block;width:{width:.0f}px;height:{height:.0f}px;max-width:none;font-family:inherit">'
    ]
    for k, (t, tag) in enumerate(zip(plan.words, plan.tags)):
        if t.i in misaligned:
            style = paint("fill", MISALIGNED_COLOUR) + ";text-decoration:underline"
            out.append(_text(xs[k], word_y, t.text, "nbnlp-word nbnlp-misaligned", WORD_SIZE, style, f'data-i="{t.i}"'))
        else:
            out.append(_text(xs[k], word_y, t.text, "nbnlp-word", WORD_SIZE, extra=f'fill="currentColor" data-i="{t.i}"'))
        if tag and t.i in wrong_tags:
            out.append(_text(xs[k], tag_y, tag, "nbnlp-tag nbnlp-wrong", TAG_SIZE, paint("fill", WRONG_COLOUR) + ";font-weight:700"))
        elif tag:
            out.append(_text(xs[k], tag_y, tag, "nbnlp-tag", TAG_SIZE, f"fill:{MUTED}"))
    for arc in plan.arcs:
        x1 = xs[arc.lo] + END_OFFSET
        x2 = xs[arc.hi] - END_OFFSET
        y = base - arc.level * step
        r = min(6.0, (x2 - x1) / 2, step / 2)
        wrong = " nbnlp-wrong" if arc.wrong else ""
        stroke = paint("stroke", WRONG_COLOUR) + ";stroke-width:2" if arc.wrong else f"stroke:{MUTED};stroke-width:1.3"
        out.append(
            f'<path class="nbnlp-arc{wrong}" data-dep="{arc.token}" d="M{x1:.1f},{base} V{y + r:.1f} Q{x1:.1f},{y} {x1 + r:.1f},{y} '
            f'H{x2 - r:.1f} Q{x2:.1f},{y} {x2:.1f},{y + r:.1f} V{base}" fill="none" style="{stroke}"/>'
        )
        tip = x1 if arc.dep == arc.lo else x2
        fill = paint("fill", WRONG_COLOUR) if arc.wrong else f"fill:{MUTED}"
        out.append(f'<path class="nbnlp-arrow{wrong}" d="M{tip - 3.5:.1f},{base - 6} L{tip:.1f},{base} L{tip + 3.5:.1f},{base - 6} Z" style="{fill}"/>')
        label_fill = paint("fill", WRONG_COLOUR) + ";font-weight:700" if arc.wrong else f"fill:{LINK}"
        halo = f";stroke:{BACKGROUND};stroke-width:4px;stroke-linejoin:round;paint-order:stroke"
        out.append(_text((x1 + x2) / 2, y + 4, arc.label, f"nbnlp-arc-label{wrong}", LABEL_SIZE, label_fill + halo, f'data-dep="{arc.token}"'))
    out.append("</svg>")
    return "".join(out)


def dependency_svgs(
    docs: Sequence[tuple[Doc, DepMarks]], *, tag_attr: str | None = None, sides: Sequence[str | None] | None = None,
    min_spacing: float = 0.0,
) -> list[str]:
    """One SVG per (doc, marks). Docs with the same words share their columns (gold above predicted then
    line up word for word); `sides` sets each SVG's `data-side`."""
    plans = [_plan(doc, tag_attr, marks) for doc, marks in docs]
    sides = list(sides) if sides is not None else [None] * len(plans)
    texts = [[t.text for t in p.words] for p in plans]
    if len(plans) > 1 and all(t == texts[0] for t in texts):
        widths = [max(ws) for ws in zip(*(p.widths for p in plans))]
        xs, width = _columns(widths, [s for p in plans for s in p.spans], min_spacing)
        return [_draw(p, xs, width, side) for p, side in zip(plans, sides)]
    out = []
    for p, side in zip(plans, sides):
        xs, width = _columns(p.widths, p.spans, min_spacing)
        out.append(_draw(p, xs, width, side))
    return out


__all__ = ["DepMarks", "dependency_svgs", "text_width"]
