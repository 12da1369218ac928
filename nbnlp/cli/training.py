"""The training commands: train, sweep and runs (the table of a folder's runs)."""
from __future__ import annotations

import argparse
import sys
from typing import Callable

from ..arguments import add_arguments, arg
from .common import UserError


def _add_train(sub: argparse._SubParsersAction) -> Callable[[argparse.Namespace], int]:
    p = sub.add_parser(
        "train",
        help="train a pipeline from a config",
        description="Train a pipeline. Any --section.key value after the options overrides the config.",
        epilog="Example: nbnlp train config.cfg --output out --paths.train train.conllu --paths.dev dev.conllu --training.max_steps 500",
    )
    add_arguments(p, "train", before=[
        arg("config", help="config file (see nbnlp init-config), or 'demo' for the built-in demo config"),
        arg("--output", "-o", default=None,
            help="run folder for run.json, config.cfg, checkpoint/, model-best and model-last (default: nothing saved); "
                 "one that holds a run already needs --resume or --overwrite"),
    ])
    p.set_defaults(accepts_overrides=True)

    def run(args: argparse.Namespace) -> int:
        from ..core.config import parse_overrides
        from ..core.commands.init_config import demo_config
        from ..core.training import train
        from ..core.training.runs import resolve_output
        from ..core.training.signals import exit_status
        from ..core.util import import_code

        import_code(args.code)
        overrides = parse_overrides(args.overrides)
        config = demo_config() if args.config == "demo" else args.config
        target = resolve_output(args.output, resume=args.resume, overwrite=args.overwrite)
        if target.note:
            print(target.note, flush=True)
        result = train(config, target.path, overrides=overrides, use_gpu=args.gpu_id, resume=target.resume,
                       overwrite=target.overwrite, workers=args.workers, address=args.address, base_model=args.base_model)
        if result.interrupted:
            saved = "; model-best, model-last and the checkpoint are saved (continue with --resume)" if args.output else ""
            print(f"Training {'stopped by SIGTERM' if result.stopped_by == 'SIGTERM' else 'interrupted'}{saved}.")
            return exit_status(result.stopped_by)
        return 0

    p.set_defaults(run=run)
    return run


def _add_sweep(sub: argparse._SubParsersAction) -> Callable[[argparse.Namespace], int]:
    p = sub.add_parser(
        "sweep",
        help="hyperparameter sweep on Ray Tune: train a config with drawn settings, keep the best",
        description="Train a config once per trial, each with settings drawn from the --param distributions, on Ray "
        "Tune; print the trials and the best settings. Any --section.key value after the options overrides the config.",
        epilog="Example: nbnlp sweep config.cfg --param 'training.optimizer.learn_rate=loguniform(1e-4,1e-2)' "
        "--param 'training.dropout=uniform(0.05,0.3)' --trials 8 --concurrent 2 --scheduler asha --output sweeps/cfg",
    )
    add_arguments(p, "sweep", before=[
        arg("config", help="config file (see nbnlp init-config), or 'demo' for the built-in demo config"),
        arg("--output", "-o", default=None, help="folder for this sweep's trials (trial_N/model-best...) and sweep.json "
            "(default: a new sweeps/<config name>/sweep-N); one holding a sweep already is refused"),
    ])
    p.set_defaults(accepts_overrides=True)

    def run(args: argparse.Namespace) -> int:
        from pathlib import Path

        from ..core.commands.init_config import demo_config
        from ..core.config import parse_overrides
        from ..core.distributed.ray_session import RayUnavailable
        from ..core.distributed.sweep import plan_sweep, run_sweep
        from ..core.distributed.sweep_progress import console_listener, format_sweep_table
        from ..core.scores.display import format_score
        from ..core.training.signals import EXIT_INTERRUPTED
        from ..core.util import import_code

        import_code(args.code)
        name = "demo" if args.config == "demo" else Path(args.config).stem
        plan = plan_sweep(
            demo_config() if args.config == "demo" else args.config, args.params or [], trials=args.trials,
            concurrent=args.concurrent, scheduler=args.scheduler, metric=args.metric,
            output=args.output, sweeps=Path("sweeps") / name, overrides=parse_overrides(args.overrides),
            address=args.address, gpu_id=args.gpu_id, seed=args.seed,
        )
        print(f"Sweeping {', '.join(f'{k}={d}' for k, d in plan.space.items())}: {plan.trials} trials, {plan.concurrent} at a time, "
              f"{plan.scheduler}, maximising {plan.metric}; trials in {plan.output_path}", flush=True)
        progress = plan.progress()
        progress.listeners.append(console_listener(sys.stdout))
        try:
            result = run_sweep(plan, progress)
        except RayUnavailable as err:
            raise UserError(str(err)) from None
        print(("Sweep interrupted" if result.interrupted else "Sweep finished") + f" after {result.seconds:.0f} s:")
        print(format_sweep_table(result.trials, list(plan.space), plan.metric))
        if result.best is not None:
            best = result.best.best(plan.metric)
            print(f"Best: {result.best.name} ({plan.metric} {format_score(plan.metric, best[1] if best else None)} "
                  f"at step {best[0] if best else '-'}); train it with these settings:")
            print(f"  nbnlp train {args.config} " + " ".join(result.best_lines))
            if result.model_best is not None:
                print(f"model-best: {result.model_best}")
        print(f"Results: {plan.output_path / 'sweep.json'}")
        return EXIT_INTERRUPTED if result.interrupted else 0

    p.set_defaults(run=run)
    return run


def _add_runs(sub: argparse._SubParsersAction) -> Callable[[argparse.Namespace], int]:
    p = sub.add_parser(
        "runs",
        help="table of the runs in a folder: status, steps, time, best score and the settings that differ",
        description="One row per run folder in FOLDER (training/<config>, or a sweep's folder): name, status, steps, "
        "time, best score and its step, and the settings that differ from the first run as --section.key value.",
        epilog="Example: nbnlp runs training/cfg --sort score --plot runs.png",
    )
    add_arguments(p, "runs", before=[arg("folder", help="folder of run folders (training/<config>, sweeps/<config>/sweep-N)")],
                  after=[arg("--plot", default=None, metavar="FILE", help="also write the runs' score curves, overlaid, as a PNG")])

    def run(args: argparse.Namespace) -> int:
        from ..core.training.runs import curves, format_runs_table, list_runs, sort_runs

        runs = sort_runs(list_runs(args.folder), args.sort)
        print(format_runs_table(runs))
        if args.plot:
            from ..runs_plot import runs_png

            runs_png(curves(runs, args.metric), args.plot, metric=args.metric)
            print(f"Wrote {args.plot}")
        return 0

    p.set_defaults(run=run)
    return run
