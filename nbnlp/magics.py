"""IPython magics (`%load_ext nbnlp`): parse the line, call one function of `nbnlp.core`, display a view.

Every user mistake (a bad config, a missing file, an unknown variable, a bad argument) becomes an
IPython `UsageError` (`magic_errors.user_errors`), which the notebook shows as one short red
message instead of a traceback; nothing here calls `sys.exit`. Arguments come from the tables the
CLI uses too (`nbnlp.arguments`), so `%nlp_train?` and `nbnlp train --help` agree.
"""
from __future__ import annotations

import html
import re
import sys
from pathlib import Path
from typing import Any, Optional

from IPython.core.error import UsageError
from IPython.core.magic import Magics, cell_magic, line_magic, magics_class
from IPython.core.magic_arguments import argument, magic_arguments
from IPython.display import HTML, Markdown, display

from .arguments import arg
from .core.config import ConfigError
from .core.damaged import DamagedFileError
from .core.scores.display import format_score
from .magic_args import command_arguments, parse_line
from .magic_errors import USER_ERRORS, user_errors

DEFAULT_CONFIG_NAME = "config"
DEFAULT_RESULT_NAME = "train_result"
CONFIG_NAME = arg("name", nargs="?", default=DEFAULT_CONFIG_NAME, help="variable to store the config in (default: config)")
CONFIG_REF = arg("config", nargs="?", default=DEFAULT_CONFIG_NAME, help="config variable or file (default: config)")


def result_name(default: str) -> Any:
    """The `--as NAME` option binding a magic's result."""
    return arg("--as", dest="result_name", default=default, help=f"variable for the result (default: {default})")


def _view_kind(shell: Any, requested: str) -> str:
    """"html" in notebooks (and any non-terminal shell), "console" in terminal IPython."""
    if requested != "auto":
        return requested
    return "console" if type(shell).__name__ == "TerminalInteractiveShell" else "html"


