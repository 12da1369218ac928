"""The runs table in a notebook: one row per run, sortable, with checkboxes choosing the runs whose score curves
are overlaid in one plot below it.

It only draws what `nbnlp.core.training.runs` computed (rows, settings that differ, curves); the plot is
`nbnlp.runs_plot`'s PNG in an `ipywidgets.Image`. Colours come from JupyterLab's CSS variables, with
fallbacks for other front ends, so the table reads in the dark theme too.
"""
from __future__ import annotations

import html
from typing import Any, Sequence

from ..core.training.runs import TABLE_HEADERS, RunInfo, curves, sort_runs, table_rows

TEXT = "var(--jp-content-font-color1, #1f2937)"
MUTED = "var(--jp-content-font-color2, #4b5563)"
BORDER = "var(--jp-border-color2, #e5e7eb)"
MONO = "var(--jp-code-font-family, monospace)"
# Sort key behind each column header (SETTINGS cannot be sorted).
COLUMN_KEYS = {"RUN": "name", "STATUS": "status", "STEPS": "steps", "TIME": "time", "BEST": "score", "AT STEP": "step"}
WIDTHS = {"RUN": "110px", "STATUS": "90px", "STEPS": "60px", "TIME": "70px", "BEST": "64px", "AT STEP": "64px", "SETTINGS": "auto"}
STATUS_COLOURS = {"running": "var(--jp-info-color1, #2563eb)", "failed": "var(--jp-error-color1, #dc2626)",
                  "killed": "var(--jp-error-color1, #dc2626)", "interrupted": "var(--jp-warn-color1, #b45309)"}


class RunsView:
    """A sortable runs table with a curves plot of the selected runs (all at first, at most MAX_SELECTED)."""

    MAX_SELECTED = 10

    def __init__(self, runs: Sequence[RunInfo], *, folder: Any = "", sort: str = "name", metric: str = "score") -> None:
        import ipywidgets as w

        self.folder = str(folder)
        self.metric = metric
        self.sort_key = sort
        self.runs = sort_runs(list(runs), sort)
        self.selected = {r.name for r in self.runs[: self.MAX_SELECTED]}
        self._boxes: dict[str, Any] = {}
        self.title = w.HTML(self._title_html())
        self.sort_control = w.Dropdown(options=[(k, k) for k in ("name", "status", "steps", "time", "score", "step", "started")],
                                       value=sort.lstrip("-"), description="sort by", layout=w.Layout(width="200px"))
        self._syncing = False
        self.sort_control.observe(self._on_sort_control, names="value")
        self.table = w.VBox(layout=w.Layout(overflow_x="auto"))
        self.image = w.Image(format="png", layout=w.Layout(max_width="100%"))
        self.widget = w.VBox([self.title, self.sort_control, self.table, self.image])
        self.widget.add_class("nbnlp-runs")
        self._draw_table()
        self._draw_plot()

    # ----- actions (the header buttons, the dropdown and the checkboxes call these) ------------------------------
    def sort_by(self, key: str) -> None:
        """Sort by `key` ("-KEY" reverses); the column sorted by already, clicked again, reverses its order."""
        base = key.lstrip("-")
        if not key.startswith("-") and base == self.sort_key.lstrip("-"):
            key = base if self.sort_key.startswith("-") else f"-{base}"
        self.runs = sort_runs(self.runs, key)
        self.sort_key = key
        if self.sort_control.value != base:
            self._syncing = True
            try:
                self.sort_control.value = base
            finally:
                self._syncing = False
        self._draw_table()

    def _on_sort_control(self, change: dict[str, Any]) -> None:
        if not self._syncing:
            self.sort_by(change["new"])

    def select(self, name: str, on: bool = True) -> None:
        (self.selected.add if on else self.selected.discard)(name)
        box = self._boxes.get(name)
        if box is not None and box.value != on:
            box.value = on
        self._draw_plot()

    def plot_png(self) -> bytes:
        from ..runs_plot import runs_png

        return runs_png(curves([r for r in self.runs if r.name in self.selected], self.metric), metric=self.metric)

    # ----- drawing ----------------------------------------------------------------------------------------
    def _title_html(self) -> str:
        where = f" in <code>{html.escape(self.folder)}</code>" if self.folder else ""
        return (f'<div style="color:{TEXT};font-weight:600">{len(self.runs)} run{"s" if len(self.runs) != 1 else ""}{where}'
                f'<span style="color:{MUTED};font-weight:400"> · best scores in %, settings that differ from the first run; '
                "tick runs to overlay their curves, click a column to sort</span></div>")

    def _draw_table(self) -> None:
        import ipywidgets as w

        header = [w.HTML(f'<b style="color:{TEXT}">✓</b>', layout=w.Layout(width="32px"))]
        for name in TABLE_HEADERS:
            key = COLUMN_KEYS.get(name)
            if key is None:
                header.append(w.HTML(f'<b style="color:{TEXT}">{name}</b>', layout=w.Layout(width=WIDTHS[name])))
                continue
            arrow = (" ▼" if self.sort_key.startswith("-") != (key == "score") else " ▲") if self.sort_key.lstrip("-") == key else ""
            button = w.Button(description=name + arrow, tooltip=f"sort by {key}", layout=w.Layout(width=WIDTHS[name]))
            button.add_class("nbnlp-runs-sort")
            button.on_click(lambda _, key=key: self.sort_by(key))
            header.append(button)
        rows = [w.HBox(header)]
        self._boxes = {}
        for run, cells in zip(self.runs, table_rows(self.runs)):
            box = w.Checkbox(value=run.name in self.selected, indent=False, layout=w.Layout(width="32px"))
            box.observe(lambda change, name=run.name: self.select(name, change["new"]), names="value")
            self._boxes[run.name] = box
            rows.append(w.HBox([box, *(w.HTML(self._cell(header, value, run), layout=w.Layout(width=WIDTHS[header]))
                                       for header, value in zip(TABLE_HEADERS, cells))]))
        self.table.children = rows

    @staticmethod
    def _cell(column: str, value: str, run: RunInfo) -> str:
        colour = STATUS_COLOURS.get(value, TEXT) if column == "STATUS" else TEXT
        title = f' title="{html.escape(run.error)}"' if column == "STATUS" and run.error else ""
        font = f"font-family:{MONO};font-size:90%" if column == "SETTINGS" else ""
        align = "text-align:right;" if column in ("STEPS", "TIME", "BEST", "AT STEP") else ""
        return f'<span style="color:{colour};{align}{font};display:block;padding:0 4px;border-bottom:1px solid {BORDER}"{title}>{html.escape(value)}</span>'

    def _draw_plot(self) -> None:
        self.image.value = self.plot_png()

