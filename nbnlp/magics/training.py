"""`%%nlp_config` and `%nlp_train`: a config cell with its override form, and training with a live view."""
from __future__ import annotations

import html
from typing import Any, Optional

from IPython.core.error import UsageError
from IPython.core.magic import cell_magic, line_magic, magics_class
from IPython.core.magic_arguments import argument, magic_arguments
from IPython.display import HTML, display

from ..arguments import CODE, arg
from ..core.config import ConfigError
from ..core.scores.display import format_score
from ..magic_args import command_arguments, parse_line
from ..magic_errors import user_errors
from .base import CONFIG_NAME, DEFAULT_CONFIG_NAME, DEFAULT_RESULT_NAME, NamespaceMagics, result_name
from .live import CellInterrupted, drive, view_kind


@magics_class
class TrainingMagics(NamespaceMagics):
    """`%%nlp_config` and `%nlp_train`."""

    # ----- %%nlp_config ------------------------------------------------------------------------------
    @magic_arguments()
    @argument(*CONFIG_NAME.flags, **CONFIG_NAME.options)
    @argument("--no-form", action="store_true", help="show the config without the override form")
    @argument(*CODE.flags, **CODE.options)
    @cell_magic
    @user_errors
    def nlp_config(self, line: str, cell: str) -> None:
        """Parse, fill and validate the cell body as a training config and store it as NAME.

        The body uses thinc's config syntax (`${section.key}` references; IPython's `$var` is not
        expanded). Unset corpus paths are fine: give them when training (`--paths.train ...`).
        """
        from ..core.training.check import check_config
        from ..core.util import import_code

        args, _ = parse_line(self.nlp_config, line)
        if not args.name.isidentifier():
            raise UsageError(f"{args.name!r} is not a valid variable name")
        import_code(args.code)  # the cell may name functions (architectures, readers...) the code registers
        checked = check_config(cell)
        if checked.problems:
            raise ConfigError(checked.problems)
        self.ns[args.name] = checked.config
        for line in getattr(checked, "substitutions", ()):  # a spaCy config: what stands in for what, said once
            print(line)
        display(HTML(_config_header(args.name, checked)))
        if args.no_form:
            return
        self._show_form(args.name, checked.config)

    def _show_form(self, name: str, config: Any) -> None:
        from ..widgets.config_form import ConfigForm

        def on_change(new_config: Any, overrides: dict[str, Any]) -> None:
            self.ns[name] = new_config

        def on_train(new_config: Any) -> None:
            self.ns[name] = new_config
            try:
                output = user_errors(self._run_output)(name)[0]  # a folder that cannot be made: one line, as in a cell
                self.run_training(new_config, DEFAULT_RESULT_NAME, output=output, view="widget")
            except UsageError as err:
                display(HTML(f'<pre style="color:#dc2626">UsageError: {html.escape(str(err))}</pre>'))

        form = ConfigForm(config, on_change=on_change, on_train=on_train)
        self.ns[f"{name}_form"] = form  # for code that reads or sets the form's values
        display(form.widget)

    # ----- %nlp_train --------------------------------------------------------------------------------
    @command_arguments("train", before=[
        arg("config", nargs="?", default=DEFAULT_CONFIG_NAME, help="config variable, config file, or 'demo' (default: config)"),
        arg("--output", "-o", default=None, help="run folder for model-best, model-last, checkpoint/ and run.json (default: a new "
            "training/<config name>/run-N); one that holds a run already needs --resume or --overwrite"),
    ], after=[
        result_name(DEFAULT_RESULT_NAME),
        arg("--view", default="auto", choices=["auto", "html", "console"], help="live view: HTML (notebooks) or console"),
    ])
    @line_magic
    @user_errors
    def nlp_train(self, line: str) -> None:
        """Train a pipeline with a live view; `--section.key value` pairs after the options override the config.

        The Stop button ends training after the current step: model-best, model-last and the
        checkpoint are saved, the result is stored and the notebook goes on. Interrupting the kernel
        saves the same way, then ends the cell as interrupted (a Run All stops there). The result
        (`.nlp`, `.best_score`, `.history`, `.model_best`, `.model_last`) is stored in the variable
        named by --as; `--resume` continues a stopped run.
        """
        from ..core.util import import_code

        args, overrides = parse_line(self.nlp_train, line, overrides=True)
        if not args.result_name.isidentifier():
            raise UsageError(f"--as {args.result_name!r} is not a valid variable name")
        import_code(args.code)
        source, name = self._config_source(args.config)
        output, resume = self._run_output(name, args.output, resume=args.resume, overwrite=args.overwrite)
        self.run_training(source, args.result_name, output=output, overrides=overrides, gpu_id=args.gpu_id, view=args.view,
                          resume=resume, overwrite=args.overwrite, workers=args.workers, address=args.address, end_cell_if_interrupted=True,
                          base_model=self._pipeline_path(args.base_model) if args.base_model else None)

    @user_errors
    def run_training(
        self, config: Any, result_name: str = DEFAULT_RESULT_NAME, *, output: Optional[str] = None,
        overrides: Optional[dict[str, Any]] = None, gpu_id: Optional[int] = None, view: str = "auto", resume: bool = False,
        workers: int = 1, address: Optional[str] = None, end_cell_if_interrupted: bool = False, overwrite: bool = False,
        base_model: Optional[str] = None,
    ) -> Any:
        """Train `config` in this kernel with a live view and a Stop button; bind and return the TrainResult.

        With `resume`, the run saved in `output` continues from its checkpoint, and the view starts
        with the earlier evaluations. A kernel Interrupt saves and binds the result as the Stop
        button does; with `end_cell_if_interrupted` the cell then ends as interrupted (one line)."""
        from ..core.training import iter_training
        from ..widgets.stop_button import StopButton
        from ..widgets.training_view import INTERRUPTED, ConsoleTrainingView, HTMLTrainingView, TrainingProgress

        run = iter_training(config, output, overrides=overrides, use_gpu=gpu_id, resume=resume, overwrite=overwrite,
                            workers=workers, address=address, base_model=base_model)  # device, build, initialise: here
        for line in getattr(run.setup, "substitutions", ()):  # a spaCy config file: what stands in for what, said once
            print(line)
        progress = TrainingProgress.for_run(run)
        kind = view_kind(self.shell, view)
        stop = StopButton(run.request_stop) if kind == "html" and StopButton.available(self.shell) else None
        if kind == "widget":  # inside an ipywidgets.Output (the form's Train button): update a widget's value
            import ipywidgets

            live: Any = HTMLTrainingView(progress, widget=ipywidgets.HTML())
        else:
            live = HTMLTrainingView(progress, stop_button=stop) if kind == "html" else ConsoleTrainingView(progress)
        status = drive(run, live, stop)
        result = run.result
        assert result is not None
        progress.evaluations = list(result.history)  # one the view never got (an interrupt right after it) is shown too
        live.finish(status, _ending(status, result), _saved_lines(result, result_name))
        self.ns[result_name] = result
        if status == INTERRUPTED and end_cell_if_interrupted:
            raise CellInterrupted(f"Training interrupted at step {result.steps:,}: " + _kept(result, result_name))
        self.last_stop_button = stop  # its `polls` and `poll_seconds` say what watching for the click cost
        return result