@magics_class
class NlpMagics(Magics):
    """`%%nlp_config`, `%nlp_train`, `%nlp_evaluate`, `%nlp_inspect` and the toolbox commands."""

    # ----- namespace helpers -------------------------------------------------------------------------
    @property
    def ns(self) -> dict[str, Any]:
        return self.shell.user_ns

    def _config_source(self, ref: Optional[str]) -> tuple[Any, str]:
        """A config from a variable (Config, dict or config text), `demo`, or a file; plus a short name for it."""
        from thinc.api import Config

        from .core.commands.init_config import demo_config

        ref = ref or DEFAULT_CONFIG_NAME
        if ref in self.ns:
            value = self.ns[ref]
            if isinstance(value, (Config, dict)):
                return Config(value), ref
            if isinstance(value, (str, Path)):
                return value, ref
            raise UsageError(f"{ref!r} is a {type(value).__name__}, not a config (run a %%nlp_config cell or give a config file)")
        if ref == "demo":
            return demo_config(), "demo"
        if Path(ref).is_file():
            return ref, Path(ref).stem
        hint = " (run a %%nlp_config cell first)" if ref == DEFAULT_CONFIG_NAME else ""
        raise UsageError(f"no config variable or file named {ref!r}{hint}")

    def _pipeline(self, ref: str) -> Any:
        """A Language from a variable (Language, TrainResult, EvaluationResult's source) or a model path/package."""
        from .core.language import Language, load
        from .core.training.train import TrainResult

        if ref in self.ns:
            value = self.ns[ref]
            if isinstance(value, Language):
                return value
            if isinstance(value, TrainResult):
                return value.nlp
            if isinstance(value, (str, Path)):
                ref = str(value)
            else:
                raise UsageError(f"{ref!r} is a {type(value).__name__}, not a pipeline (a Language, a training result or a model path)")
        try:
            return load(ref)
        except (ConfigError, DamagedFileError):
            raise  # a pipeline folder that does not load: its own message names the file and what to do
        except USER_ERRORS as err:
            raise UsageError(f"no pipeline variable, folder or installed package named {ref!r} ({err})") from None

    def _path(self, ref: str) -> str:
        """A data path given literally or through a variable holding a path."""
        value = self.ns.get(ref) if ref.isidentifier() else None
        return str(value) if isinstance(value, (str, Path)) else ref

    # ----- %%nlp_config ------------------------------------------------------------------------------
    @magic_arguments()
    @argument(*CONFIG_NAME.flags, **CONFIG_NAME.options)
    @argument("--no-form", action="store_true", help="show the config without the override form")
    @cell_magic
    @user_errors
    def nlp_config(self, line: str, cell: str) -> None:
        """Parse, fill and validate the cell body as a training config and store it as NAME.

        The body uses thinc's config syntax (`${section.key}` references; IPython's `$var` is not
        expanded). Unset corpus paths are fine: give them when training (`--paths.train ...`).
        """
        from .core.training.check import check_config

        args, _ = parse_line(self.nlp_config, line)
        if not args.name.isidentifier():
            raise UsageError(f"{args.name!r} is not a valid variable name")
        checked = check_config(cell)
        if checked.problems:
            raise ConfigError(checked.problems)
        self.ns[args.name] = checked.config
        display(HTML(_config_header(args.name, checked)))
        if args.no_form:
            return
        self._show_form(args.name, checked.config)

    def _show_form(self, name: str, config: Any) -> None:
        from .widgets.config_form import ConfigForm

        def on_change(new_config: Any, overrides: dict[str, Any]) -> None:
            self.ns[name] = new_config

        def on_train(new_config: Any) -> None:
            self.ns[name] = new_config
            try:
                self.run_training(new_config, DEFAULT_RESULT_NAME, output=f"training/{name}", view="widget")
            except UsageError as err:
                display(HTML(f'<pre style="color:#dc2626">UsageError: {html.escape(str(err))}</pre>'))

        form = ConfigForm(config, on_change=on_change, on_train=on_train)
        self.ns[f"{name}_form"] = form  # for code that reads or sets the form's values
        display(form.widget)

    # ----- %nlp_train --------------------------------------------------------------------------------
    @command_arguments("train", before=[
        arg("config", nargs="?", default=DEFAULT_CONFIG_NAME, help="config variable, config file, or 'demo' (default: config)"),
        arg("--output", "-o", default=None, help="folder for model-best and model-last (default: training/<config name>)"),
    ], after=[
        result_name(DEFAULT_RESULT_NAME),
        arg("--view", default="auto", choices=["auto", "html", "console"], help="live view: HTML (notebooks) or console"),
    ])
    @line_magic
    @user_errors
    def nlp_train(self, line: str) -> Any:
        """Train a pipeline with a live view; `--section.key value` pairs after the options override the config.

        Interrupt the kernel to stop: model-best and model-last are saved and the result holds the best
        pipeline so far. The result (`.nlp`, `.best_score`, `.history`, `.model_best`, `.model_last`) is
        stored in the variable named by --as.
        """
        from .core.util import import_code

        args, overrides = parse_line(self.nlp_train, line, overrides=True)
        if not args.result_name.isidentifier():
            raise UsageError(f"--as {args.result_name!r} is not a valid variable name")
        import_code(args.code)
        source, name = self._config_source(args.config)
        output = args.output if args.output is not None else f"training/{name}"
        return self.run_training(source, args.result_name, output=output, overrides=overrides, gpu_id=args.gpu_id, view=args.view,
                                 resume=args.resume, workers=args.workers, address=args.address)

    @user_errors
    def run_training(
        self, config: Any, result_name: str = DEFAULT_RESULT_NAME, *, output: Optional[str] = None,
        overrides: Optional[dict[str, Any]] = None, gpu_id: Optional[int] = None, view: str = "auto", resume: bool = False,
        workers: int = 1, address: Optional[str] = None,
    ) -> Any:
        """Train `config` in this kernel with a live view; bind and return the TrainResult.

        With `resume`, the run saved in `output` continues from its checkpoint, and the view starts
        with the earlier evaluations."""
        from .core.training import iter_training
        from .widgets.training_view import FINISHED, ConsoleTrainingView, HTMLTrainingView, TrainingProgress

        run = iter_training(config, output, overrides=overrides, use_gpu=gpu_id, resume=resume, workers=workers, address=address)  # device, build, initialise: here
        progress = TrainingProgress.for_run(run)
        kind = _view_kind(self.shell, view)
        if kind == "widget":  # inside an ipywidgets.Output (the form's Train button): update a widget's value
            import ipywidgets

            live: Any = HTMLTrainingView(progress, widget=ipywidgets.HTML())
        else:
            live = HTMLTrainingView(progress) if kind == "html" else ConsoleTrainingView(progress)
        status = _drive(run, live)
        result = run.result
        assert result is not None
        message = "" if status == FINISHED else "stopped cleanly; the result holds the best pipeline so far" + (
            f" (continue with --resume)" if result.checkpoint is not None else "")
        if status == FINISHED and result.stop_reason:
            message = f"stopped by {result.stop_reason}"
        live.finish(status, message, _saved_lines(result, result_name))
        self.ns[result_name] = result
        return result

    # ----- evaluation and inspection -------------------------------------------------------------
    @command_arguments("evaluate", before=[arg("nlp", help="pipeline variable (Language or training result) or model path")],
                       after=[result_name("eval_result")])
    @line_magic
    @user_errors
    def nlp_evaluate(self, line: str) -> None:
        """Score a pipeline on annotated data: overall scores, per-label tables and confusion matrices."""
        from .widgets.evaluation import EvaluationView

        args, _ = parse_line(self.nlp_evaluate, line)
        result = self._evaluate(args.nlp, args.data, args.gold_preproc, args.gpu_id)
        self.ns[args.result_name] = result
        display(EvaluationView(result))

    @magic_arguments()
    @argument("nlp", help="pipeline variable or model path, or an evaluation result variable (then DATA is not needed)")
    @argument("data", nargs="?", default=None, help="annotated corpus (any format nbnlp.load_docs reads)")
    @argument("--errors-only", "-e", action="store_true", help="start with only the examples that have errors")
    @argument("--gold-preproc", "-G", action="store_true", help="use the corpus' own tokens")
    @line_magic
    @user_errors
    def nlp_inspect(self, line: str) -> None:
        """Browse gold vs predicted annotations example by example, errors marked."""
        from .core.commands.evaluate import EvaluationResult
        from .widgets.inspector import ExampleInspector

        args, _ = parse_line(self.nlp_inspect, line)
        value = self.ns.get(args.nlp)
        if isinstance(value, EvaluationResult) and args.data is None:
            result = value
        else:
            if args.data is None:
                raise UsageError("DATA is needed unless NLP is an evaluation result (from %nlp_evaluate)")
            result = self._evaluate(args.nlp, args.data, args.gold_preproc, None)
        display(ExampleInspector(result.examples, errors_only=args.errors_only))

    def _evaluate(self, nlp_ref: str, data: str, gold_preproc: bool, gpu_id: Optional[int]) -> Any:
        from .core.commands.evaluate import evaluate

        return evaluate(self._pipeline(nlp_ref), self._path(data), gold_preproc=gold_preproc, gpu_id=gpu_id)

    # ----- toolbox ----------------------------------------------------------------------------------
    @command_arguments("convert")
    @line_magic
    @user_errors
    def nlp_convert(self, line: str) -> list:
        """Convert CoNLL-U / IOB / CoNLL NER / UNER / JSONL data to .nbnlp or JSONL; returns the converted files."""
        from .core.corpus.convert import convert

        args, _ = parse_line(self.nlp_convert, line)
        results = convert(self._path(args.input), args.output_dir, converter=args.converter, n_sents=args.n_sents, file_type=args.file_type, lang=args.lang)
        for r in results:
            print(r.summary())
        return results

    @command_arguments("init-config", before=[CONFIG_NAME], after=[arg("--output", default=None, help="also write the config to this file")])
    @line_magic
    @user_errors
    def nlp_init_config(self, line: str) -> None:
        """Generate a complete, commented training config and store it as NAME (and optionally write it)."""
        from .core.commands.init_config import init_config
        from .core.training.check import check_config

        args, _ = parse_line(self.nlp_init_config, line)
        text = init_config(lang=args.lang, pipeline=args.pipeline.split(","), optimize=args.optimize, gpu=args.gpu, pretraining=args.pretraining)
        if args.output:
            from .core.corpus.atomic import atomic_write

            with atomic_write(args.output, "w", encoding="utf8") as f:
                f.write(text)
        checked = check_config(text)
        self.ns[args.name] = checked.config
        display(HTML(_config_header(args.name, checked)))

    @command_arguments("debug-data", before=[CONFIG_REF], after=[result_name("debug_report")])
    @line_magic
    @user_errors
    def nlp_debug_data(self, line: str) -> None:
        """Check a config's training and dev data before training; `--section.key value` overrides the config."""
        from .core.commands.debug_data import debug_data
        from .core.util import import_code
        from .widgets.debug_report import debug_report_html

        args, overrides = parse_line(self.nlp_debug_data, line, overrides=True)
        source, _ = self._config_source(args.config)
        import_code(args.code)
        report = debug_data(source, overrides=overrides, verbose=args.verbose)
        self.ns[args.result_name] = report
        display(HTML(debug_report_html(report)))

    @command_arguments("init-vectors")
    @line_magic
    @user_errors
    def nlp_init_vectors(self, line: str) -> Any:
        """Read word vectors into a blank pipeline folder; use it with `[initialize] vectors = "OUTPUT_DIR"`."""
        from .core.commands.init_vectors import init_vectors

        args, _ = parse_line(self.nlp_init_vectors, line)
        result = init_vectors(args.lang, self._path(args.vectors_file), args.output_dir, truncate=args.truncate, prune=args.prune, name=args.name)
        print(f"Wrote {result.output_dir}: {result.summary()}")
        return result

    @command_arguments("pretrain", before=[
        arg("config", nargs="?", default=DEFAULT_CONFIG_NAME, help="config variable or file with a [pretraining] section"),
    ], after=[result_name("pretrain_result")])
    @line_magic
    @user_errors
    def nlp_pretrain(self, line: str) -> Any:
        """Pretrain the config's tok2vec on raw text with a live view; `--section.key value` overrides the config.

        Interrupting keeps the weights of the finished epochs. Use them in training with
        `[initialize] init_tok2vec = "OUTPUT_DIR/modelN.bin"`.
        """
        from .core.commands.pretrain import iter_pretrain
        from .core.util import import_code
        from .widgets.pretrain_view import PretrainView

        args, overrides = parse_line(self.nlp_pretrain, line, overrides=True)
        source, _ = self._config_source(args.config)
        import_code(args.code)
        run = iter_pretrain(source, args.output_dir, overrides=overrides, epoch_resume=args.epoch_resume, use_gpu=args.gpu_id)
        view = PretrainView(int(run.setup.settings["max_epochs"]))
        status = _drive(run, view)
        result = run.result
        last = result.last_weights if result is not None else None
        view.finish(status, f"use [initialize] init_tok2vec = \"{last}\"" if last else "no epoch finished")
        self.ns[args.result_name] = result
        return result

    @command_arguments("package", before=[arg("input", help="pipeline folder, or a training result variable (its model-best)")])
    @line_magic
    @user_errors
    def nlp_package(self, line: str) -> Path:
        """Make an installable Python package (and wheel) from a trained pipeline; returns the package folder."""
        from .core.commands.package import describe_package, package
        from .core.training.train import TrainResult

        args, _ = parse_line(self.nlp_package, line)
        source = self.ns.get(args.input)
        if isinstance(source, TrainResult):
            if source.model_best is None and source.model_last is None:
                raise UsageError(f"{args.input!r} was trained without an output folder: nothing saved to package")
            input_dir = str(source.model_best or source.model_last)
        else:
            input_dir = self._path(args.input)
        folder = package(input_dir, args.output_dir, name=args.name, version=args.version, meta_path=args.meta_path, build=args.build, force=args.force)
        print(describe_package(folder))
        return folder

    @command_arguments("info")
    @line_magic
    @user_errors
    def nlp_info(self, line: str) -> None:
        """Versions of nbnlp, Python, thinc, numpy, cupy and the GPU; installed pipelines; a pipeline's meta."""
        from .core.commands.info import format_info, info

        args, _ = parse_line(self.nlp_info, line)
        model: Any = args.model
        if model is not None and model in self.ns:
            value = self.ns[model]
            saved = getattr(value, "model_best", None) or getattr(value, "model_last", None)
            model = str(saved) if saved is not None else (str(value) if isinstance(value, (str, Path)) else None)
            if model is None:
                raise UsageError(f"{args.model!r}: give a pipeline folder, package name or a training result saved to disk")
        data = info(model)
        text = format_info(data, markdown=True)
        if args.markdown:
            print(text)
        else:
            display(Markdown(text))

    @command_arguments("validate")
    @line_magic
    @user_errors
    def nlp_validate(self, line: str) -> list:
        """Installed pipeline packages and whether each is compatible with this nbnlp version."""
        from .core.commands.info import format_validation, validate

        parse_line(self.nlp_validate, line)
        results = validate()
        print(format_validation(results))
        return results

    # ----- %nlp_sweep -------------------------------------------------------------------------------
    @command_arguments("sweep", before=[
        arg("config", nargs="?", default=DEFAULT_CONFIG_NAME,
            help="config variable (or its override form, NAME_form), config file, or 'demo' (default: config)"),
        arg("--output", "-o", default=None, help="folder for the trials (trial_N/model-best...) and sweep.json (default: sweeps/<config name>)"),
    ], after=[
        result_name("sweep_result"),
        arg("--view", default="auto", choices=["auto", "html", "console"], help="live view: HTML (notebooks) or console"),
    ])
    @line_magic
    @user_errors
    def nlp_sweep(self, line: str) -> Any:
        """Hyperparameter sweep on Ray Tune: a training run per trial, with settings drawn from the --param distributions.

        `--section.key value` pairs override the config for every trial. A live table shows a row per trial and a
        plot every trial's score against its step. At the end the best trial's settings are shown as
        `--section.key value` lines, the config with them is stored as `<CONFIG>_best` and the SweepResult
        (`.trials` with every trial's history, `.best`, `.best_lines`, `.best_config`, `.model_best`) in the
        variable named by --as. Interrupt the kernel to stop the sweep: the result keeps the trials so far.
        """
        from .core.distributed.ray_session import RayUnavailable
        from .core.distributed.sweep import plan_sweep, run_sweep
        from .core.util import import_code

        args, overrides = parse_line(self.nlp_sweep, _join_distributions(line), overrides=True)
        if not args.result_name.isidentifier():
            raise UsageError(f"--as {args.result_name!r} is not a valid variable name")
        import_code(args.code)
        source, name = self._sweep_source(args.config)
        plan = plan_sweep(
            source, args.params or [], trials=args.trials, concurrent=args.concurrent, scheduler=args.scheduler,
            metric=args.metric, output=args.output if args.output is not None else f"sweeps/{name}", overrides=overrides,
            address=args.address, gpu_id=args.gpu_id, seed=args.seed,
        )
        progress = plan.progress()
        if _view_kind(self.shell, args.view) == "console":
            from .core.distributed.sweep_progress import console_listener

            progress.listeners.append(console_listener(sys.stdout))
            view: Any = None
        else:
            from .widgets.sweep_view import HTMLSweepView

            view = HTMLSweepView(progress)
            view.start()
        try:
            result = run_sweep(plan, progress)
        except RayUnavailable as err:
            if view is not None:
                view.finish([str(err)])
            raise UsageError(str(err)) from None
        except USER_ERRORS as err:
            if view is not None:
                view.finish([str(err).splitlines()[0]])
            raise
        best_name = _variable_name(f"{name}_best")
        lines = _sweep_lines(result, args.result_name, best_name if result.best_config is not None else None)
        if result.best_config is not None:
            self.ns[best_name] = result.best_config
        self.ns[args.result_name] = result
        if view is not None:
            view.finish(lines)
        else:
            from .core.distributed.sweep_progress import format_sweep_table

            print(format_sweep_table(result.trials, progress.param_keys, progress.metric))
            print("\n".join(lines))
        return result

    def _sweep_source(self, ref: Optional[str]) -> tuple[Any, str]:
        """`_config_source`, also taking a config's override form (`NAME_form`): its config with the form's overrides."""
        value = self.ns.get(ref) if ref else None
        if value is not None and hasattr(value, "diff_lines") and hasattr(value, "config"):
            return value.config, ref[: -len("_form")] if ref.endswith("_form") else ref
        return self._config_source(ref)


