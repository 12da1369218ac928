"""`ConfigForm`: edit a config's training and model settings in the notebook, and see the overrides made.

The form never edits the config in place. It keeps the original and the overrides (dotted key ->
value) and builds `.config` with `apply_overrides`, the function `nbnlp train --section.key value`
uses, so the `--section.key value` lines in its diff area are exactly what produced `.config` and
can be pasted after `nbnlp train` or `%nlp_train` to reproduce it.

Fields cover the leaf settings of `[training]`, every block under `[training.optimizer]` and
`[training.batcher]` (e.g. a learn-rate or batch-size schedule) and every component's model
(`[components.NAME.model]` and its nested blocks). `${...}` references and nulls are shown as text
and left alone unless edited; what the user types there is read as JSON where it parses.
"""
from __future__ import annotations

import difflib
import html
import json
import shlex
from dataclasses import dataclass
from typing import Any, Callable, Iterator, Mapping, Optional, Sequence

import ipywidgets as widgets
from thinc.api import Config

from ..core.config import ConfigError, ConfigProblem, apply_overrides, parse_value
from ..core.registry import registered_names
from ..core.training.check import ConfigChecker

TRAINING_BLOCKS = ("optimizer", "batcher")

OnChange = Callable[[Config, dict[str, Any]], Any]
OnTrain = Callable[[Config], Any]

_INPUT_PX = {"int": 140, "float": 140, "choice": 260, "str": 260, "raw": 260, "json": 340}
_INVALID_BORDER = "2px solid #dc2626"
_MODIFIED_BAR = "4px solid #f59e0b"  # a field whose value differs from the config as written
_PRE = (
    "margin:0.3em 0;padding:0.4em 0.6em;background:#f3f4f6;border-radius:4px;white-space:pre-wrap;"
    "font-family:ui-monospace,SFMono-Regular,Menlo,monospace;font-size:12px"
)
_NOTE = "color:#6b7280;font-size:12px"


@dataclass
class FormField:
    """One editable setting: its widget, its value in the original config and its current valid value."""

    key: str
    kind: str  # "int" | "float" | "bool" | "choice" | "str" | "raw" | "json"
    original: Any
    widget: widgets.ValueWidget
    value: Any
    error: Optional[str] = None

    @property
    def changed(self) -> bool:
        return not _same(self.value, self.original)


def editable_sections(config: Mapping[str, Any]) -> list[tuple[str, str, list[tuple[str, Any]]]]:
    """(pane, section, [(dotted key, value), ...]) for every section with leaf settings the form edits.

    Panes are "training" and "components.NAME.model" (pipeline order first); a section's
    `@registry` key comes first, nested blocks follow their parent.
    """
    out: list[tuple[str, str, list[tuple[str, Any]]]] = []
    training = config.get("training")
    if isinstance(training, Mapping):
        leaves = _leaves(training, "training")
        if leaves:
            out.append(("training", "training", leaves))
        for name in TRAINING_BLOCKS:
            if isinstance(training.get(name), Mapping):
                out.extend(("training", section, items) for section, items in _walk(training[name], f"training.{name}"))
    components = config.get("components")
    if isinstance(components, Mapping):
        nlp = config.get("nlp") if isinstance(config.get("nlp"), Mapping) else {}
        pipeline = [n for n in (nlp.get("pipeline") or []) if n in components] if isinstance(nlp.get("pipeline"), list) else []
        for name in pipeline + [n for n in components if n not in pipeline]:
            block = components[name]
            if isinstance(block, Mapping) and isinstance(block.get("model"), Mapping):
                pane = f"components.{name}.model"
                out.extend((pane, section, items) for section, items in _walk(block["model"], pane))
    return out


def _leaves(node: Mapping[str, Any], path: str) -> list[tuple[str, Any]]:
    items = [(f"{path}.{k}", v) for k, v in node.items() if not isinstance(v, Mapping)]
    return sorted(items, key=lambda kv: not kv[0].rsplit(".", 1)[1].startswith("@"))  # stable: @key first


def _walk(node: Mapping[str, Any], path: str) -> Iterator[tuple[str, list[tuple[str, Any]]]]:
    leaves = _leaves(node, path)
    if leaves:
        yield path, leaves
    for key, value in node.items():
        if isinstance(value, Mapping):
            yield from _walk(value, f"{path}.{key}")


