"""`debug-data`'s report as HTML: one collapsible section per topic, opened where something needs attention."""
from __future__ import annotations

import html

from ..core.commands.debug_data import ERROR, INFO, OK, WARNING, Report

_MARKS = {OK: ("✔", "#059669"), WARNING: ("⚠", "#d97706"), ERROR: ("✘", "#dc2626"), INFO: ("ℹ", "#2563eb")}


def debug_report_html(report: Report) -> str:
    """Summary line, then a <details> per section (open when it holds warnings or errors)."""
    parts = [
        '<div class="nbnlp-debug-data" style="font-family:system-ui,-apple-system,\'Segoe UI\',sans-serif;font-size:13px">',
        f'<div class="nbnlp-debug-summary" style="font-weight:600;margin-bottom:6px">'
        f'<span style="color:{_MARKS[OK][1]}">{report.n_passed} checks passed</span> · '
        f'<span style="color:{_MARKS[WARNING][1]}">{report.n_warnings} warning{"s" if report.n_warnings != 1 else ""}</span> · '
        f'<span style="color:{_MARKS[ERROR][1]}">{report.n_errors} error{"s" if report.n_errors != 1 else ""}</span></div>',
    ]
    for section in report.sections:
        statuses = {c.status for c in section.checks}
        worst = ERROR if ERROR in statuses else WARNING if WARNING in statuses else OK
        mark, colour = _MARKS[worst]
        is_open = " open" if worst in (ERROR, WARNING) else ""
        parts.append(
            f'<details class="nbnlp-debug-section" data-status="{worst}"{is_open} style="margin:2px 0">'
            f'<summary style="cursor:pointer;font-weight:600"><span style="color:{colour}">{mark}</span> {html.escape(section.title)}</summary>'
            '<ul style="list-style:none;padding-left:1.2em;margin:4px 0">'
        )
        for check in section.checks:
            mark, colour = _MARKS.get(check.status, ("·", "#374151"))
            examples = ""
            if check.examples:
                items = "".join(f"<li><code>{html.escape(e)}</code></li>" for e in check.examples)
                examples = f'<ul style="margin:2px 0 4px 1.2em;color:#4b5563">{items}</ul>'
            parts.append(
                f'<li class="nbnlp-check" data-key="{html.escape(check.key)}" data-status="{check.status}">'
                f'<span style="color:{colour}">{mark}</span> {html.escape(check.message)}{examples}</li>'
            )
        parts.append("</ul></details>")
    parts.append("</div>")
    return "".join(parts)
