"""A compact HTML summary of a config, shown by `%%nlp_config` above the override form.

Pure HTML with inline styles and no JavaScript (it must render in any notebook frontend and in
exported notebooks). Every section is a `<details>` block, collapsed except the ones a user checks
first ([nlp], [training]), so even a five-component config stays a few lines tall; nested blocks
(`[components.tagger.model.tok2vec]`) are nested `<details>`. Corpus paths that do not exist are
flagged, and a section holding one is opened, because that is the mistake that stops training.
"""
from __future__ import annotations

import html
import json
from pathlib import Path
from typing import Any, Iterable, Mapping

OPEN_SECTIONS = ("nlp", "training")
MAX_VALUE_CHARS = 90

_BOX = (
    "font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;font-size:12px;color:#1f2937;"
    "border:1px solid #e5e7eb;border-radius:6px;padding:0.5em 0.8em;margin:0.3em 0;max-width:60em"
)
# Short on purpose: these repeat on every row, and notebooks store the HTML.
_SUMMARY = "cursor:pointer"
_HINT = "color:#6b7280;margin-left:0.6em"
_TABLE = "border-collapse:collapse;margin:0 0 0.3em 1.2em;font-size:12px"
_KEY_CELL = "text-align:left;padding:0 4px 0 0"
_VALUE_CELL = "text-align:left;padding:0 4px"
_NESTED = "margin-left:1.2em"
_CHIP = "padding:0 0.5em;border-radius:0.8em;background:#e0e7ff;color:#3730a3"
_BADGE = "padding:0 0.4em;margin-left:0.5em;border-radius:0.3em;font-size:11px"
_MISSING = _BADGE + ";background:#fee2e2;color:#b91c1c"
_NOT_SET = _BADGE + ";background:#fef3c7;color:#92400e"


def config_summary_html(
    config: Mapping[str, Any],
    *,
    title: str | None = None,
    open_sections: Iterable[str] = OPEN_SECTIONS,
    base_dir: str | Path | None = None,
) -> str:
    """The config as collapsible sections of `key = value` tables (a `<div class="nbnlp-config">`).

    `title` names the config (e.g. the notebook variable); relative corpus paths are checked
    against `base_dir` (default: the working directory, where training will look for them).
    """
    base = Path(base_dir) if base_dir is not None else Path.cwd()
    opened = set(open_sections)
    nlp = config.get("nlp") if isinstance(config.get("nlp"), Mapping) else {}
    pipeline = nlp.get("pipeline") if isinstance(nlp.get("pipeline"), list) else []
    chips = " → ".join(f'<span style="{_CHIP}">{_esc(name)}</span>' for name in pipeline) or '<i style="color:#9ca3af">empty</i>'
    head = (
        f'<div style="margin-bottom:0.35em"><b>{_esc(title or "config")}</b>'
        f'<span style="{_HINT}">lang {_esc(str(nlp.get("lang", "?")))}</span>'
        f'<span style="{_HINT}">pipeline</span> {chips}</div>'
    )
    sections = []
    for name, value in config.items():
        if isinstance(value, Mapping):
            sections.append(_section(str(name), value, base, is_open=str(name) in opened, depth=0))
        else:  # a top-level setting outside any section: unusual, shown as is
            sections.append(_table([(str(name), value, None)]))
    return f'<div class="nbnlp-config" style="{_BOX}">{head}{"".join(sections)}</div>'


def _section(path: str, node: Mapping[str, Any], base: Path, *, is_open: bool, depth: int) -> str:
    """One `<details>` block: its own settings as a table, then its sub-blocks, each collapsed."""
    leaves = _leaves(node)
    rows = [(key, value, _path_status(path, key, value, base)) for key, value in leaves]
    children = [(str(k), v) for k, v in node.items() if isinstance(v, Mapping)]
    nested = [_section(f"{path}.{k}", v, base, is_open=False, depth=depth + 1) for k, v in children]
    problems = _count_path_problems(path, node, base)
    hint = _hint(path, node, len(leaves), problems)
    opened = " open" if is_open or problems["missing"] else ""
    body = (_table(rows) if rows else "") + "".join(nested)
    if not body:
        body = f'<div style="{_TABLE};color:#9ca3af">(empty)</div>'
    style = "" if depth == 0 else f' style="{_NESTED}"'
    return (
        f'<details{opened}{style}><summary style="{_SUMMARY}"><b>[{_esc(path)}]</b>'
        f'<span style="{_HINT}">{hint}</span></summary>{body}</details>'
    )