def format_override_value(value: Any) -> str:
    """`value` as one shell word that `parse_overrides` reads back as the same value.

    Numbers, booleans and null are JSON (`0.2`, `true`, `null`); a string is written bare when it
    would not parse as anything else (`SGD.v1`), else as quoted JSON (`'"100"'`); lists are JSON.
    """
    return shlex.quote(override_arg(value))


def override_arg(value: Any) -> str:
    """`value` as the (unquoted) argument string that `parse_value` turns back into it."""
    if isinstance(value, str) and _same(parse_value(value), value):
        return value
    return json.dumps(value, ensure_ascii=False)


class ConfigForm:
    """An ipywidgets form over a config's training and model settings, with a diff area and a Train button.

    `on_change(config, overrides)` runs after every valid change; `on_train(config)` runs when
    Train is clicked, with its display going to `.output`. Text that does not parse marks its field
    and is reported in the diff area; the field keeps its last valid value meanwhile.
    """

    def __init__(
        self,
        config: Mapping[str, Any],
        *,
        on_change: Optional[OnChange] = None,
        on_train: Optional[OnTrain] = None,
        validate: bool = True,
    ) -> None:
        self._original = Config(config).copy()
        self._on_change = on_change
        self._on_train = on_train
        self._validate = validate
        self._checker = ConfigChecker()  # rebuilds the pipeline only when a model setting changed
        self._config: Config = self._original.copy()
        self._overrides: dict[str, Any] = {}
        self._problems: list[ConfigProblem] = []
        self._apply_error: Optional[str] = None
        self._quiet = False
        self._fields: dict[str, FormField] = {}
        panes: dict[str, list[widgets.Widget]] = {}
        sections = editable_sections(self._original)
        pane_keys: dict[str, list[str]] = {}
        for pane, _, items in sections:
            pane_keys.setdefault(pane, []).extend(key for key, _ in items)
        for pane, section, items in sections:
            desc_px = _description_px(pane_keys[pane])  # one column of inputs per pane
            children = panes.setdefault(pane, [])
            children.append(widgets.HTML(f'<b style="font-family:ui-monospace,monospace;font-size:12px">[{html.escape(section)}]</b>'))
            for key, value in items:
                field = self._make_field(key, value, desc_px)
                self._fields[key] = field
                children.append(field.widget)
        titles = [_pane_title(pane, self._original) for pane in panes]
        self.sections = widgets.Accordion(
            children=[widgets.VBox(children) for children in panes.values()], titles=tuple(titles),
            selected_index=0 if panes else None,
        )
        self.train_button = widgets.Button(
            description="Train", button_style="primary", icon="play", disabled=on_train is None,
            tooltip="Train with this config" if on_train else "No training action was given to this form",
        )
        self.train_button.add_class("nbnlp-train-button")
        self.train_button.on_click(lambda _button: self.train())
        self.reset_button = widgets.Button(description="Reset", icon="undo", tooltip="Back to the config as written")
        self.reset_button.add_class("nbnlp-reset-button")
        self.reset_button.on_click(lambda _button: self.reset())
        self.diff = widgets.HTML()
        self.diff.add_class("nbnlp-config-diff")
        self.output = widgets.Output()
        self.output.add_class("nbnlp-form-output")
        if not self._fields:
            self.sections = widgets.HTML(f'<span style="{_NOTE}">No [training] or model settings to edit.</span>')
        self.widget = widgets.VBox([self.sections, widgets.HBox([self.train_button, self.reset_button]), self.diff, self.output])
        self.widget.add_class("nbnlp-config-form")
        self._refresh(notify=False)

    # ----- public API -------------------------------------------------------------------------
    @property
    def config(self) -> Config:
        """The original config with the form's overrides applied."""
        return self._config

    @property
    def original(self) -> Config:
        return self._original

    @property
    def overrides(self) -> dict[str, Any]:
        """dotted key -> value, for the fields whose value differs from the original."""
        return dict(self._overrides)

    @property
    def fields(self) -> dict[str, widgets.ValueWidget]:
        """dotted key -> widget, in display order."""
        return {key: field.widget for key, field in self._fields.items()}

    @property
    def errors(self) -> dict[str, str]:
        """dotted key -> why the text in that field was not accepted."""
        return {key: field.error for key, field in self._fields.items() if field.error}

    @property
    def problems(self) -> list[ConfigProblem]:
        """What the config check finds wrong with `.config` (empty when `validate=False`)."""
        return list(self._problems)

    def diff_lines(self) -> list[str]:
        """The overrides as `--section.key value` lines, each value one shell word (see `format_override_value`)."""
        return [f"--{key} {format_override_value(value)}" for key, value in self._overrides.items()]

    def diff_args(self) -> list[str]:
        """The overrides as an argument list for `parse_overrides` (no shell quoting)."""
        return [part for key, value in self._overrides.items() for part in (f"--{key}", override_arg(value))]

    def set_value(self, key: str, value: Any) -> None:
        """Change a field as a user would: a string goes into a text field as typed (and may be marked invalid)."""
        field = self._field(key)
        kind = field.kind
        if kind in ("raw", "json"):
            text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
            self._set_widget(field, text)
            return
        if kind == "str":
            if not isinstance(value, str):
                raise TypeError(f"{key}: expected a string, got {value!r}")
        elif kind == "bool":
            if not isinstance(value, bool):
                raise TypeError(f"{key}: expected true or false, got {value!r}")
        elif kind == "int":
            if isinstance(value, bool) or not isinstance(value, int):
                raise TypeError(f"{key}: expected an integer, got {value!r}")
        elif kind == "float":
            if isinstance(value, bool) or not isinstance(value, (int, float)):
                raise TypeError(f"{key}: expected a number, got {value!r}")
            value = float(value)
        elif kind == "choice":
            options = list(field.widget.options)
            if value not in options:
                options = _choices(key, field.original)  # a function registered since the form was built
                if value not in options:
                    raise ValueError(f"{key}: {value!r} is not a registered function; choose from {', '.join(map(str, options))}")
                field.widget.options = options
        self._set_widget(field, value)

    def reset(self) -> None:
        """Every field back to the original config's value."""
        self._quiet = True
        try:
            for field in self._fields.values():
                self._set_widget(field, _widget_value(field.kind, field.original))
                field.value, field.error = field.original, None
                self._mark(field)
        finally:
            self._quiet = False
        self._refresh(notify=True)

    def train(self) -> None:
        """What the Train button does: `on_train(config)`, its display captured in `.output`."""
        from IPython.display import HTML, display

        self.output.clear_output()
        with self.output:
            if self._on_train is None:
                display(HTML(f'<span style="{_NOTE}">This form has no training action.</span>'))
                return
            if self.errors:
                display(HTML(_message_html("Fix the marked fields first", [f"{k}: {e}" for k, e in self.errors.items()], "#b91c1c")))
                return
            self.train_button.disabled = True
            try:
                self._on_train(self.config)
            except _user_errors() as err:
                display(HTML(f'<pre class="nbnlp-error" style="{_PRE};color:#b91c1c">{html.escape(str(err))}</pre>'))
            finally:
                self.train_button.disabled = False

    def _repr_mimebundle_(self, **kwargs: Any) -> Any:
        return self.widget._repr_mimebundle_(**kwargs)

    # ----- fields -----------------------------------------------------------------------------
    def _make_field(self, key: str, value: Any, desc_px: int) -> FormField:
        kind = _kind(key, value)
        common: dict[str, Any] = {
            "description": key,
            "style": {"description_width": f"{desc_px}px"},
            # A checkbox's key is written to the right of the box, so its width grows with the key.
            "layout": widgets.Layout(width=f"{desc_px + (_INPUT_PX[kind] if kind != 'bool' else len(key) * 8 + 40)}px"),
            "tooltip": f"{key} = {_config_text(value)} in the config",
        }
        shown = _widget_value(kind, value)
        if kind == "bool":
            # Indented: the box sits in the column of the other inputs, its key to the right of it.
            widget: widgets.ValueWidget = widgets.Checkbox(value=shown, indent=True, **common)
        elif kind == "int":
            widget = widgets.IntText(value=shown, **common)
        elif kind == "float":
            widget = widgets.FloatText(value=shown, **common)
        elif kind == "choice":
            widget = widgets.Dropdown(options=_choices(key, value), value=shown, **common)
        else:
            placeholder = {"raw": "a value, null or ${section.key}", "json": "a JSON list, e.g. [1, 2]"}.get(kind, "")
            widget = widgets.Text(value=shown, continuous_update=False, placeholder=placeholder, **common)
        field = FormField(key, kind, value, widget, value)
        widget.observe(lambda change, field=field: self._changed(field, change["new"]), names="value")
        return field

    def _field(self, key: str) -> FormField:
        if key not in self._fields:
            close = difflib.get_close_matches(key, list(self._fields), n=1)
            hint = f"; did you mean {close[0]!r}?" if close else ""
            raise KeyError(f"{key!r} is not a setting of this form{hint}")
        return self._fields[key]

    def _set_widget(self, field: FormField, value: Any) -> None:
        if field.widget.value == value and type(field.widget.value) is type(value):
            self._changed(field, value)  # no trait event for an unchanged value: re-read it anyway
        else:
            field.widget.value = value

    def _changed(self, field: FormField, raw: Any) -> None:
        try:
            field.value, field.error = _parse(field, raw), None
        except ValueError as err:
            field.error = str(err)
        self._mark(field)
        if not self._quiet:
            self._refresh(notify=field.error is None)

    def _mark(self, field: FormField) -> None:
        widget = field.widget
        if field.error:
            widget.add_class("nbnlp-invalid")
            widget.layout.border = _INVALID_BORDER
        else:
            widget.remove_class("nbnlp-invalid")
            widget.layout.border = None
        if field.changed:  # marked where it shows (a bar on the left) and in the class the tests and CSS can use
            widget.add_class("nbnlp-modified")
            widget.layout.border_left = _MODIFIED_BAR
            widget.tooltip = f"changed: the config as written has {_widget_value(field.kind, field.original)!r}"
        else:
            widget.remove_class("nbnlp-modified")
            widget.layout.border_left = None
            widget.tooltip = None

    # ----- state ------------------------------------------------------------------------------
    def _refresh(self, *, notify: bool) -> None:
        self._overrides = {key: field.value for key, field in self._fields.items() if field.changed}
        self._apply_error = None
        try:
            self._config = apply_overrides(self._original, self._overrides) if self._overrides else self._original.copy()
        except ConfigError as err:  # every key comes from the config itself, so this would be a bug
            self._apply_error = str(err)
            notify = False
        self._problems = self._check(self._config) if self._validate else []
        self.diff.value = self._diff_html()
        if notify and self._on_change is not None:
            self._on_change(self._config, self.overrides)

    def _check(self, config: Config) -> list[ConfigProblem]:
        """Problems the training config check finds."""
        try:
            return list(self._checker(config).problems)
        except ConfigError as err:
            return list(err.problems)
        except ValueError as err:  # an architecture rejecting its settings: a message meant for the user
            return [ConfigProblem("", str(err))]
        except Exception as err:  # a broken check must not break the form; say so instead
            return [ConfigProblem("", f"the config could not be checked: {type(err).__name__}: {err}")]

    def _diff_html(self) -> str:
        parts = []
        lines = self.diff_lines()
        if lines:
            was = {key: _config_text(field.original) for key, field in self._fields.items()}
            rows = "\n".join(
                f'<span title="was {html.escape(was[key])}">{html.escape(line)}</span>'
                for key, line in zip(self._overrides, lines)
            )
            n = len(lines)
            parts.append(f'<div style="{_NOTE}">{n} override{"s" if n != 1 else ""} (arguments for <code>nbnlp train</code> / <code>%nlp_train</code>):</div>')
            parts.append(f'<pre class="nbnlp-diff-lines" style="{_PRE}">{rows}</pre>')
        else:
            parts.append(f'<div style="{_NOTE}">No overrides: the config is as written.</div>')
        if self.errors:
            parts.append(_message_html("Not applied", [f"{k}: {e}" for k, e in self.errors.items()], "#b91c1c", "nbnlp-config-errors"))
        if self._apply_error:
            parts.append(_message_html("Overrides not applied", [self._apply_error], "#b91c1c", "nbnlp-config-errors"))
        if self._problems:
            parts.append(_message_html("Config problems", [str(p) for p in self._problems], "#b45309", "nbnlp-config-problems"))
        return "".join(parts)