def _kept(result: Any, result_name: str) -> str:
    """What a stopped run kept, in one clause."""
    saved = "model-best and model-last saved, " if result.model_last is not None else ""
    resume = " (continue with --resume)" if result.checkpoint is not None else ""
    return f"{saved}result stored as {result_name}{resume}"


def _ending(status: str, result: Any) -> str:
    """The view's message after its status word."""
    from ..widgets.training_view import FINISHED

    if status == FINISHED:
        return f"stopped by {result.stop_reason}" if result.stop_reason else ""
    resume = " (continue with --resume)" if result.checkpoint is not None else ""
    return f"stopped cleanly at step {result.steps:,}; the result holds the best pipeline so far{resume}"


def _config_header(name: str, checked: Any) -> str:
    """The stored config's summary, with notes about settings still to give (e.g. corpus paths)."""
    from ..widgets.config_view import config_summary_html

    body = config_summary_html(checked.config, title=name)
    notes = "".join(
        f'<li><code>{html.escape(n.loc)}</code>: {html.escape(n.message)} (give it when training: '
        f'<code>--{html.escape(n.loc if n.loc.startswith("paths.") else n.loc)} PATH</code>)</li>'
        for n in checked.notes
    )
    pipeline = ", ".join(checked.nlp.pipe_names) if checked.nlp is not None else ""
    head = f'<div style="font-weight:600">Config stored as <code>{html.escape(name)}</code> (override form: <code>{html.escape(name)}_form</code>)' + (f" · pipeline: {html.escape(pipeline)}" if pipeline else "") + "</div>"
    return f'<div class="nbnlp-config-cell">{head}' + (f'<ul style="color:#92400e;margin:2px 0">{notes}</ul>' if notes else "") + f"{body}</div>"


def _saved_lines(result: Any, name: str) -> list[str]:
    lines = []
    if result.model_best is not None:
        lines.append(f"model-best: {result.model_best} (score {format_score('score', result.best_score)} at step {result.best_step})")
    if result.model_last is not None:
        lines.append(f"model-last: {result.model_last} (step {result.steps})")
    lines.append(f"Result stored as {name}: {name}.nlp is the best pipeline, {name}.history holds {len(result.history)} evaluations")
    return lines