def _leaves(node: Mapping[str, Any]) -> list[tuple[str, Any]]:
    """A block's own settings, the registered function (`@architectures = ...`) first."""
    items = [(str(k), v) for k, v in node.items() if not isinstance(v, Mapping)]
    return [kv for kv in items if kv[0].startswith("@")] + [kv for kv in items if not kv[0].startswith("@")]


def _hint(path: str, node: Mapping[str, Any], n_leaves: int, problems: Mapping[str, int]) -> str:
    """What a collapsed section says about itself: its function, its components, its path problems."""
    parts = []
    function = next(((k, v) for k, v in node.items() if str(k).startswith("@")), None)
    if function:
        parts.append(f"{_esc(str(function[0]))} = {_value_html(function[1])}")
    if path == "components":
        names = [f"{_esc(str(k))}" + (f" ({_esc(str(v.get('factory')))})" if v.get("factory") not in (None, k) else "")
                 for k, v in node.items() if isinstance(v, Mapping)]
        parts.append(", ".join(names) or "none")
    elif path.startswith("components.") and path.count(".") == 1:
        model = node.get("model")
        arch = model.get("@architectures") if isinstance(model, Mapping) else None
        parts.append(f"factory {_esc(str(node.get('factory')))}" + (f" · {_esc(str(arch))}" if arch else ""))
    elif not function and n_leaves:
        parts.append(f"{n_leaves} setting{'s' if n_leaves != 1 else ''}")
    elif not function:
        parts.append(", ".join(_esc(str(k)) for k, v in node.items() if isinstance(v, Mapping)) or "empty")
    if problems["missing"]:
        parts.append(f'<span style="{_MISSING}">{problems["missing"]} path{"s" if problems["missing"] > 1 else ""} missing</span>')
    if problems["not_set"]:
        parts.append(f'<span style="{_NOT_SET}">{problems["not_set"]} not set</span>')
    return " ".join(p for p in parts if p)


def _table(rows: list[tuple[str, Any, str | None]]) -> str:
    cells = []
    for key, value, status in rows:
        badge = ""
        value_style = _VALUE_CELL
        if status == "missing":
            badge = f'<span style="{_MISSING}">missing</span>'
            value_style += ";background:#fef2f2"
        elif status == "not_set":
            badge = f'<span style="{_NOT_SET}">not set</span>'
        cells.append(
            f'<tr style="background:none"><td style="{_KEY_CELL}">{_esc(key)}</td>'
            f'<td style="{value_style}">= {_value_html(value)}{badge}</td></tr>'
        )
    return f'<table style="{_TABLE}">{"".join(cells)}</table>'


def _is_path_setting(section: str, key: str) -> bool:
    return section == "paths" or key == "path"


def _path_status(section: str, key: str, value: Any, base: Path) -> str | None:
    """"missing" for a path that is not on disk, "not_set" for null, None otherwise (or not a path)."""
    if not _is_path_setting(section, key):
        return None
    if value is None:
        return "not_set"
    if not isinstance(value, str) or not value or "${" in value:
        return None  # a reference is checked where it points to
    path = Path(value).expanduser()
    return None if (path if path.is_absolute() else base / path).exists() else "missing"


def _count_path_problems(path: str, node: Mapping[str, Any], base: Path) -> dict[str, int]:
    """Path problems anywhere under a section, so a collapsed section still shows them."""
    counts = {"missing": 0, "not_set": 0}
    for key, value in node.items():
        if isinstance(value, Mapping):
            for name, n in _count_path_problems(f"{path}.{key}", value, base).items():
                counts[name] += n
        else:
            status = _path_status(path, str(key), value, base)
            if status:
                counts[status] += 1
    return counts


def _text(value: Any) -> str:
    """A value as the config file would write it."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return value if _is_reference(value) else json.dumps(value, ensure_ascii=False)
    try:
        return json.dumps(value, ensure_ascii=False)
    except (TypeError, ValueError):
        return repr(value)


def _value_html(value: Any) -> str:
    text = _text(value)
    short = text if len(text) <= MAX_VALUE_CHARS else text[: MAX_VALUE_CHARS - 1] + "…"
    title = f' title="{_esc(text)}"' if short != text else ""
    if value is None:
        colour = "#9ca3af"
    elif isinstance(value, str) and _is_reference(value):
        colour = "#7c3aed"
    elif isinstance(value, str):
        colour = "#047857"
    elif isinstance(value, (bool, int, float)):
        colour = "#1d4ed8"
    else:
        colour = "#374151"
    return f'<span style="color:{colour}"{title}>{_esc(short)}</span>'


def _is_reference(value: str) -> bool:
    return "${" in value


def _esc(text: str) -> str:
    return html.escape(str(text), quote=True)


__all__ = ["config_summary_html", "OPEN_SECTIONS"]
