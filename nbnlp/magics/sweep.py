"""`%nlp_sweep`: a hyperparameter sweep on Ray Tune with a live table of its trials."""
from __future__ import annotations

import re
import sys
from typing import Any, Optional

from IPython.core.error import UsageError
from IPython.core.magic import line_magic, magics_class

from ..arguments import arg
from ..core.scores.display import format_score
from ..magic_args import command_arguments, parse_line
from ..magic_errors import USER_ERRORS, user_errors
from .base import DEFAULT_CONFIG_NAME, RUNS_FOLDER, NamespaceMagics, result_name
from .live import CellInterrupted, view_kind


@magics_class
class SweepMagics(NamespaceMagics):
    """`%nlp_sweep`."""

    # ----- %nlp_sweep -------------------------------------------------------------------------------
    @command_arguments("sweep", before=[
        arg("config", nargs="?", default=DEFAULT_CONFIG_NAME,
            help="config variable (or its override form, NAME_form), config file, or 'demo' (default: config)"),
        arg("--output", "-o", default=None, help="folder for this sweep's trials (trial_N/model-best...) and sweep.json "
            "(default: a new sweeps/<config name>/sweep-N); one holding a sweep already is refused"),
    ], after=[
        result_name("sweep_result"),
        arg("--view", default="auto", choices=["auto", "html", "console"], help="live view: HTML (notebooks) or console"),
    ])
    @line_magic
    @user_errors
    def nlp_sweep(self, line: str) -> None:
        """Hyperparameter sweep on Ray Tune: a training run per trial, with settings drawn from the --param distributions.

        `--section.key value` pairs override the config for every trial. A live table shows a row per trial and a
        plot every trial's score against its step. At the end the best trial's settings are shown as
        `--section.key value` lines, the config with them is stored as `<CONFIG>_best` and the SweepResult
        (`.trials` with every trial's history, `.best`, `.best_lines`, `.best_config`, `.model_best`) in the
        variable named by --as. Interrupt the kernel to stop the sweep: the result keeps the trials so far.
        """
        from ..core.distributed.ray_session import RayUnavailable
        from ..core.distributed.sweep import plan_sweep, run_sweep
        from ..core.util import import_code

        args, overrides = parse_line(self.nlp_sweep, _join_distributions(line), overrides=True)
        if not args.result_name.isidentifier():
            raise UsageError(f"--as {args.result_name!r} is not a valid variable name")
        import_code(args.code)
        source, name = self._sweep_source(args.config)
        plan = plan_sweep(
            source, args.params or [], trials=args.trials, concurrent=args.concurrent, scheduler=args.scheduler,
            metric=args.metric, output=args.output, sweeps=f"sweeps/{name}", overrides=overrides,
            address=args.address, gpu_id=args.gpu_id, seed=args.seed,
        )
        self.state[RUNS_FOLDER] = plan.output_path  # `%nlp_runs` lists the trials; `trial_2` names one's model-best
        progress = plan.progress()
        if view_kind(self.shell, args.view) == "console":
            from ..core.distributed.sweep_progress import console_listener

            progress.listeners.append(console_listener(sys.stdout))
            view: Any = None
        else:
            from ..widgets.sweep_view import HTMLSweepView

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
            from ..core.distributed.sweep_progress import format_sweep_table

            print(format_sweep_table(result.trials, progress.param_keys, progress.metric))
            print("\n".join(lines))
        if result.interrupted:  # the trials so far are kept and bound; a Run All stops here as after any interrupt
            raise CellInterrupted(f"Sweep interrupted: {len(result.trials)} trials kept, result stored as {args.result_name}")

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


