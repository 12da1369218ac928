"""The pieces the live views share: theme colours, a status line and a scrolling table, as inline-styled HTML.

Colours come from JupyterLab's CSS variables (so the views follow its light and dark themes, in
Notebook 7 too) with fallbacks for places that do not define them (a saved notebook's HTML, VS
Code): a view never sets a dark text colour on the theme's own background. Status colours are
shown as a coloured mark beside text in the theme's colour, since no one colour reads well on
both a white and a near-black background.
"""
from __future__ import annotations

import html
from typing import Optional, Sequence

FONT = "font-family:var(--jp-ui-font-family, system-ui, -apple-system, 'Segoe UI', sans-serif)"
MONO = "font-family:var(--jp-code-font-family, ui-monospace, SFMono-Regular, Menlo, monospace)"
TEXT = "var(--jp-content-font-color1, #1f2937)"
MUTED = "var(--jp-content-font-color2, #4b5563)"
BORDER = "var(--jp-border-color2, #e5e7eb)"
STRONG_BORDER = "var(--jp-border-color1, #9ca3af)"
BACKGROUND = "var(--jp-layout-color0, #fff)"
TRACK = "var(--jp-layout-color3, #e5e7eb)"
BEST_ROW = "rgba(16, 185, 129, 0.18)"  # translucent: the theme's background shows through, the text keeps its colour
ERROR_TEXT = "var(--jp-error-color1, #b91c1c)"

BLUE, GREEN, AMBER, RED, GREY = "#3b82f6", "#10b981", "#f59e0b", "#ef4444", "#9ca3af"

CELL = f"padding:2px 8px;text-align:right;border-bottom:1px solid {BORDER};color:{TEXT}"
TABLE = f"border-collapse:collapse;{MONO};font-size:12px;color:{TEXT}"


def status_html(status: str, message: str = "", colour: str = GREY) -> str:
    """The view's first line: a coloured mark and the status word (+ message) in the theme's text colour."""
    text = html.escape(status + (f": {message}" if message else ""))
    return (
        f'<div class="nbnlp-status" data-status="{html.escape(status.lower())}" style="font-weight:600;color:{TEXT}">'
        f'<span class="nbnlp-status-mark" style="color:{colour}" aria-hidden="true">● </span>{text}</div>'
    )


def note_html(text: str, css_class: str) -> str:
    """A small muted line under the status (progress, plan, saved files)."""
    return f'<div class="{css_class}" style="font-size:12px;color:{MUTED}">{html.escape(text)}</div>'


def progress_bar_html(fraction: Optional[float], colour: str) -> str:
    if fraction is None:
        return ""
    return (
        f'<div class="nbnlp-progress" style="background:{TRACK};border-radius:3px;height:6px;width:100%;max-width:40em;margin:4px 0">'
        f'<div style="background:{colour};width:{100 * fraction:.1f}%;height:6px;border-radius:3px"></div></div>'
    )


def image_html(png: Optional[bytes], css_class: str, alt: str) -> str:
    import base64

    if not png:
        return ""
    data = base64.b64encode(png).decode("ascii")
    return f'<img class="{css_class}" alt="{html.escape(alt)}" style="max-width:100%" src="data:image/png;base64,{data}">'


def table_html(
    headers: Sequence[str],
    rows: Sequence[Sequence[str]],
    *,
    css_class: str,
    row_classes: Sequence[str],
    row_attributes: Sequence[str] = (),
    best: Optional[int] = None,
    cell_styles: Sequence[Sequence[str]] = (),
    newest_last: bool = False,
) -> str:
    """A table in a scroll box (24 lines high) with a sticky header; row `best` highlighted.

    `newest_last` keeps the scroll box at its bottom without JavaScript (column-reverse), so the
    newest rows of a growing table stay in view."""
    head = "".join(
        f'<th style="{CELL};border-bottom:2px solid {STRONG_BORDER};position:sticky;top:0;background:{BACKGROUND}">{html.escape(h)}</th>'
        for h in headers
    )
    body = []
    for i, cells in enumerate(rows):
        is_best = best is not None and i == best
        css = row_classes[i] + (" nbnlp-best" if is_best else "")
        style = f' style="background:{BEST_ROW};font-weight:600"' if is_best else ""
        extra = f" {row_attributes[i]}" if i < len(row_attributes) and row_attributes[i] else ""
        styles = cell_styles[i] if i < len(cell_styles) else ()
        tds = "".join(
            f'<td style="{CELL}{(";" + styles[j]) if j < len(styles) and styles[j] else ""}">{html.escape(c)}</td>' for j, c in enumerate(cells)
        )
        body.append(f'<tr class="{css}"{extra}{style}>{tds}</tr>')
    flow = "display:flex;flex-direction:column-reverse;align-items:flex-start;" if newest_last else ""
    return (
        f'<div style="max-height:24em;overflow:auto;margin:4px 0;{flow}">'
        f'<table class="{css_class}" style="{TABLE}"><thead><tr>{head}</tr></thead><tbody>{"".join(body)}</tbody></table></div>'
    )
