"""Colours of the HTML renderers, readable in JupyterLab's light and dark themes and in standalone files.

Every neutral colour is a JupyterLab CSS variable with a light fallback (`var(--jp-..., #hex)`), so a
notebook follows its theme and a file written by `nbnlp evaluate --displacy-path` looks right on its own.
The signal colours (errors red, tokenization differences amber) are mixed with the theme's text colour
(`readable`), which darkens them on a light page and lightens them on a dark one: both keep a contrast of
at least 4.5 against the theme's background. Browsers without `color-mix` get the plain colour first.
Entity marks keep their pastel backgrounds, so their text is dark explicitly (`ENTITY_TEXT`).
"""
from __future__ import annotations

TEXT = "var(--jp-content-font-color1, #1f2937)"
MUTED = "var(--jp-content-font-color2, #6b7280)"
BORDER = "var(--jp-border-color2, #e5e7eb)"
BORDER_STRONG = "var(--jp-border-color1, #9ca3af)"
BACKGROUND = "var(--jp-layout-color1, #fff)"
PAGE_BACKGROUND = "var(--jp-layout-color0, #fff)"
LINK = "var(--jp-content-link-color, #1d4ed8)"  # arc labels: dark blue on light, light blue on dark
BAR = "#60a5fa"
ENTITY_TEXT = "#1f2937"  # on pastel label colours, in either theme

WRONG_COLOUR = "#dc2626"  # errors in the inspector
MISALIGNED_COLOUR = "#d97706"  # tokens whose tokenization differs from the gold one
OK_COLOUR = "#059669"
FONT = "system-ui,-apple-system,'Segoe UI',sans-serif"


def readable(colour: str, share: int = 70) -> str:
    """`colour` mixed with the theme's text colour: a signal colour with enough contrast in either theme."""
    return f"color-mix(in srgb, {colour} {share}%, {TEXT})"


def paint(prop: str, colour: str) -> str:
    """CSS declarations setting `prop` to the readable `colour`, the plain colour first as the fallback."""
    return f"{prop}:{colour};{prop}:{readable(colour)}"


__all__ = [
    "BACKGROUND", "BAR", "BORDER", "BORDER_STRONG", "ENTITY_TEXT", "FONT", "LINK", "MISALIGNED_COLOUR", "MUTED",
    "OK_COLOUR", "PAGE_BACKGROUND", "TEXT", "WRONG_COLOUR", "paint", "readable",
]