# ----- helpers ------------------------------------------------------------------------------------
def _kind(key: str, value: Any) -> str:
    last = key.rsplit(".", 1)[-1]
    if last.startswith("@") and isinstance(value, str) and _namespace_names(last[1:]) is not None:
        return "choice"
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, int):
        return "int"
    if isinstance(value, float):
        return "float"
    if isinstance(value, str):
        return "raw" if "${" in value else "str"
    if isinstance(value, (list, tuple, dict)):
        return "json"
    return "raw"  # null, or anything else: shown as config text, left alone unless edited


def _namespace_names(namespace: str) -> Optional[list[str]]:
    try:
        return registered_names(namespace)
    except (AttributeError, TypeError):
        return None


def _choices(key: str, current: Any) -> list[str]:
    names = _namespace_names(key.rsplit(".", 1)[-1][1:]) or []
    return names if current in names else sorted([*names, current])


def _widget_value(kind: str, value: Any) -> Any:
    if kind in ("raw", "json"):
        return _config_text(value)
    if kind == "float":
        return float(value)
    return value


def _parse(field: FormField, raw: Any) -> Any:
    """The setting a widget's value stands for; ValueError with a short reason when text does not parse."""
    if field.kind == "raw":
        text = str(raw).strip()
        if text == _config_text(field.original):
            return field.original
        if not text:
            raise ValueError("empty; write null for no value")
        return parse_value(text)
    if field.kind == "json":
        text = str(raw).strip()
        try:
            value = json.loads(text)
        except ValueError as err:
            example = ' (e.g. ["NORM", "SHAPE"] or [])' if isinstance(field.original, (list, tuple)) else ""
            raise ValueError(f"not valid JSON{example}: {err}") from None
        if isinstance(field.original, (list, tuple)) and not isinstance(value, list):
            raise ValueError(f"expected a JSON list, got {text}")
        if isinstance(field.original, dict) and not isinstance(value, dict):
            raise ValueError(f"expected a JSON object, got {text}")
        return value
    return raw


