"""`%nlp_runs`: the table of a config's runs (or a sweep's trials), sortable, with their score curves overlaid."""
from __future__ import annotations

from pathlib import Path

from IPython.core.error import UsageError
from IPython.core.magic import line_magic, magics_class
from IPython.display import display

from ..arguments import arg
from ..magic_args import command_arguments, parse_line
from ..magic_errors import user_errors
from .base import RUNS_FOLDER, NamespaceMagics, result_name


@magics_class
class RunsMagics(NamespaceMagics):
    """`%nlp_runs`."""

    @command_arguments("runs", before=[
        arg("folder", nargs="?", default=None,
            help="folder of run folders: training/<config> or a sweep's folder (default: the one last listed or trained into)"),
    ], after=[
        result_name("runs"),
        arg("--view", default="auto", choices=["auto", "html", "console"], help="widget table (notebooks) or text table"),
    ])
    @line_magic
    @user_errors
    def nlp_runs(self, line: str) -> None:
        """One row per run: status, steps, time, best score and step, and the settings that differ from the first run.

        Sort with a column header or the sort control; tick runs to overlay their score curves. The rows
        (RunInfo records: `.name`, `.status`, `.best_score`, `.history`, `.settings`, `.model_best`) are stored in
        the variable named by --as, and run names (`run-3`) then load their model-best in %nlp_evaluate and %nlp_inspect.
        """
        from ..core.training.runs import format_runs_table, list_runs, sort_runs

        args, _ = parse_line(self.nlp_runs, line)
        if not args.result_name.isidentifier():
            raise UsageError(f"--as {args.result_name!r} is not a valid variable name")
        folder = Path(self._path(args.folder)) if args.folder is not None else self._default_folder()
        runs = sort_runs(list_runs(folder), args.sort)
        self.state[RUNS_FOLDER] = folder
        self.ns[args.result_name] = runs
        terminal = type(self.shell).__name__ == "TerminalInteractiveShell"
        if args.view == "console" or (args.view == "auto" and terminal):
            print(format_runs_table(runs))
            return
        from ..widgets.runs_view import RunsView

        view = RunsView(runs, folder=folder, sort=args.sort, metric=args.metric)
        self.ns[f"{args.result_name}_view"] = view
        display(view.widget)

    def _default_folder(self) -> Path:
        if self.runs_folder is not None:
            return self.runs_folder
        from ..core.training.runs import RUNS_ROOT

        configs = sorted(p.name for p in RUNS_ROOT.iterdir() if p.is_dir()) if RUNS_ROOT.is_dir() else []
        there = f"; {RUNS_ROOT}/ holds {', '.join(configs[:8])}" if configs else ""
        raise UsageError(f"no runs folder yet in this session: give one, e.g. %nlp_runs {RUNS_ROOT}/CONFIG, or train first{there}")