def _join_distributions(line: str) -> str:
    """`choice(0.1, 0.2)` written with spaces stays one word: the spaces inside a DIST's parentheses are dropped."""
    return re.sub(r"\b(choice|uniform|loguniform|randint)\s*\(([^()]*)\)",
                  lambda m: f"{m.group(1)}({','.join(part.strip() for part in m.group(2).split(','))})", line)


def _variable_name(text: str) -> str:
    name = re.sub(r"\W", "_", text)
    return name if name.isidentifier() else f"_{name}"


def _sweep_lines(result: Any, result_name: str, best_name: Optional[str]) -> list[str]:
    """The closing lines of a sweep: the best trial, its settings as `--section.key value`, where things went."""
    if result.best is None:
        return [f"No trial reported an evaluation. Result stored as {result_name}."]
    best = result.best.best(result.metric)
    lines = [f"Best: {result.best.name}, {result.metric} {format_score(result.metric, best[1] if best else None)} at step "
             f"{best[0] if best else '-'}; its settings:"]
    lines += list(result.best_lines)
    if best_name is not None:
        lines.append(f"Best config stored as {best_name} (train it with %nlp_train {best_name})")
    if result.model_best is not None:
        lines.append(f"model-best: {result.model_best}")
    lines.append(f"Result stored as {result_name}: {result_name}.trials holds every trial's settings, status and history")
    return lines


def _drive(run: Any, view: Any) -> str:
    """Feed a run's steps to its live view until it ends; Ctrl-C stops the run cleanly (`close()` saves what it
    keeps). Returns the view's final status word; a user error while running marks the view failed and goes on up
    (the magics' `@user_errors` turns it into a UsageError)."""
    from .widgets.training_view import FINISHED, INTERRUPTED

    view.start()
    try:
        for step in run:
            view.update(step)
        return FINISHED
    except KeyboardInterrupt:
        run.close()  # a no-op when the loop itself was interrupted and has saved already
        return INTERRUPTED
    except USER_ERRORS as err:
        view.finish("Failed", str(err).splitlines()[0])
        raise


def _config_header(name: str, checked: Any) -> str:
    """The stored config's summary, with notes about settings still to give (e.g. corpus paths)."""
    from .widgets.config_view import config_summary_html

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


def load_ipython_extension(ipython: Any) -> None:
    """`%load_ext nbnlp`: register the magics (loading again simply re-registers them)."""
    ipython.register_magics(NlpMagics)