def _config_text(value: Any) -> str:
    """A value as a config file writes it: JSON, with `${...}` references bare."""
    if isinstance(value, str) and "${" in value:
        return value
    try:
        return json.dumps(value, ensure_ascii=False)
    except (TypeError, ValueError):
        return str(value)


def _same(a: Any, b: Any) -> bool:
    """Equal and of the same type (so 1 and true, or 0 and null, count as a change)."""
    if isinstance(a, (list, tuple)) and isinstance(b, (list, tuple)):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b))
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(_same(a[k], b[k]) for k in a)
    return type(a) is type(b) and a == b


def _description_px(keys: Sequence[str]) -> int:
    longest = max((len(k) for k in keys), default=10)
    return min(max(longest * 7 + 12, 120), 380)


def _pane_title(pane: str, config: Mapping[str, Any]) -> str:
    if pane == "training":
        present = [name for name in TRAINING_BLOCKS if isinstance(config["training"].get(name), Mapping)]
        return " · ".join(["[training]", *present])
    node: Any = config
    for part in pane.split("."):
        node = node.get(part, {}) if isinstance(node, Mapping) else {}
    arch = node.get("@architectures") if isinstance(node, Mapping) else None
    return f"[{pane}]" + (f" {arch}" if arch else "")


def _message_html(title: str, items: Sequence[str], colour: str, css_class: str = "nbnlp-message") -> str:
    rows = "".join(f"<li>{html.escape(item)}</li>" for item in items)
    return (
        f'<div class="{css_class}" style="color:{colour};font-size:12px;margin-top:0.3em">'
        f'<b>{html.escape(title)}</b><ul style="margin:0.1em 0 0 0;padding-left:1.4em">{rows}</ul></div>'
    )


def _user_errors() -> tuple[type[BaseException], ...]:
    """Errors that are the user's to fix: shown as a message, not a traceback."""
    try:
        from IPython.core.error import UsageError
    except ImportError:  # pragma: no cover - IPython is a dependency of ipywidgets
        return (ConfigError,)
    return (ConfigError, UsageError)


__all__ = ["ConfigForm", "FormField", "editable_sections", "format_override_value", "override_arg"]
